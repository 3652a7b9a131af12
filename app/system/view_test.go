package system

import (
	"testing"

	"github.com/perchapp/perch/app/wire/perch"
)

func TestSnapshotView(t *testing.T) {
	base := Snapshot{TotalBytes: 32 << 30, UsedBytes: 20 << 30, AvailableBytes: 12 << 30, WiredBytes: 3 << 30,
		CompressedBytes: 1 << 30, SwapUsedBytes: 1 << 20, SwapTotalBytes: 2 << 30, Pressure: "warn"}
	want := perch.MemorySnapshot{TotalBytes: 32 << 30, UsedBytes: 20 << 30, AvailableBytes: 12 << 30, WiredBytes: 3 << 30,
		CompressedBytes: 1 << 30, SwapUsedBytes: 1 << 20, SwapTotalBytes: 2 << 30, Pressure: "warn"}
	tests := []struct {
		name         string
		gpu          GPU
		budget, used int64
	}{
		{"no device report", GPU{LimitBytes: 21 << 30}, 21 << 30, 0},
		{"free reported", GPU{LimitBytes: 21 << 30, FreeBytes: 15 << 30}, 21 << 30, 6 << 30},
		{"free above the limit", GPU{LimitBytes: 8 << 30, FreeBytes: 9 << 30}, 8 << 30, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			s.GPU = tt.gpu
			w := want
			w.GPUBudgetBytes, w.GPUUsedBytes = tt.budget, tt.used
			if got := s.View(); got != w {
				t.Errorf("View() = %+v, want %+v", got, w)
			}
		})
	}
}
