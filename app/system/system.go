// Package system reports what is happening to this machine's memory now: total, used,
// available, wired and compressed (macOS), swap, the pressure level (macOS's memorystatus
// level, Linux's PSI), and the budget a model may use on the GPU (Metal's working set) or the
// CPU (available memory). A Sampler reads it on demand and streams it while someone watches.
package system

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/mem"

	"github.com/perchapp/perch/engine/memplan"
)

// Snapshot is the memory of the machine at one moment.
type Snapshot struct {
	Time           time.Time `json:"time"`
	TotalBytes     int64     `json:"total_bytes"`
	UsedBytes      int64     `json:"used_bytes"`
	AvailableBytes int64     `json:"available_bytes"`
	// WiredBytes and CompressedBytes are macOS's wired memory and memory compressor.
	WiredBytes      int64    `json:"wired_bytes,omitempty"`
	CompressedBytes int64    `json:"compressed_bytes,omitempty"`
	SwapTotalBytes  int64    `json:"swap_total_bytes"`
	SwapUsedBytes   int64    `json:"swap_used_bytes"`
	Pressure        Pressure `json:"pressure"`
	// PressureSource says where the level came from: "memorystatus" (macOS), "psi" (Linux),
	// "available" (the share of available memory, when neither exists).
	PressureSource string `json:"pressure_source"`
	PSI            *PSI   `json:"psi,omitempty"`
	GPU            GPU    `json:"gpu"`
}

// GPU is the memory budget for a model's buffers.
type GPU struct {
	// Kind is "metal" on Apple Silicon, "cpu" elsewhere.
	Kind string `json:"kind"`
	// LimitBytes is Metal's working-set limit, or available memory on the CPU.
	LimitBytes int64 `json:"limit_bytes"`
	// FreeBytes is what is free of the limit, when ggml reported it.
	FreeBytes int64 `json:"free_bytes,omitempty"`
	// Source says where LimitBytes came from: "ggml" (the device memory a worker reported),
	// "iogpu.wired_limit_mb", "default" (macOS's 2/3 or 3/4 of RAM) or "available".
	Source string `json:"source"`
}

// Machine is the snapshot as the memory planner's input.
func (s Snapshot) Machine() memplan.Machine {
	m := memplan.Machine{TotalBytes: s.TotalBytes, AvailableBytes: s.AvailableBytes}
	if s.GPU.Kind == "metal" {
		m.AppleSilicon = true
		m.WorkingSetBytes = s.GPU.LimitBytes
	}
	return m
}

// DeviceMemory is what ggml reports for the GPU (total and free bytes); ok is false when no
// worker has reported yet.
type DeviceMemory func() (total, free int64, ok bool)

// Sampler reads the machine's memory. The zero value is not usable; call NewSampler.
type Sampler struct {
	// Device, when set, gives the Metal device memory a worker reported.
	Device DeviceMemory

	plat platform

	mu      sync.Mutex
	watches map[chan Snapshot]time.Duration
	wake    chan struct{}
	running bool
}

// platform is what differs between operating systems; tests replace it.
type platform struct {
	// pressure returns the OS's pressure level and its source, with PSI on Linux.
	pressure func() (Pressure, string, *PSI, error)
	// compressed returns the memory compressor's bytes (macOS only; gopsutil has wired).
	compressed func() (int64, error)
	// wiredLimit returns iogpu.wired_limit_mb in bytes, 0 when unset (macOS only).
	wiredLimit func() (int64, error)
	metal      bool
}

// NewSampler returns a sampler for this machine.
func NewSampler() *Sampler {
	return &Sampler{plat: hostPlatform(), watches: map[chan Snapshot]time.Duration{}}
}

// Sample reads the memory now.
func (s *Sampler) Sample(ctx context.Context) (Snapshot, error) {
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read memory: %w", err)
	}
	snap := Snapshot{
		Time:           time.Now(),
		TotalBytes:     int64(vm.Total),
		UsedBytes:      int64(vm.Used),
		AvailableBytes: int64(vm.Available),
	}
	if sw, err := mem.SwapMemoryWithContext(ctx); err == nil {
		snap.SwapTotalBytes, snap.SwapUsedBytes = int64(sw.Total), int64(sw.Used)
	}
	if s.plat.compressed != nil { // macOS
		snap.WiredBytes = int64(vm.Wired)
		if c, err := s.plat.compressed(); err == nil {
			snap.CompressedBytes = c
		}
	}
	snap.Pressure, snap.PressureSource, snap.PSI = PressureUnknown, "", nil
	if s.plat.pressure != nil {
		if p, src, psi, err := s.plat.pressure(); err == nil {
			snap.Pressure, snap.PressureSource, snap.PSI = p, src, psi
		}
	}
	if snap.Pressure == PressureUnknown {
		snap.Pressure, snap.PressureSource = availablePressure(snap.AvailableBytes, snap.TotalBytes), "available"
	}
	snap.GPU = s.gpu(snap)
	return snap, nil
}

func (s *Sampler) gpu(snap Snapshot) GPU {
	if !s.plat.metal {
		return GPU{Kind: "cpu", LimitBytes: snap.AvailableBytes, Source: "available"}
	}
	if s.Device != nil {
		if total, free, ok := s.Device(); ok && total > 0 {
			return GPU{Kind: "metal", LimitBytes: total, FreeBytes: free, Source: "ggml"}
		}
	}
	if s.plat.wiredLimit != nil {
		if n, err := s.plat.wiredLimit(); err == nil && n > 0 {
			return GPU{Kind: "metal", LimitBytes: n, Source: "iogpu.wired_limit_mb"}
		}
	}
	return GPU{Kind: "metal", LimitBytes: memplan.DefaultWorkingSet(snap.TotalBytes), Source: "default"}
}

// Watch streams a snapshot every interval (at least 100 ms) until ctx is done, then closes
// the channel. All watchers share one sampling loop at the shortest interval asked; the loop
// runs only while someone watches. A slow reader gets the latest snapshot, not a backlog.
func (s *Sampler) Watch(ctx context.Context, interval time.Duration) <-chan Snapshot {
	interval = max(interval, 100*time.Millisecond)
	ch := make(chan Snapshot, 1)
	s.mu.Lock()
	s.watches[ch] = interval
	if s.wake != nil {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	if !s.running {
		s.running = true
		s.wake = make(chan struct{}, 1)
		go s.loop(s.wake)
	}
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.watches, ch)
		close(ch)
		s.mu.Unlock()
	}()
	return ch
}

// Watching reports whether the sampling loop is running.
func (s *Sampler) Watching() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

func (s *Sampler) loop(wake chan struct{}) {
	for {
		s.mu.Lock()
		if len(s.watches) == 0 {
			s.running = false
			s.wake = nil
			s.mu.Unlock()
			return
		}
		next := time.Duration(1<<63 - 1)
		for _, d := range s.watches {
			next = min(next, d)
		}
		s.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), next)
		snap, err := s.Sample(ctx)
		cancel()
		if err == nil {
			s.mu.Lock()
			for ch := range s.watches {
				select { // replace a snapshot nobody read yet
				case <-ch:
				default:
				}
				ch <- snap
			}
			s.mu.Unlock()
		}
		t := time.NewTimer(next)
		select {
		case <-t.C:
		case <-wake: // a watcher came or asked for a shorter interval
			t.Stop()
		}
	}
}
