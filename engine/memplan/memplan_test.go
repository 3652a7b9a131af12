package memplan

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/llama"
)

// TestKVAgainstStories260K checks the KV, output and compute formulas against llama.cpp's
// reported buffers for a real model at several contexts and slot counts, with and without
// flash attention and a unified cache.
func TestKVAgainstStories260K(t *testing.T) {
	path := filepath.Join(sharedDir(t), "models", "stories260K.gguf")
	initLlama(t)
	shape, err := ReadShape(path)
	if err != nil {
		t.Fatal(err)
	}
	if shape.Layers != 5 || shape.KVHeads[0] != 4 || shape.HeadDimK != 8 || shape.Vocab != 512 {
		t.Fatalf("shape %+v", shape)
	}
	m, err := llama.LoadModel(path, llama.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const slack = 6 << 10 // the log prints MiB with two decimals
	tests := []struct {
		ctx, slots int
		fa         string
		unified    bool
	}{
		{256, 1, "on", false}, {1000, 1, "on", false}, {1000, 3, "on", false}, {2048, 2, "off", false},
		{4096, 4, "on", false}, {3000, 4, "off", true}, {512, 8, "on", false},
		{4096, 4, "on", true}, {1000, 3, "on", true}, {2048, 64, "on", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("ctx%d×%d-fa%s-unified%v", tc.ctx, tc.slots, tc.fa, tc.unified), func(t *testing.T) {
			o := Options{Context: tc.ctx, Slots: tc.slots, FlashAttn: tc.fa, PerSlot: !tc.unified, Backend: BackendCPU}
			e, err := Compute(shape, o)
			if err != nil {
				t.Fatal(err)
			}
			var b llama.Buffers
			var unifiedLog string
			llama.SetLogSink(func(_, l string) {
				b.Observe(l)
				if strings.Contains(l, "kv_unified") {
					unifiedLog = strings.Join(strings.Fields(l), " ")
				}
			})
			nCtx := tc.ctx * tc.slots
			if tc.unified {
				nCtx = tc.ctx // one cache of ctx cells, shared
			}
			c, err := m.NewContext(llama.ContextOptions{NCtx: nCtx, NSeqMax: tc.slots,
				FlashAttn: tc.fa, KVUnified: tc.unified, Threads: 1})
			llama.SetLogSink(nil)
			if err != nil {
				t.Fatal(err)
			}
			cells := c.NCtxSeq()
			c.Close()
			// llama.cpp says which cache it built: yzma's KVUnified takes effect.
			if want := fmt.Sprintf("kv_unified = %v", tc.unified); !strings.Contains(unifiedLog, want) {
				t.Errorf("llama.cpp log %q, want %q", unifiedLog, want)
			}
			if cells != e.KVCells {
				t.Errorf("cells per slot %d, estimated %d", cells, e.KVCells)
			}
			for _, p := range []struct {
				name      string
				est, real int64
			}{{"KV", e.KVBytes, b.KV}, {"output", e.OutputBytes, b.Output}} {
				if d := p.est - p.real; d > slack || d < -slack {
					t.Errorf("%s: estimated %d, llama.cpp %d", p.name, p.est, p.real)
				}
			}
			// The compute buffer of this toy model is tiny (a few MiB); allow 10% either way.
			if d := float64(e.ComputeBytes-b.Compute) / float64(b.Compute); d > 0.10 || d < -0.10 {
				t.Errorf("compute: estimated %d, llama.cpp %d", e.ComputeBytes, b.Compute)
			}
		})
	}
}

// rangeServer serves a file with Range support (http.ServeContent) and counts the bytes sent.
func rangeServer(t *testing.T, path string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w, n: &sent}
		http.ServeContent(cw, r, "model.gguf", time.Time{}, strings.NewReader(string(data)))
	}))
	t.Cleanup(srv.Close)
	return srv, &sent
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.ResponseWriter.Write(p)
}

