package api

import (
	"context"
	"net/http"
	"time"

	"github.com/perchapp/perch/engine"
)

// memoryView is one sample for the Memory view: the machine, and what each loaded model
// holds, against the budget models may use.
type memoryView struct {
	System    *MemorySnapshot `json:"system,omitempty"`
	Models    []modelMemory   `json:"models"`
	SampledAt time.Time       `json:"sampled_at"`
}

type modelMemory struct {
	Name         string `json:"name"`
	WeightsBytes int64  `json:"weights_bytes"`
	KVBytes      int64  `json:"kv_bytes"`
	KVUsedBytes  int64  `json:"kv_used_bytes"`
	ComputeBytes int64  `json:"compute_bytes"`
	OtherBytes   int64  `json:"other_bytes"`
	RSSBytes     int64  `json:"rss_bytes"`
	Device       string `json:"device,omitempty"`
	Generating   bool   `json:"generating"`
}

func modelsMemory(loaded []engine.Status) []modelMemory {
	out := make([]modelMemory, 0, len(loaded))
	for _, st := range loaded {
		m := st.Memory
		out = append(out, modelMemory{Name: st.Name, WeightsBytes: m.WeightsBytes, KVBytes: m.KVBytes, KVUsedBytes: m.KVUsedBytes,
			ComputeBytes: m.ComputeBytes, OtherBytes: m.OutputBytes, RSSBytes: m.RSSBytes, Device: m.Device,
			Generating: st.Generating || st.Busy > 0})
	}
	return out
}

func (a *perchAPI) sampleMemory(ctx context.Context) (memoryView, error) {
	v := memoryView{Models: modelsMemory(a.s.eng.Loaded()), SampledAt: a.s.now().UTC()}
	if a.memory != nil {
		snap, err := a.memory.Memory(ctx)
		if err != nil {
			return v, err
		}
		v.System = &snap
	}
	return v, nil
}

func (a *perchAPI) memoryGet(w http.ResponseWriter, r *http.Request) {
	v, err := a.sampleMemory(r.Context())
	if err != nil {
		writeOpenAIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// memoryEvents sends a sample about once a second while the client listens. Sampling runs
// only inside this handler, so nothing is measured when no Memory view is open.
func (a *perchAPI) memoryEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sw := newSSE(w)
	t := time.NewTicker(a.tick)
	defer t.Stop()
	for {
		v, err := a.sampleMemory(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			e := toAPIError(err)
			obj := openAIError(e).Error
			if sw.Send(map[string]any{"error": obj}) != nil {
				return
			}
		} else if sw.Send(v) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *perchAPI) fitRoute(w http.ResponseWriter, r *http.Request) {
	if a.fit == nil {
		writeOpenAIError(w, r, unavailable("memory estimates"))
		return
	}
	var q FitQuery
	if err := decodeBody(r, &q); err != nil {
		writeOpenAIError(w, r, err)
		return
	}
	switch {
	case q.Model != "" && q.Ref != "":
		writeOpenAIError(w, r, badRequest("model", "give either model (installed) or ref (to download), not both"))
		return
	case q.Model != "":
		if err := validateModelName("model", q.Model); err != nil {
			writeOpenAIError(w, r, err)
			return
		}
	case q.Ref != "":
		if err := validatePullRef("ref", q.Ref); err != nil {
			writeOpenAIError(w, r, err)
			return
		}
	default:
		writeOpenAIError(w, r, badRequest("model", "give model (an installed model) or ref (one to download)"))
		return
	}
	if q.ContextLength < 0 || (q.ContextLength > 0 && q.ContextLength < engine.MinContext) || q.ContextLength > 1<<22 {
		writeOpenAIError(w, r, badRequest("num_ctx", "num_ctx must be 0 (automatic) or from %d to %d, got %d", engine.MinContext, 1<<22, q.ContextLength))
		return
	}
	if q.Slots < 0 || q.Slots > 64 {
		writeOpenAIError(w, r, badRequest("slots", "slots must be from 0 (default) to 64, got %d", q.Slots))
		return
	}
	switch q.KVType {
	case "", "f16", "q8_0", "q4_0":
	default:
		writeOpenAIError(w, r, badRequest("kv_type", "kv_type must be f16, q8_0 or q4_0, got %q", q.KVType))
		return
	}
	f, err := a.fit.Fit(r.Context(), q)
	if err != nil {
		writeOpenAIError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}
