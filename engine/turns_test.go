package engine_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// randomText is n random ordinary tokens of m as text, as perch bench's chat turns are.
func randomText(t *testing.T, m *llama.Model, n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 99))
	var toks []llama.Token
	for len(toks) < n {
		tok := llama.Token(rng.IntN(m.NVocab()))
		if m.IsControl(tok) || m.IsEOG(tok) {
			continue
		}
		toks = append(toks, tok)
	}
	text, err := m.Detokenize(toks, true, false)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestChatNeverPrefillsAgain: a ten-turn chat that fits the context prefills only each turn's
// new tokens, whatever the (random) answers are; perch bench's chat re-prefilled whole
// conversations at some turns.
func TestChatNeverPrefillsAgain(t *testing.T) {
	path := synthtest.Model(t, "tiny", "ggml-vocab-phi-3.gguf", "F16")
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available: %v", err)
	}
	m, err := llama.LoadModel(path, llama.ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	e := newEngine(t, engine.Config{Resolver: enginetest.Files{"phi": path}, Slots: 4, ContextLength: 4096})
	bias := map[int32]float32{m.EOS(): -100}
	var msgs []chat.Message
	for turn := range 10 {
		msgs = append(msgs, chat.Message{Role: "user", Content: randomText(t, m, 49, uint64(10+turn))})
		res, err := e.Chat(context.Background(), engine.ChatRequest{Model: "phi", Messages: msgs, RequestOptions: engine.RequestOptions{MaxTokens: 64,
			Sampling: engine.Sampling{Temperature: 0, LogitBias: bias}}}, func(engine.ChatEvent) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		prefilled := res.Usage.PromptTokens - res.Usage.CachedTokens
		t.Logf("turn %d: %d prompt tokens, %d prefilled", turn+1, res.Usage.PromptTokens, prefilled)
		if turn > 0 && prefilled > 80 {
			t.Errorf("turn %d prefilled %d of %d prompt tokens; only the new turn (about 60) should be", turn+1, prefilled, res.Usage.PromptTokens)
		}
		msgs = append(msgs, res.Message)
	}
}