func TestRemoteHeader(t *testing.T) {
	path := buildModel(t, "gqa4", "ggml-vocab-llama-spm.gguf", "Q8_0")
	local, err := ReadShape(path)
	if err != nil {
		t.Fatal(err)
	}
	srv, sent := rangeServer(t, path)
	remote, err := FetchShape(context.Background(), srv.URL+"/gqa4-Q8_0.gguf", nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if sent.Load() > st.Size()/4 {
		t.Errorf("fetched %d of %d bytes; the header alone should do", sent.Load(), st.Size())
	}
	o := Options{Context: 8192, Slots: 2, Backend: BackendMetal}
	el, _ := Compute(local, o)
	er, err := Compute(remote, o)
	if err != nil {
		t.Fatal(err)
	}
	if el.TotalBytes != er.TotalBytes || el.WeightsBytes != er.WeightsBytes || el.KVBytes != er.KVBytes {
		t.Errorf("remote estimate %+v differs from local %+v", er, el)
	}

	// A server that is not a GGUF, a missing file and a bad URL give errors, not panics.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "missing.gguf") {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "x", time.Time{}, strings.NewReader(strings.Repeat("not a gguf ", 100)))
	}))
	defer bad.Close()
	for _, u := range []string{bad.URL + "/x.gguf", bad.URL + "/missing.gguf", "ftp://example.com/x.gguf"} {
		if _, err := FetchShape(context.Background(), u, nil); err == nil {
			t.Errorf("%s: no error", u)
		}
	}
}

