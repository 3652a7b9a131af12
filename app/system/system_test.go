package system

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/memplan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

// TestPSIGolden parses recorded /proc/pressure/memory texts.
func TestPSIGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pressure", "*.psi"))
	sort.Strings(files)
	if len(files) < 5 {
		t.Fatalf("only %d recorded pressure files", len(files))
	}
	type result struct {
		File  string   `json:"file"`
		PSI   *PSI     `json:"psi,omitempty"`
		Level Pressure `json:"level,omitempty"`
		Error string   `json:"error,omitempty"`
	}
	var out []result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := result{File: filepath.Base(f)}
		if p, err := ParsePSI(string(b)); err != nil {
			r.Error = err.Error()
		} else {
			r.PSI, r.Level = &p, p.Level()
		}
		out = append(out, r)
	}
	js, _ := json.MarshalIndent(out, "", "  ")
	golden(t, "pressure/psi.golden", append(js, '\n'))
}

// TestDarwinGolden maps recorded sysctl answers to levels.
func TestDarwinGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "pressure", "darwin-sysctl.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		_, v, ok := strings.Cut(line, ":")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil {
			t.Fatalf("bad recorded line %q", line)
		}
		fmt.Fprintf(&b, "%d %s\n", n, DarwinPressure(n))
	}
	golden(t, "pressure/darwin.golden", []byte(b.String()))
}

func TestAvailablePressure(t *testing.T) {
	for _, tc := range []struct {
		avail, total int64
		want         Pressure
	}{{50, 100, PressureNormal}, {10, 100, PressureWarn}, {4, 100, PressureCritical}, {1, 0, PressureUnknown}} {
		if got := availablePressure(tc.avail, tc.total); got != tc.want {
			t.Errorf("%d/%d: %s, want %s", tc.avail, tc.total, got, tc.want)
		}
	}
}

// TestSampleHere checks a real snapshot of this machine for sanity.
func TestSampleHere(t *testing.T) {
	s, err := NewSampler().Sample(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalBytes <= 0 || s.AvailableBytes <= 0 || s.AvailableBytes > s.TotalBytes || s.UsedBytes > s.TotalBytes {
		t.Errorf("implausible memory: %+v", s)
	}
	if s.SwapUsedBytes < 0 || s.SwapUsedBytes > s.SwapTotalBytes && s.SwapTotalBytes > 0 {
		t.Errorf("implausible swap: %+v", s)
	}
	switch s.Pressure {
	case PressureNormal, PressureWarn, PressureCritical:
	default:
		t.Errorf("pressure %q", s.Pressure)
	}
	if runtime.GOOS == "linux" {
		if _, err := os.Stat(psiPath); err == nil && (s.PressureSource != "psi" || s.PSI == nil) {
			t.Errorf("PSI exists but the source is %q", s.PressureSource)
		}
		if s.GPU.Kind != "cpu" || s.GPU.LimitBytes != s.AvailableBytes || s.WiredBytes != 0 {
			t.Errorf("CPU budget: %+v", s.GPU)
		}
		m := s.Machine()
		if m.AppleSilicon || m.TotalBytes != s.TotalBytes {
			t.Errorf("machine %+v", m)
		}
	}
	t.Logf("total %s, available %s, swap %s used, pressure %s (%s)", format.Memory(s.TotalBytes),
		format.Memory(s.AvailableBytes), format.Memory(s.SwapUsedBytes), s.Pressure, s.PressureSource)
}

// TestGPUSources picks the Metal limit from the worker's report, then the sysctl, then the
// default rule.
func TestGPUSources(t *testing.T) {
	snap := Snapshot{TotalBytes: 32 << 30, AvailableBytes: 20 << 30}
	s := &Sampler{plat: platform{metal: true, wiredLimit: func() (int64, error) { return 0, nil }}}
	if g := s.gpu(snap); g.Source != "default" || g.LimitBytes != memplan.DefaultWorkingSet(32<<30) {
		t.Errorf("default: %+v", g)
	}
	s.plat.wiredLimit = func() (int64, error) { return 28 << 30, nil }
	if g := s.gpu(snap); g.Source != "iogpu.wired_limit_mb" || g.LimitBytes != 28<<30 {
		t.Errorf("sysctl: %+v", g)
	}
	s.Device = func() (int64, int64, bool) { return 22 << 30, 20 << 30, true }
	g := s.gpu(snap)
	if g.Source != "ggml" || g.LimitBytes != 22<<30 || g.FreeBytes != 20<<30 {
		t.Errorf("ggml: %+v", g)
	}
	snap.GPU = g
	if m := snap.Machine(); !m.AppleSilicon || m.WorkingSetBytes != 22<<30 {
		t.Errorf("machine %+v", m)
	}
}

// TestWatch streams to two watchers from one loop, which stops when the last one leaves.
func TestWatch(t *testing.T) {
	s := NewSampler()
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	a := s.Watch(ctx1, 100*time.Millisecond)
	b := s.Watch(ctx2, time.Second)
	for i := range 2 {
		select {
		case snap := <-a:
			if snap.TotalBytes <= 0 {
				t.Fatal("empty snapshot")
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no snapshot %d", i)
		}
	}
	select {
	case <-b:
	case <-time.After(5 * time.Second):
		t.Fatal("second watcher got nothing")
	}
	cancel1()
	if _, ok := <-drain(a); ok {
		t.Error("channel open after cancel")
	}
	if !s.Watching() {
		t.Error("loop stopped while a watcher remains")
	}
	cancel2()
	drain(b)
	deadline := time.Now().Add(3 * time.Second)
	for s.Watching() {
		if time.Now().After(deadline) {
			t.Fatal("loop still running with nobody watching")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A new watcher starts it again.
	ctx3, cancel3 := context.WithCancel(context.Background())
	defer cancel3()
	select {
	case <-s.Watch(ctx3, 100*time.Millisecond):
	case <-time.After(5 * time.Second):
		t.Fatal("restarted watch got nothing")
	}
}

// drain reads ch until it closes and returns a closed channel view for the final check.
func drain(ch <-chan Snapshot) <-chan Snapshot {
	for range ch {
	}
	return ch
}
