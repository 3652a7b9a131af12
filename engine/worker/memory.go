package worker

import (
	"os"
	"sync"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// memoryLog adds up the buffers llama.cpp reports in its log while loading, the real sizes the
// memory planner is checked against.
type memoryLog struct {
	mu  sync.Mutex
	buf llama.Buffers
}

func (m *memoryLog) observe(line string) {
	m.mu.Lock()
	m.buf.Observe(line)
	m.mu.Unlock()
}

func (m *memoryLog) usage() engine.MemoryUsage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return engine.MemoryUsage{
		WeightsBytes: m.buf.Weights,
		KVBytes:      m.buf.KV + m.buf.State,
		ComputeBytes: m.buf.Compute,
		OutputBytes:  m.buf.Output,
		Device:       m.buf.Device,
	}
}

// residentBytes is this process's resident memory.
func residentBytes() int64 {
	p, err := process.NewProcess(int32(os.Getpid()))
	if err != nil {
		return 0
	}
	mi, err := p.MemoryInfo()
	if err != nil {
		return 0
	}
	return int64(mi.RSS)
}
