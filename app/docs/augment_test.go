package docs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
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

func TestParseRef(t *testing.T) {
	for _, tt := range []struct {
		raw   string
		want  Ref
		param string // the field a bad one names
	}{
		{`"notes"`, Ref{Name: "notes"}, ""},
		{`3`, Ref{Name: "3"}, ""},
		{` {"name": "notes", "top_k": 6, "min_score": 0.4}`, Ref{Name: "notes", TopK: 6, MinScore: ptr(0.4)}, ""},
		{`{"id": 7, "name": "ignored"}`, Ref{Name: "7"}, ""},
		{`true`, Ref{}, "collection"},
		{`-2`, Ref{}, "collection"},
		{`"  "`, Ref{}, "collection"},
		{`{"top_k": 2}`, Ref{}, "collection"},
		{`{"name": 5}`, Ref{}, "collection"},
		{`{"name": "notes", "top_k": 99}`, Ref{}, "collection.top_k"},
		{`{"name": "notes", "top_k": -1}`, Ref{}, "collection.top_k"},
	} {
		got, err := ParseRef(json.RawMessage(tt.raw))
		var pe *wire.ParamError
		switch {
		case tt.param != "":
			if !errors.As(err, &pe) || pe.Param != tt.param {
				t.Errorf("%s: %v, want a ParamError naming %s", tt.raw, err, tt.param)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.raw, err)
		case got.Name != tt.want.Name || got.TopK != tt.want.TopK || (got.MinScore == nil) != (tt.want.MinScore == nil) || got.MinScore != nil && *got.MinScore != *tt.want.MinScore:
			t.Errorf("%s: %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}

// TestCiter: a chat request that names a collection, and a stored chat with one attached,
// get the prompt that cites the passages found (the history keeps the question); the
// chat's sources are saved with the user's turn; failures say which step failed.
func TestCiter(t *testing.T) {
	s, _, c, _, _ := indexed(t)
	ctx := context.Background()
	cite := Citer{Store: s}
	question := "What does ERR-4821 mean?"
	msgs := []chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: question}}

	req := engine.ChatRequest{Messages: msgs}
	r, err := cite.CiteRequest(ctx, Ref{Name: "library", TopK: 2}, &req)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) == 0 || len(r.Sources) > 2 || req.Messages[1].Content != r.Prompt() || msgs[1].Content != question || req.Messages[0].Content != "Be brief." {
		t.Errorf("sources %d; request %+v", len(r.Sources), req.Messages)
	}

	// A chat without a collection cites nothing; with one, its sources are saved.
	req = engine.ChatRequest{Messages: msgs}
	if r, err := cite.CiteChat(ctx, 41, 5, &req); r != nil || err != nil || req.Messages[1].Content != question {
		t.Errorf("a chat without a collection: %v %v", r, err)
	}
	if err := s.AttachChat(ctx, 41, c.ID); err != nil {
		t.Fatal(err)
	}
	r, err = cite.CiteChat(ctx, 41, 5, &req)
	if err != nil || r == nil || req.Messages[1].Content != r.Prompt() {
		t.Fatalf("attached: %v %+v", err, r)
	}
	saved, err := s.ChatSources(ctx, 41)
	if err != nil || len(saved[5]) != len(r.Sources) {
		t.Errorf("saved sources %v %v", saved, err)
	}

	// Failures.
	var fe *FindError
	if _, err := cite.CiteRequest(ctx, Ref{Name: "nope"}, &engine.ChatRequest{Messages: msgs}); !errors.As(err, &fe) || !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown collection: %v", err)
	}
	var pe *wire.ParamError
	noQuestion := []chat.Message{{Role: "system", Content: "hi"}}
	if _, err := cite.CiteRequest(ctx, Ref{Name: "library"}, &engine.ChatRequest{Messages: noQuestion}); !errors.As(err, &pe) || pe.Param != "messages" {
		t.Errorf("no question: %v", err)
	}
	var se *SearchError
	if _, err := cite.CiteRequest(ctx, Ref{Name: "library", MinScore: ptr(7.0)}, &engine.ChatRequest{Messages: msgs}); !errors.As(err, &se) || se.Collection != "Library" || !errors.Is(err, ErrInvalid) {
		t.Errorf("a bad min_score: %v", err)
	}
}
