package api

import (
	"context"
	"net/http"
	"time"

	"github.com/perchapp/perch/app/system"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

func (a *perchAPI) sampleMemory(ctx context.Context) (perchwire.MemoryView, error) {
	v := perchwire.MemoryView{Models: perchwire.ModelsMemory(a.s.eng.Loaded()), SampledAt: a.s.now().UTC()}
	if a.memory != nil {
		snap, err := a.memory.Memory(ctx)
		if err != nil {
			return v, err
		}
		v.System = &snap
	}
	return v, nil
}

func (a *perchAPI) memoryGet(w http.ResponseWriter, r *http.Request) error {
	v, err := a.sampleMemory(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// memoryEvents sends a sample about once a second while the client listens. Sampling runs
// only inside this handler, so nothing is measured when no Memory view is open.
func (a *perchAPI) memoryEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sw := newSSE(w)
	t := time.NewTicker(a.tick)
	defer t.Stop()
	for {
		v, err := a.sampleMemory(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			e := toAPIError(err)
			obj := openAIError(e).Error
			if sw.Send(map[string]any{"error": obj}) != nil {
				return nil
			}
		} else if sw.Send(v) != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (a *perchAPI) fitRoute(w http.ResponseWriter, r *http.Request) error {
	var q perchwire.FitQuery
	if err := decodeBody(r, &q); err != nil {
		return err
	}
	if err := q.Check(); err != nil {
		return err
	}
	f, err := a.fit.Fit(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// NewMemorySource reads memory through app/system's sampler.
func NewMemorySource(s *system.Sampler) MemorySource { return system.MemoryView{Sampler: s} }
