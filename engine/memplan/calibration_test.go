package memplan

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine/llama"
)

// calModel is one synthetic model of the calibration matrix.
type calModel struct {
	preset, vocab, quant string
}

// calibrationModels covers MHA, GQA 4:1 and 8:1, three vocabulary sizes and three weight types.
func calibrationModels() []calModel {
	var ms []calModel
	for _, q := range []string{"Q4_K_M", "Q8_0", "F16"} {
		ms = append(ms,
			calModel{"mha", "ggml-vocab-gpt-2.gguf", q},         // 4 heads, 50k vocab
			calModel{"gqa4", "ggml-vocab-llama-spm.gguf", q},    // 8:2 heads, 32k vocab
			calModel{"gqa8", "ggml-vocab-deepseek-llm.gguf", q}, // 16:2 heads, head size 32, 102k vocab
		)
	}
	return ms
}

// fullGrid keeps the matrix small enough for CI: every context, KV type and slot count for
// the Q4_K_M models except a 32k × 4-slot f16 cache (its 512 MiB take seconds to fault in on
// these machines; the q8_0 one stays), and two corners for the other weight types, which
// change only the exact weights term. -short keeps one model's corners.
func fullGrid(cm calModel, ctx int, kv string, slots int) bool {
	corner := (ctx == 8192 && kv == "f16" && slots == 1) || (ctx == 2048 && kv == "q8_0" && slots == 4)
	if testing.Short() {
		return cm.preset == "gqa4" && cm.quant == "Q4_K_M" && corner
	}
	if cm.quant != "Q4_K_M" {
		return corner
	}
	return !(ctx == 32768 && slots == 4 && kv == "f16")
}

// measured loads a context and returns llama.cpp's reported buffers (model buffers included).
func measured(t *testing.T, m *llama.Model, weights llama.Buffers, o Options) (llama.Buffers, error) {
	var b llama.Buffers
	llama.SetLogSink(func(_, line string) { b.Observe(line) })
	defer llama.SetLogSink(nil)
	nCtx := o.Context
	if o.PerSlot {
		nCtx *= o.Slots
	}
	c, err := m.NewContext(llama.ContextOptions{
		NCtx: nCtx, NSeqMax: o.Slots, NBatch: o.Batch, NUBatch: o.UBatch, KVUnified: !o.PerSlot,
		TypeK: o.KVTypeK, TypeV: o.KVTypeV, FlashAttn: o.FlashAttn, Threads: 1, SWAFull: o.SWAFull,
	})
	if err != nil {
		return b, err
	}
	c.Close()
	for _, x := range weights.List {
		b.List = append(b.List, x)
	}
	b.Weights = weights.Weights
	return b, nil
}

func pct(est, real int64) float64 {
	if real == 0 {
		return 0
	}
	return 100 * float64(est-real) / float64(real)
}

// TestCalibration compares the estimate with what llama.cpp allocates, over a matrix of
// synthetic models, contexts, KV types and slot counts, and prints the table. Target: the
// total within 5% in every case.
func TestCalibration(t *testing.T) {
	sharedDir(t)
	initLlama(t)
	var table strings.Builder
	fmt.Fprintf(&table, "%-6s %-6s %-7s %6s %5s %2s | %9s %9s %9s %9s | %9s %9s %6s\n",
		"model", "vocab", "quant", "ctx", "kv", "sl", "weights", "kv", "compute", "output", "est MiB", "real MiB", "err%")
	worst := 0.0
	for _, cm := range calibrationModels() {
		if testing.Short() && (cm.preset != "gqa4" || cm.quant != "Q4_K_M") {
			continue
		}
		path := buildModel(t, cm.preset, cm.vocab, cm.quant)
		shape, err := ReadShape(path)
		if err != nil {
			t.Fatal(err)
		}
		var wb llama.Buffers
		llama.SetLogSink(func(_, line string) { wb.Observe(line) })
		m, err := llama.LoadModel(path, llama.ModelOptions{})
		llama.SetLogSink(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, ctx := range []int{2048, 8192, 32768} {
			for _, kv := range []string{"f16", "q8_0"} {
				for _, slots := range []int{1, 4} {
					if !fullGrid(cm, ctx, kv, slots) {
						continue
					}
					o := Options{Context: ctx, Slots: slots, KVTypeK: kv, KVTypeV: kv, Backend: BackendCPU}
					e, err := Compute(shape, o)
					if err != nil {
						t.Fatal(err)
					}
					real, err := measured(t, m, wb, e.Options)
					if err != nil {
						t.Fatalf("%v %s ctx %d %s ×%d: %v", cm, cm.quant, ctx, kv, slots, err)
					}
					errPct := pct(e.BuffersBytes(), real.Total())
					worst = math.Max(worst, math.Abs(errPct))
					vocab := strings.TrimSuffix(strings.TrimPrefix(cm.vocab, "ggml-vocab-"), ".gguf")
					fmt.Fprintf(&table, "%-6s %-6.6s %-7s %6d %5s %2d | %+8.1f%% %+8.1f%% %+8.1f%% %+8.1f%% | %9.1f %9.1f %+6.2f\n",
						cm.preset, vocab, cm.quant, ctx, kv, slots,
						pct(e.WeightsBytes, real.Weights), pct(e.KVBytes, real.KV), pct(e.ComputeBytes, real.Compute), pct(e.OutputBytes, real.Output),
						float64(e.BuffersBytes())/(1<<20), float64(real.Total())/(1<<20), errPct)
					if math.Abs(errPct) > 5 {
						t.Errorf("%s/%s/%s ctx %d kv %s slots %d: estimate %d, llama.cpp %d (%+.2f%%)",
							cm.preset, vocab, cm.quant, ctx, kv, slots, e.BuffersBytes(), real.Total(), errPct)
					}
					// The verdict is never "fits" when the real total exceeds the budget.
					for _, frac := range []float64{0.90, 0.97, 0.999} {
						b := Budget{Bytes: int64(float64(real.Total()+e.OverheadBytes) * frac)}
						f, _ := Check(shape, o, b, nil)
						if f.Verdict == Fits {
							t.Errorf("%s ctx %d: verdict fits with a budget %.1f%% of the real need", cm.preset, ctx, frac*100)
						}
					}
				}
			}
		}
		m.Close()
	}
	t.Logf("calibration: estimate vs llama.cpp's reported buffers (per-part errors, total error); worst |error| %.2f%%\n%s", worst, table.String())
}
