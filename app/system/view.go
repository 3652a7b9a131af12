package system

import (
	"context"

	"github.com/perchapp/perch/app/wire/perch"
)

// MemoryView samples the machine for the UI's Memory view (app/api's MemorySource).
type MemoryView struct{ Sampler *Sampler }

// Memory samples the machine now.
func (m MemoryView) Memory(ctx context.Context) (perch.MemorySnapshot, error) {
	snap, err := m.Sampler.Sample(ctx)
	if err != nil {
		return perch.MemorySnapshot{}, err
	}
	return snap.View(), nil
}

// View is the snapshot as the Memory view reads it: the GPU budget is what models may use,
// and what is used of it is known only when the device reported what is free.
func (s Snapshot) View() perch.MemorySnapshot {
	out := perch.MemorySnapshot{
		TotalBytes: s.TotalBytes, UsedBytes: s.UsedBytes, AvailableBytes: s.AvailableBytes,
		WiredBytes: s.WiredBytes, CompressedBytes: s.CompressedBytes,
		SwapUsedBytes: s.SwapUsedBytes, SwapTotalBytes: s.SwapTotalBytes,
		Pressure: string(s.Pressure), GPUBudgetBytes: s.GPU.LimitBytes,
	}
	if s.GPU.FreeBytes > 0 && s.GPU.LimitBytes >= s.GPU.FreeBytes {
		out.GPUUsedBytes = s.GPU.LimitBytes - s.GPU.FreeBytes
	}
	return out
}
