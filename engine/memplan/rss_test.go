package memplan

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/perchapp/perch/engine/llama"
)

// envRSSChild carries a case to the child process that measures one load.
const envRSSChild = "PERCH_MEMPLAN_RSS_CHILD"

type rssCase struct {
	Model string `json:"model"`
	Ctx   int    `json:"ctx"`
	KV    string `json:"kv"`
	Slots int    `json:"slots"`
}

type rssResult struct {
	Start   int64 `json:"start"`   // before llama.cpp is loaded
	End     int64 `json:"end"`     // after load, context and a full micro-batch
	Buffers int64 `json:"buffers"` // llama.cpp's reported total
}

func rss() int64 {
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

// TestRSSChild is the child side of TestCalibrationRSS: it loads one model in a fresh process,
// decodes one full micro-batch so the compute buffer is touched, and prints its memory.
func TestRSSChild(t *testing.T) {
	spec := os.Getenv(envRSSChild)
	if spec == "" {
		t.Skip("run by TestCalibrationRSS")
	}
	var c rssCase
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	res := rssResult{Start: rss()}
	if err := llama.Init(""); err != nil {
		t.Fatal(err)
	}
	var b llama.Buffers
	llama.SetLogSink(func(_, l string) { b.Observe(l) })
	m, err := llama.LoadModel(c.Model, llama.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := m.NewContext(llama.ContextOptions{NCtx: c.Ctx * c.Slots, NSeqMax: c.Slots, NBatch: DefaultBatch,
		NUBatch: DefaultUBatch, TypeK: c.KV, TypeV: c.KV, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	batch := llama.NewBatch(DefaultUBatch)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range DefaultUBatch {
		// Logits for the last token only, as the worker asks; logits for every token would
		// grow the output buffer to vocab × 512 floats.
		batch.Add(llama.Token(rng.IntN(m.NVocab())), i, 0, i == DefaultUBatch-1)
	}
	if err := ctx.Decode(batch); err != nil {
		t.Fatal(err)
	}
	res.End = rss()
	res.Buffers = b.Total()
	out, _ := json.Marshal(res)
	fmt.Printf("RSS-RESULT %s\n", out)
}

// TestCalibrationRSS compares the estimated total (buffers plus overhead) with the resident
// memory of a process that loaded the model and decoded a full micro-batch. Memory-mapped
// weights are resident only where touched (the token embeddings mostly are not), so the
// estimate may exceed the RSS; it must not fall short of it by more than 5%.
func TestCalibrationRSS(t *testing.T) {
	sharedDir(t)
	initLlama(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		cm calModel
		c  rssCase
	}
	var rows []row
	for _, cm := range calibrationModels() {
		if cm.quant == "Q4_K_M" || (cm.preset == "gqa4" && cm.quant == "F16") {
			rows = append(rows, row{cm, rssCase{Ctx: 8192, KV: "f16", Slots: 1}})
		}
	}
	rows = append(rows, row{calModel{"gqa8", "ggml-vocab-deepseek-llm.gguf", "Q4_K_M"}, rssCase{Ctx: 32768, KV: "q8_0", Slots: 4}})
	if testing.Short() {
		rows = rows[len(rows)-2:]
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-6s %-7s %6s %5s %2s | %9s %9s %9s | %9s %9s %7s\n", "model", "quant", "ctx", "kv", "sl",
		"est MiB", "rss MiB", "bufs MiB", "start MiB", "rss-bufs", "err%")
	for _, r := range rows {
		r.c.Model = buildModel(t, r.cm.preset, r.cm.vocab, r.cm.quant)
		shape, err := ReadShape(r.c.Model)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Compute(shape, Options{Context: r.c.Ctx, Slots: r.c.Slots, KVTypeK: r.c.KV, KVTypeV: r.c.KV, Backend: BackendCPU, PerSlot: true})
		if err != nil {
			t.Fatal(err)
		}
		spec, _ := json.Marshal(r.c)
		cmd := exec.Command(exe, "-test.run=^TestRSSChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envRSSChild+"="+string(spec))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child for %+v: %v\n%s", r.c, err, out)
		}
		var res rssResult
		for _, l := range strings.Split(string(out), "\n") {
			if s, ok := strings.CutPrefix(l, "RSS-RESULT "); ok {
				if err := json.Unmarshal([]byte(s), &res); err != nil {
					t.Fatal(err)
				}
			}
		}
		if res.End == 0 {
			t.Fatalf("child for %+v printed no result:\n%s", r.c, out)
		}
		errPct := pct(e.TotalBytes, res.End)
		fmt.Fprintf(&table, "%-6s %-7s %6d %5s %2d | %9.1f %9.1f %9.1f | %9.1f %9.1f %+7.2f\n", r.cm.preset, r.cm.quant, r.c.Ctx, r.c.KV, r.c.Slots,
			float64(e.TotalBytes)/(1<<20), float64(res.End)/(1<<20), float64(res.Buffers)/(1<<20),
			float64(res.Start)/(1<<20), float64(res.End-res.Buffers)/(1<<20), errPct)
		if float64(e.TotalBytes) < 0.95*float64(res.End) {
			t.Errorf("%s/%s ctx %d: estimate %d is %.1f%% under the resident memory %d", r.cm.preset, r.cm.quant, r.c.Ctx, e.TotalBytes, -errPct, res.End)
		}
	}
	t.Logf("estimated total vs the resident memory of a process that loaded the model and decoded 512 tokens\n%s", table.String())
}
