package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/memplan"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// TestSlidingWindowCacheIsWindowed: a Gemma 3-style model keeps only the window on its
// sliding-window layers, as the memory plan says (llama.cpp's default keeps full caches).
func TestSlidingWindowCacheIsWindowed(t *testing.T) {
	path := synthtest.Model(t, "gemma3", "ggml-vocab-llama-spm.gguf", "Q8_0")
	e := newEngine(t, engine.Config{Resolver: enginetest.Files{"g": path}, Slots: 1, ContextLength: 8192})
	ctx := context.Background()
	long := strings.Repeat("Once upon a time there was a girl who liked to play. ", 40) // about 500 tokens
	first, err := e.Complete(ctx, greedy("g", long+"She", 4), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := e.Loaded()[0]
	shape, err := memplan.ReadShape(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := memplan.Compute(shape, memplan.Options{Context: 8192, Slots: 1, Backend: memplan.BackendCPU})
	full, _ := memplan.Compute(shape, memplan.Options{Context: 8192, Slots: 1, Backend: memplan.BackendCPU, SWAFull: true})
	if st.Memory.KVBytes != want.KVBytes || want.KVBytes >= full.KVBytes {
		t.Errorf("KV %d bytes; the windowed plan says %d (full-size %d)", st.Memory.KVBytes, want.KVBytes, full.KVBytes)
	}
	if first.Usage.CompletionTokens == 0 {
		t.Error("no answer")
	}
}
