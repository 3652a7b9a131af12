package worker

import (
	"strings"
	"sync"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// historyMax is how many recent prompts and answers are remembered.
const historyMax = 16

// history remembers recent prompts with their answers as the exact tokens the model saw and
// produced. A chat's next prompt is the previous one plus the answer plus a new turn; reusing
// those tokens, instead of tokenizing the answer's text again (which often splits it
// differently), lets the slot's cache cover the whole conversation so only the new turn is
// prefilled.
type history struct {
	mu    sync.Mutex
	turns []turn // most recent last
}

type turn struct {
	text   string
	tokens []llama.Token
}

func (h *history) add(text string, toks []llama.Token) {
	// A model can produce bytes that are not UTF-8 (a character's first byte, then another
	// character). The next prompt comes back through JSON, which replaces each such byte with
	// U+FFFD; remember the text as it will come back, or the next turn would not find it.
	text = engine.ValidText(text)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, t := range h.turns {
		// A turn this one extends is no longer needed.
		if strings.HasPrefix(text, t.text) {
			h.turns = append(h.turns[:i], h.turns[i+1:]...)
			break
		}
	}
	h.turns = append(h.turns, turn{text: text, tokens: toks})
	if len(h.turns) > historyMax {
		h.turns = h.turns[1:]
	}
}

// prefix returns the longest remembered turn whose text starts prompt.
func (h *history) prefix(prompt string) (turn, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var best turn
	for _, t := range h.turns {
		if len(t.text) > len(best.text) && strings.HasPrefix(prompt, t.text) {
			best = t
		}
	}
	return best, best.text != ""
}

// spliceTokens tokenizes prompt reusing a remembered turn's tokens for the text it shares. The
// rest must begin with a special token (the template's end-of-turn marker, say): tokenizers
// treat those as boundaries, so tokenizing the rest alone gives what tokenizing the whole would
// give from there on.
func spliceTokens(m *llama.Model, h *history, prompt string) ([]llama.Token, bool) {
	t, ok := h.prefix(prompt)
	if !ok {
		return nil, false
	}
	rest := prompt[len(t.text):]
	if rest == "" {
		return nil, false
	}
	more, err := m.Tokenize(rest, false, true)
	if err != nil || len(more) == 0 || !m.IsSpecial(more[0]) || !strings.HasPrefix(rest, string(m.Piece(more[0], true))) {
		return nil, false
	}
	out := make([]llama.Token, 0, len(t.tokens)+len(more))
	return append(append(out, t.tokens...), more...), true
}