func TestBadLocalFiles(t *testing.T) {
	dir := t.TempDir()
	tests := map[string][]byte{
		"empty.gguf":     nil,
		"text.gguf":      []byte("hello"),
		"truncated.gguf": []byte("GGUF\x03\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			os.WriteFile(p, data, 0o644)
			if _, err := ReadShape(p); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := ReadShape(filepath.Join(dir, "nope.gguf")); err == nil {
		t.Error("missing file: no error")
	}
}

// Catalog-sized models, from their published configurations and file sizes.
var (
	llama31_8B = Summary{Architecture: "llama", FileBytes: 4_920_000_000, Layers: 32, Heads: 32, KVHeads: 8,
		HeadDim: 128, Embd: 4096, Context: 131072, Vocab: 128256, FFN: 14336}
	qwen25_32B = Summary{Architecture: "qwen2", FileBytes: 19_850_000_000, Layers: 64, Heads: 40, KVHeads: 8,
		HeadDim: 128, Embd: 5120, Context: 32768, Vocab: 152064, FFN: 27648}
	gemma3_12B = Summary{Architecture: "gemma3", FileBytes: 7_300_000_000, Layers: 48, Heads: 16, KVHeads: 8,
		HeadDim: 256, Embd: 3840, Context: 131072, Vocab: 262144, FFN: 15360, SlidingWindow: 1024, SWAPattern: 6}
)

func qwen3_8B(bytes int64) Summary {
	return Summary{Architecture: "qwen3", FileBytes: bytes, Layers: 36, Heads: 32, KVHeads: 8, HeadDim: 128,
		Embd: 4096, Context: 40960, Vocab: 151936, FFN: 12288}
}

func mustShape(t *testing.T, s Summary) Shape {
	t.Helper()
	sh, err := ApproxShape(s)
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

// TestSimulatedMacs answers for 16 GB and 32 GB Macs. Budgets: 16 GB → min(10.67 − 1, 16 − 4)
// = 9.67 GiB; 32 GB → min(21.33 − 1, 32 − 4) = 20.33 GiB. The expected verdicts were worked out
// by hand from the formulas (the comments give the totals) and checked here.
func TestSimulatedMacs(t *testing.T) {
	mac16 := BudgetFor(SimulatedMac(16*gib), 0)
	mac32 := BudgetFor(SimulatedMac(32*gib), 0)
	if mac16.Bytes != 16*gib/3*2-gib || mac32.Bytes != 32*gib/3*2-gib {
		t.Fatalf("budgets %d and %d", mac16.Bytes, mac32.Bytes)
	}
	tests := []struct {
		name   string
		model  Summary
		ctx    int
		slots  int
		kv     string
		budget Budget
		want   Verdict
		// perSlot gives each slot its own cache (the default is one shared cache).
		perSlot bool
	}{
		// 4.58 GiB weights + 1 GiB KV + 0.27 compute + 0.22 overhead = 6.1 GiB: 37% to spare.
		{"8B Q4_K_M, 16 GB, 8k", llama31_8B, 8192, 1, "f16", mac16, Fits, false},
		// Four 8k slots, each its own cache: 4 GiB of KV, 9.1 GiB in all: under 10% to spare.
		{"8B Q4_K_M, 16 GB, 8k × 4 per-slot caches", llama31_8B, 8192, 4, "f16", mac16, Tight, true},
		// Four slots sharing one 8k cache: as one slot, plus three rows of logits.
		{"8B Q4_K_M, 16 GB, 8k × 4 slots shared", llama31_8B, 8192, 4, "f16", mac16, Fits, false},
		{"8B Q4_K_M, 16 GB, 32k", llama31_8B, 32768, 1, "f16", mac16, Tight, false},
		{"8B Q4_K_M, 16 GB, 64k", llama31_8B, 65536, 1, "f16", mac16, TooLarge, false},
		// 18.5 GiB of weights alone.
		{"32B Q4_K_M, 16 GB, 8k", qwen25_32B, 8192, 1, "f16", mac16, TooLarge, false},
		// 18.5 + 2 GiB KV + 0.32 + 0.22 = 21.0 GiB > 20.33: too large with an f16 cache...
		{"32B Q4_K_M, 32 GB, 8k", qwen25_32B, 8192, 1, "f16", mac32, TooLarge, false},
		// ...but 20.1 GiB with a q8_0 one, and 19.6 GiB at 4k.
		{"32B Q4_K_M, 32 GB, 8k q8_0", qwen25_32B, 8192, 1, "q8_0", mac32, Tight, false},
		{"32B Q4_K_M, 32 GB, 4k", qwen25_32B, 4096, 1, "f16", mac32, Tight, false},
		// Sliding-window layers keep 1024 + 512 cells: 8 full layers of 32k (2 GiB) + 40 of
		// 1536 (0.47 GiB) + 6.8 GiB weights + 0.52 compute + 0.22 = 10.0 GiB.
		{"Gemma 3 12B Q4_K_M, 16 GB, 32k", gemma3_12B, 32768, 1, "f16", mac16, TooLarge, false},
		{"Gemma 3 12B Q4_K_M, 32 GB, 32k", gemma3_12B, 32768, 1, "f16", mac32, Fits, false},
		// 6.8 + 0.97 KV + 0.52 compute (262k vocabulary) + 0.22 = 8.5 GiB: 12% to spare.
		{"Gemma 3 12B Q4_K_M, 16 GB, 8k", gemma3_12B, 8192, 1, "f16", mac16, Fits, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Context: tc.ctx, Slots: tc.slots, KVTypeK: tc.kv, KVTypeV: tc.kv, Backend: BackendMetal, PerSlot: tc.perSlot}
			f, err := Check(mustShape(t, tc.model), o, tc.budget, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s (max ctx %d)", tc.name, f.Message, f.MaxCtx)
			if f.Verdict != tc.want {
				t.Errorf("verdict %s, want %s", f.Verdict, tc.want)
			}
			if f.Verdict == TooLarge && f.MaxCtx >= tc.ctx {
				t.Errorf("too large at %d but max ctx %d", tc.ctx, f.MaxCtx)
			}
			if f.Verdict != TooLarge && f.MaxCtx < tc.ctx {
				t.Errorf("%s at %d but max ctx %d", f.Verdict, tc.ctx, f.MaxCtx)
			}
		})
	}
	// The largest context of the 32B model on a 32 GB Mac: KV may take 20.33 − 18.49 − 0.32 −
	// 0.22 = 1.30 GiB, 256 KiB a token: 5120 tokens (multiple of 256).
	if got := MaxContext(mustShape(t, qwen25_32B), Options{Backend: BackendMetal}, mac32.Bytes); got != 5120 {
		t.Errorf("32B max ctx on 32 GB = %d, want 5120", got)
	}
}

func TestBestQuant(t *testing.T) {
	var cands []Candidate
	for _, q := range []struct {
		name  string
		bytes int64
	}{{"Q4_K_M", 5_030_000_000}, {"Q5_K_M", 5_850_000_000}, {"Q6_K", 6_730_000_000}, {"Q8_0", 8_710_000_000}} {
		cands = append(cands, Candidate{Name: q.name, Shape: mustShape(t, qwen3_8B(q.bytes))})
	}
	tests := []struct {
		ram  int64
		want string
	}{
		// Q8_0: 8.11 + 1.13 KV + 0.31 + 0.22 = 9.8 GiB > 9.67; Q6_K: 7.6 GiB, 21% to spare.
		{16 * gib, "Q6_K"},
		{32 * gib, "Q8_0"},
		// 8 GB: budget min(5.33 − 1, 4) = 4 GiB: nothing fits.
		{8 * gib, ""},
	}
	for _, tc := range tests {
		t.Run(format.Memory(tc.ram), func(t *testing.T) {
			best, all, err := BestQuant(cands, Options{Backend: BackendMetal}, BudgetFor(SimulatedMac(tc.ram), 0), nil)
			if err != nil {
				t.Fatal(err)
			}
			if best != tc.want {
				for _, r := range all {
					t.Logf("%s: %s", r.Name, r.Fit.Message)
				}
				t.Errorf("best %q, want %q", best, tc.want)
			}
			if len(all) != 4 || all[0].Name != "Q8_0" || all[0].Fit.Context < ContextSteps[0] {
				t.Errorf("ranking %+v", all)
			}
		})
	}
}

func TestCheckResident(t *testing.T) {
	s := mustShape(t, llama31_8B)
	b := BudgetFor(SimulatedMac(16*gib), 0)
	o := Options{Context: 8192, Backend: BackendMetal}
	resident := []Resident{{"old", 2 * gib}, {"newer", 2 * gib}, {"newest", 1 * gib}}
	f, err := Check(s, o, b, resident)
	if err != nil {
		t.Fatal(err)
	}
	// 6.1 GiB needed, 9.67 − 5 = 4.67 free: unloading "old" frees enough.
	if f.Verdict != Tight || len(f.Unload) != 1 || f.Unload[0] != "old" || !strings.Contains(f.Message, "unloading old") {
		t.Errorf("got %s, unload %v: %s", f.Verdict, f.Unload, f.Message)
	}
	f, _ = Check(s, o, b, resident[2:])
	if f.Verdict != Fits {
		t.Errorf("with 1 GiB resident: %s", f.Message)
	}
}

func TestChooseContext(t *testing.T) {
	s := mustShape(t, llama31_8B)
	o := Options{Backend: BackendMetal}
	// 8B Q4_K_M on 16 GB (9.67 GiB): 16k needs 7.1 GiB, 32k 9.1 GiB (under 10% to spare).
	ctx, msg, err := ChooseContext(s, o, BudgetFor(SimulatedMac(16*gib), 0).Bytes)
	if err != nil || ctx != 16384 || !strings.Contains(msg, "supports 131072") {
		t.Errorf("16 GB: %d %q %v", ctx, msg, err)
	}
	// 32 GB (20.33 GiB): 32k, the largest step.
	if ctx, _, _ := ChooseContext(s, o, BudgetFor(SimulatedMac(32*gib), 0).Bytes); ctx != 32768 {
		t.Errorf("32 GB: %d", ctx)
	}
	o.Slots, o.PerSlot = 4, true
	ctx, msg, err = ChooseContext(s, o, 7*gib)
	if err != nil || ctx >= 4096 || ctx%256 != 0 || !strings.Contains(msg, "largest that fits") {
		t.Errorf("7 GiB × 4 slots: %d %q %v", ctx, msg, err)
	}
	if _, _, err := ChooseContext(s, o, 2*gib); !errors.Is(err, ErrNoContextFits) {
		t.Errorf("2 GiB: %v", err)
	}
	small := s
	small.ContextLength = 2048
	if ctx, msg, _ := ChooseContext(small, Options{Backend: BackendMetal}, 20*gib); ctx != 2048 || !strings.Contains(msg, "training context") {
		t.Errorf("short model: %d %q", ctx, msg)
	}
}

func TestOptionErrors(t *testing.T) {
	s := mustShape(t, llama31_8B)
	tests := []struct {
		o    Options
		want string
	}{
		{Options{KVTypeK: "q3"}, "unknown KV cache type"},
		{Options{KVTypeV: "q8_0", FlashAttn: "off"}, "needs flash attention"},
		{Options{FlashAttn: "maybe"}, "auto, on or off"},
		{Options{Slots: 1000}, "256"},
		{Options{Backend: "cuda"}, "backend"},
		{Options{Context: 1 << 30}, "beyond"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := Compute(s, tc.o)
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	odd := s
	odd.HeadDimK, odd.HeadDimV = 80, 80
	if _, err := Compute(odd, Options{KVTypeK: "q8_0", KVTypeV: "q8_0"}); err == nil || !strings.Contains(err.Error(), "multiple of 32") {
		t.Errorf("head size 80 with q8_0: %v", err)
	}
	if _, err := Compute(Shape{}, Options{}); err == nil {
		t.Error("empty shape accepted")
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"32GB", 32 * gib, true}, {"16 GiB", 16 * gib, true}, {"24g", 24 * gib, true}, {"512MB", 512 << 20, true},
		{"1.5TB", 3 << 39, true}, {"8", 8 * gib, true}, {"", 0, false}, {"lots", 0, false}, {"-4GB", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
	t.Setenv(EnvSimulateMemory, "32")
	m, ok, err := SimulatedFromEnv()
	if err != nil || !ok || m.TotalBytes != 32*gib || !m.AppleSilicon {
		t.Errorf("env: %+v %v %v", m, ok, err)
	}
	t.Setenv(EnvSimulateMemory, "x")
	if _, _, err := SimulatedFromEnv(); err == nil {
		t.Error("bad env accepted")
	}
}

func TestDefaultWorkingSet(t *testing.T) {
	for _, tc := range []struct{ ram, want int64 }{
		{8 * gib, 8 * gib / 3 * 2}, {16 * gib, 16 * gib / 3 * 2}, {32 * gib, 32 * gib / 3 * 2},
		{36 * gib, 27 * gib}, {64 * gib, 48 * gib}, {128 * gib, 96 * gib},
	} {
		if got := DefaultWorkingSet(tc.ram); got != tc.want {
			t.Errorf("%s: %d, want %d", format.Memory(tc.ram), got, tc.want)
		}
	}
	cpu := BudgetFor(Machine{TotalBytes: 16 * gib, AvailableBytes: 10 * gib}, 2*gib)
	if cpu.Bytes != 12*gib-cpuMargin(16*gib) {
		t.Errorf("cpu budget %d", cpu.Bytes)
	}
}

// TestEmbeddingModel: an embedding model runs a whole input per micro-batch and makes no
// logits, so its compute buffer does not grow with its (often 250k) vocabulary.
func TestEmbeddingModel(t *testing.T) {
	s := mustShape(t, Summary{Architecture: "bert", FileBytes: 1 << 30, Layers: 24, Heads: 16, Embd: 1024,
		Context: 8192, Vocab: 250002, FFN: 4096})
	chat, _ := Compute(s, Options{Context: 8192, Backend: BackendCPU})
	s.Embedding = true
	emb, err := Compute(s, Options{Context: 8192, Backend: BackendCPU})
	if err != nil {
		t.Fatal(err)
	}
	if emb.UBatch != 8192 || emb.OutputBytes != 1024*4*8192 {
		t.Errorf("ubatch %d, output %d", emb.UBatch, emb.OutputBytes)
	}
	if chat.ComputeBytes < 250002*512*4 {
		t.Errorf("chat compute %d lacks the logits", chat.ComputeBytes)
	}
	if emb.ComputeBytes >= 250002*512*4 && emb.ComputeBytes == chat.ComputeBytes {
		t.Errorf("embedding compute %d counts logits", emb.ComputeBytes)
	}
}
