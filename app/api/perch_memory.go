package api

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/app/wire"
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
	// ContextTokens is the model's context per slot; ExpiresAt is when keep-alive unloads it
	// (absent while it is in use or kept for good), for the Memory view's countdown.
	ContextTokens int        `json:"context_tokens,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	// KVType (f16, q8_0, q4_0) and FlashAttn (auto, on, off) are what the model was loaded
	// with; the settings' defaults apply only to later loads.
	KVType    string `json:"kv_type"`
	FlashAttn string `json:"flash_attn"`
}

func modelsMemory(loaded []engine.Status) []modelMemory {
	out := make([]modelMemory, 0, len(loaded))
	for _, st := range loaded {
		m := st.Memory
		mm := modelMemory{Name: st.Name, WeightsBytes: m.WeightsBytes, KVBytes: m.KVBytes, KVUsedBytes: m.KVUsedBytes,
			ComputeBytes: m.ComputeBytes, OtherBytes: m.OutputBytes, RSSBytes: m.RSSBytes, Device: m.Device,
			Generating: st.Generating || st.Busy > 0, ContextTokens: st.SlotCtx,
			KVType: cmp.Or(strings.ToLower(st.Options.KVType), "f16"), FlashAttn: cmp.Or(st.Options.FlashAttn, "auto")}
		if !st.ExpiresAt.IsZero() {
			at := st.ExpiresAt.UTC()
			mm.ExpiresAt = &at
		}
		out = append(out, mm)
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
	var q FitQuery
	if err := decodeBody(r, &q); err != nil {
		return err
	}
	switch {
	case q.Model != "" && q.Ref != "":
		return badRequest("model", "give either model (installed) or ref (to download), not both")
	case q.Model != "":
		if err := wire.ValidateModelName("model", q.Model); err != nil {
			return err
		}
	case q.Ref != "":
		if err := wire.ValidatePullRef("ref", q.Ref); err != nil {
			return err
		}
	default:
		return badRequest("model", "give model (an installed model) or ref (one to download)")
	}
	if q.ContextLength < 0 || (q.ContextLength > 0 && q.ContextLength < engine.MinContext) || q.ContextLength > 1<<22 {
		return badRequest("num_ctx", "num_ctx must be 0 (automatic) or from %d to %d, got %d", engine.MinContext, 1<<22, q.ContextLength)
	}
	if q.Slots < 0 || q.Slots > 64 {
		return badRequest("slots", "slots must be from 0 (default) to 64, got %d", q.Slots)
	}
	switch q.KVType {
	case "", "f16", "q8_0", "q4_0":
	default:
		return badRequest("kv_type", "kv_type must be f16, q8_0 or q4_0, got %q", q.KVType)
	}
	f, err := a.fit.Fit(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f)
	return nil
}

// NewMemorySource reads memory through app/system's sampler.
func NewMemorySource(s *system.Sampler) MemorySource { return samplerSource{s} }

type samplerSource struct{ s *system.Sampler }

func (m samplerSource) Memory(ctx context.Context) (MemorySnapshot, error) {
	snap, err := m.s.Sample(ctx)
	if err != nil {
		return MemorySnapshot{}, err
	}
	out := MemorySnapshot{
		TotalBytes: snap.TotalBytes, UsedBytes: snap.UsedBytes, AvailableBytes: snap.AvailableBytes,
		WiredBytes: snap.WiredBytes, CompressedBytes: snap.CompressedBytes,
		SwapUsedBytes: snap.SwapUsedBytes, SwapTotalBytes: snap.SwapTotalBytes,
		Pressure: string(snap.Pressure), GPUBudgetBytes: snap.GPU.LimitBytes,
	}
	if snap.GPU.FreeBytes > 0 && snap.GPU.LimitBytes >= snap.GPU.FreeBytes {
		out.GPUUsedBytes = snap.GPU.LimitBytes - snap.GPU.FreeBytes
	}
	return out, nil
}
