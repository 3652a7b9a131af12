package synth

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

// sharedDir is ../shared beside the module root, where the test vocabularies are.
func sharedDir(t testing.TB) string { return sharedtest.Dir(t) }

func spmVocab(t testing.TB) string {
	return filepath.Join(sharedDir(t), "vocab", "ggml-vocab-llama-spm.gguf")
}

func initLlama(t testing.TB) {
	t.Helper()
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available: %v", err)
	}
}

func fileHash(t *testing.T, p string) [32]byte {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

func TestPresets(t *testing.T) {
	for _, name := range Presets() {
		t.Run(name, func(t *testing.T) {
			s, err := Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	s, _ := Preset("100m")
	if p := s.Params(32000); p < 95e6 || p > 115e6 {
		t.Errorf("100m preset has %d parameters", p)
	}
	s, _ = Preset("1b")
	if p := s.Params(32000); p < 1.0e9 || p > 1.2e9 {
		t.Errorf("1b preset has %d parameters", p)
	}
	if _, err := Preset("nope"); err == nil || !strings.Contains(err.Error(), "tiny") {
		t.Errorf("unknown preset error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	base, _ := Preset("tiny")
	tests := []struct {
		name string
		edit func(*Spec)
		want string
	}{
		{"no layers", func(s *Spec) { s.Layers = 0 }, "layers"},
		{"gqa", func(s *Spec) { s.KVHeads = 3 }, "multiple of kv_heads"},
		{"odd head", func(s *Spec) { s.HeadDim = 33 }, "even"},
		{"type", func(s *Spec) { s.Type = "Q4_0" }, "F16 or F32"},
		{"huge", func(s *Spec) { s.Embd = 1 << 30 }, "embd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.edit(&s)
			if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestGenerateFile(t *testing.T) {
	voc := spmVocab(t)
	dir := t.TempDir()
	s, _ := Preset("tiny")
	s.RopeScale = 2
	s.HeadDim = 48 // not Embd/Heads, so key_length is written
	a := filepath.Join(dir, "a.gguf")
	if err := Generate(context.Background(), s, voc, a); err != nil {
		t.Fatal(err)
	}
	gf, err := gguf.ParseGGUFFile(a)
	if err != nil {
		t.Fatal(err)
	}
	ar := gf.Architecture()
	if ar.Architecture != "llama" || ar.BlockCount != 2 || ar.EmbeddingLength != 128 ||
		ar.AttentionHeadCount != 4 || ar.AttentionHeadCountKV != 2 || ar.AttentionKeyLength != 48 ||
		ar.RoPEScalingFactor != 2 || ar.MaximumContextLength != 2048 {
		t.Errorf("architecture read back: %+v", ar)
	}
	if got, want := uint64(gf.ModelParameters), s.Params(32000); got != want {
		t.Errorf("parameters = %d, want %d", got, want)
	}
	if kv, ok := gf.Header.MetadataKV.Get("tokenizer.ggml.tokens"); !ok || len(kv.ValueArray().Array) != 32000 {
		t.Error("tokenizer not copied")
	}
	// Deterministic: the same spec and seed give the same bytes; another seed does not.
	b := filepath.Join(dir, "b.gguf")
	if err := Generate(context.Background(), s, voc, b); err != nil {
		t.Fatal(err)
	}
	if fileHash(t, a) != fileHash(t, b) {
		t.Error("same seed gave different files")
	}
	s.Seed = 7
	if err := Generate(context.Background(), s, voc, b); err != nil {
		t.Fatal(err)
	}
	if fileHash(t, a) == fileHash(t, b) {
		t.Error("another seed gave the same file")
	}
}

func TestGenerateErrors(t *testing.T) {
	voc := spmVocab(t)
	dir := t.TempDir()
	s, _ := Preset("tiny")
	notVocab := filepath.Join(dir, "x.gguf")
	os.WriteFile(notVocab, []byte("not a gguf"), 0o644)
	if err := Generate(context.Background(), s, notVocab, filepath.Join(dir, "o.gguf")); err == nil {
		t.Error("a non-GGUF vocabulary was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "c.gguf")
	if err := Generate(ctx, s, voc, out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled generate: %v", err)
	}
	left, _ := os.ReadDir(dir)
	for _, e := range left {
		if strings.Contains(e.Name(), "c.gguf") {
			t.Errorf("cancelled generate left %s", e.Name())
		}
	}
}

// decodeCheck loads a model, checks its facts and decodes a prompt, returning the greedy
// continuation; logits must be finite.
func decodeCheck(t *testing.T, path string, s Spec, nVocab int, steps int) []llama.Token {
	t.Helper()
	m, err := llama.LoadModel(path, llama.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := m.Info()
	if in.Layers != s.Layers || in.Heads != s.Heads || in.KVHeads != s.KVHeads || in.EmbeddingSize != s.Embd ||
		in.Parameters != s.Params(nVocab) || in.VocabSize != nVocab {
		t.Fatalf("llama.cpp read %+v for spec %+v", in, s)
	}
	c, err := m.NewContext(llama.ContextOptions{NCtx: 256, NBatch: 64, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	toks, err := m.Tokenize("Once upon a time", true, false)
	if err != nil {
		t.Fatal(err)
	}
	b := llama.NewBatch(64)
	defer b.Free()
	for i, tk := range toks {
		b.Add(tk, i, 0, i == len(toks)-1)
	}
	var out []llama.Token
	pos := len(toks)
	for step := range steps {
		if err := c.Decode(b); err != nil {
			t.Fatal(err)
		}
		logits := c.Logits(b.Len() - 1)
		best := 0
		for i, v := range logits {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("step %d: logit %d is %v", step, i, v)
			}
			if v > logits[best] {
				best = i
			}
		}
		out = append(out, llama.Token(best))
		b.Clear()
		b.Add(llama.Token(best), pos, 0, true)
		pos++
	}
	return out
}

func TestLoadsInLlamaCpp(t *testing.T) {
	voc := spmVocab(t)
	initLlama(t)
	cache := t.TempDir()
	s, _ := Preset("tiny")
	for _, q := range []string{"F32", "F16", "Q8_0", "Q4_0", "Q4_K_M"} {
		t.Run(q, func(t *testing.T) {
			p, err := Build(context.Background(), s, voc, q, cache)
			if err != nil {
				t.Fatal(err)
			}
			gf, err := gguf.ParseGGUFFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if ft := gf.Metadata().FileType.String(); !strings.Contains(strings.ToUpper(ft), strings.TrimSuffix(q, "_M")) {
				t.Errorf("file type %s for %s", ft, q)
			}
			decodeCheck(t, p, s, 32000, 4)
		})
	}
}

func TestBuildCache(t *testing.T) {
	voc := spmVocab(t)
	cache := t.TempDir()
	s, _ := Preset("tiny")
	p1, err := Build(context.Background(), s, voc, "F16", cache)
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p1)
	p2, err := Build(context.Background(), s, voc, "f16", cache)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(p2)
	if p1 != p2 || !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second build did not reuse %s (got %s)", p1, p2)
	}
	s.Seed++
	p3, err := Build(context.Background(), s, voc, "F16", cache)
	if err != nil {
		t.Fatal(err)
	}
	if p3 == p1 {
		t.Error("another seed mapped to the same cache file")
	}
	// A half-written temporary file is never taken for the model.
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// Test100MGenerates builds the 100M-parameter preset in Q4_K_M and generates with it. It
// takes about half a minute on two cores, so -short skips it.
func Test100MGenerates(t *testing.T) {
	if testing.Short() {
		t.Skip("generating a 100M model is slow; run without -short")
	}
	voc := spmVocab(t)
	initLlama(t)
	cache := t.TempDir()
	s, _ := Preset("100m")
	p, err := Build(context.Background(), s, voc, "Q4_K_M", cache)
	if err != nil {
		t.Fatal(err)
	}
	toks := decodeCheck(t, p, s, 32000, 16)
	if len(toks) != 16 {
		t.Fatalf("generated %d tokens", len(toks))
	}
}
