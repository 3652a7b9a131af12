package cli

import (
	"context"

	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/memplan"
)

// newPlanner is the engine's memory check: this machine's memory now (or the Mac that
// PERCH_SIMULATE_MEMORY_GB describes), judged by memplan's estimate.
func newPlanner(s *system.Sampler, slots int, kv string) (*memplan.Planner, error) {
	sim, simulated, err := memplan.SimulatedFromEnv()
	if err != nil {
		return nil, err
	}
	return &memplan.Planner{
		Slots:  slots,
		KVType: kv,
		Machine: func(ctx context.Context) (memplan.Machine, error) {
			if simulated {
				return sim, nil
			}
			snap, err := s.Sample(ctx)
			if err != nil {
				return memplan.Machine{}, err
			}
			return snap.Machine(), nil
		},
	}, nil
}

// deviceMemory reports the GPU memory the loaded workers saw (Metal's working set), so the
// budget uses the device's own figure once a model is loaded.
func deviceMemory(e *engine.Engine) system.DeviceMemory {
	return func() (total, free int64, ok bool) {
		for _, st := range e.Loaded() {
			for _, d := range st.Devices {
				if d.Type == "gpu" || d.Type == "igpu" {
					return int64(d.TotalBytes), int64(d.FreeBytes), true
				}
			}
		}
		return 0, 0, false
	}
}
