package docs

import (
	"strings"

	"github.com/perchapp/perch/engine/chat"
)

// A chat that names a collection is answered from it: the last user message is the question
// the collection is searched for, and the model sees, in its place, the prompt that cites what
// was found (Retrieval.Prompt). The stored history keeps the question as asked.

// Question finds the question of a chat: the index of its last user message. ok is false
// when there is none, or it is blank.
func Question(msgs []chat.Message) (i int, ok bool) {
	last := -1
	for i, m := range msgs {
		if m.Role == "user" {
			last = i
		}
	}
	if last < 0 || strings.TrimSpace(msgs[last].Content) == "" {
		return -1, false
	}
	return last, true
}

// Cite returns a copy of msgs in which message i, the question, is replaced by the prompt
// that cites r's sources; msgs itself is left as it was.
func (r *Retrieval) Cite(msgs []chat.Message, i int) []chat.Message {
	out := append(msgs[:0:0], msgs...)
	out[i].Content = r.Prompt()
	return out
}
