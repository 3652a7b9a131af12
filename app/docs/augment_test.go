package docs

import (
	"strings"
	"testing"

	"github.com/perchapp/perch/engine/chat"
)

func TestQuestion(t *testing.T) {
	for _, c := range []struct {
		name string
		msgs []chat.Message
		want int
		ok   bool
	}{
		{"none", nil, -1, false},
		{"no user turn", []chat.Message{{Role: "system", Content: "be brief"}}, -1, false},
		{"blank", []chat.Message{{Role: "user", Content: "first"}, {Role: "assistant", Content: "a"}, {Role: "user", Content: "  "}}, -1, false},
		{"the last user turn", []chat.Message{{Role: "user", Content: "first"}, {Role: "assistant", Content: "a"}, {Role: "user", Content: "second"}, {Role: "assistant", Content: "b"}}, 2, true},
	} {
		if i, ok := Question(c.msgs); i != c.want || ok != c.ok {
			t.Errorf("%s: Question = %d, %v; want %d, %v", c.name, i, ok, c.want, c.ok)
		}
	}
}

func TestCiteLeavesTheHistory(t *testing.T) {
	msgs := []chat.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "what is the wifi password?"}}
	r := &Retrieval{Collection: Collection{Name: "house"}, Question: msgs[1].Content, Sources: []Source{{N: 1, Document: "notes.md", Text: "The wifi password is hunter2."}}}
	out := r.Cite(msgs, 1)
	if msgs[1].Content != "what is the wifi password?" {
		t.Errorf("the history changed: %q", msgs[1].Content)
	}
	if out[1].Content != r.Prompt() || !strings.Contains(out[1].Content, "hunter2") || out[0].Content != msgs[0].Content {
		t.Errorf("cited messages %+v", out)
	}
}
