package answer

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// wordEngine answers with its words, one event each, and records the request. It fails
// after failAfter words when fail is set, and waits on gate (if any) before each word.
type wordEngine struct {
	words     []string
	fail      error
	failAfter int
	gate      chan struct{}
	got       engine.ChatRequest
}

func (e *wordEngine) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	e.got = req
	var b strings.Builder
	for i, w := range e.words {
		if e.fail != nil && i == e.failAfter {
			return nil, e.fail
		}
		if e.gate != nil {
			select {
			case <-e.gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		b.WriteString(w)
		if err := fn(engine.ChatEvent{Content: w}); err != nil {
			return nil, err
		}
	}
	return &engine.ChatResult{Message: chat.Message{Role: "assistant", Content: b.String()}, FinishReason: engine.FinishStop,
		Usage: engine.Usage{PromptTokens: 5, CompletionTokens: len(e.words)}}, nil
}

func openStore(t *testing.T) *chats.Store {
	t.Helper()
	s, err := chats.Open(context.Background(), filepath.Join(t.TempDir(), "chats.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newChat(t *testing.T, st *chats.Store, n chats.NewChat) int64 {
	t.Helper()
	c, err := st.Create(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func ask(st *chats.Store, text string) func(ctx context.Context, id int64) (chats.Message, error) {
	return func(ctx context.Context, id int64) (chats.Message, error) { return st.AddUserMessage(ctx, id, text) }
}

func TestAnswerSavesTheAnswer(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	temp := 0.25
	id := newChat(t, st, chats.NewChat{System: "be brief", Params: chats.Params{Temperature: &temp}})
	eng := &wordEngine{words: []string{"Hello", " there"}}
	s := New(Options{Store: st, Engine: eng, DefaultModel: func() string { return "tiny" }})

	tr, err := s.Begin(ctx, id, ask(st, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Active(id) {
		t.Error("the chat is not active during its turn")
	}
	var streamed strings.Builder
	o := tr.Generate(func(ev engine.ChatEvent) error { streamed.WriteString(ev.Content); return nil })
	tr.End()
	if s.Active(id) {
		t.Error("the chat is still active after End")
	}
	if o.Err != nil || o.SaveErr != nil || o.Saved == nil {
		t.Fatalf("outcome %+v", o)
	}
	if tr.Model != "tiny" || o.Saved.Model != "tiny" {
		t.Errorf("model %q, saved with %q; want the default, tiny", tr.Model, o.Saved.Model)
	}
	if streamed.String() != "Hello there" || o.Saved.Content != "Hello there" || o.Saved.Stopped {
		t.Errorf("streamed %q, saved %+v", streamed.String(), o.Saved)
	}
	if o.Saved.Stats == nil || o.Saved.Stats.PromptTokens != 5 {
		t.Errorf("stats %+v", o.Saved.Stats)
	}
	msgs := eng.got.Messages
	if len(msgs) != 2 || msgs[0].Role != "system" || msgs[1].Content != "hi" || eng.got.Sampling.Temperature != 0.25 {
		t.Errorf("request %+v", eng.got)
	}
	c, _ := st.Get(ctx, id)
	if len(c.Messages) != 2 || c.Messages[1].Content != "Hello there" {
		t.Errorf("history %+v", c.Messages)
	}
}

func TestAnswerRefusals(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{})
	s := New(Options{Store: st, Engine: &wordEngine{}})
	if _, err := s.Begin(ctx, id, ask(st, "hi")); !errors.Is(err, ErrNoModel) {
		t.Fatalf("no model anywhere: %v, want ErrNoModel", err)
	}
	if c, _ := st.Get(ctx, id); len(c.Messages) != 0 {
		t.Errorf("a refused turn stored %d messages", len(c.Messages))
	}
	if s.Active(id) {
		t.Error("a refused turn left the chat claimed")
	}
	if _, err := s.Begin(ctx, 999, ask(st, "hi")); !errors.Is(err, chats.ErrNotFound) {
		t.Errorf("unknown chat: %v", err)
	}

	id = newChat(t, st, chats.NewChat{Model: "m"})
	tr, err := s.Begin(ctx, id, ask(st, "one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin(ctx, id, ask(st, "two")); !errors.Is(err, ErrBusy) {
		t.Errorf("second turn: %v, want ErrBusy", err)
	}
	tr.End()
	tr, err = s.Begin(ctx, id, func(ctx context.Context, id int64) (chats.Message, error) { return st.LastUserMessage(ctx, id) })
	if err != nil {
		t.Fatalf("after End: %v", err)
	}
	tr.End()
}

func TestAnswerStopSavesWhatWasWritten(t *testing.T) {
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "m"})
	eng := &wordEngine{words: []string{"a", "b", "c"}, gate: make(chan struct{}, 1)}
	s := New(Options{Store: st, Engine: eng})
	tr, err := s.Begin(context.Background(), id, ask(st, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.End()
	eng.gate <- struct{}{}
	o := tr.Generate(func(ev engine.ChatEvent) error {
		s.Stop(id) // stop after the first word
		return nil
	})
	if !o.Stopped || o.Err != nil || o.Saved == nil {
		t.Fatalf("outcome %+v", o)
	}
	if o.Saved.Content != "a" || !o.Saved.Stopped || o.Saved.FinishReason != engine.FinishCancelled {
		t.Errorf("saved %+v", o.Saved)
	}
	if o.Saved.Stats == nil || o.Saved.Stats.CompletionTokens != 1 {
		t.Errorf("rough stats %+v", o.Saved.Stats)
	}
}

func TestAnswerEngineFailure(t *testing.T) {
	boom := &engine.Error{Kind: engine.KindWorker, Message: "boom"}
	for _, tc := range []struct {
		name      string
		failAfter int
		saved     bool
	}{
		{"nothing written is not saved", 0, false},
		{"a partial answer is saved", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			id := newChat(t, st, chats.NewChat{Model: "m"})
			s := New(Options{Store: st, Engine: &wordEngine{words: []string{"x", "y"}, fail: boom, failAfter: tc.failAfter}})
			tr, err := s.Begin(context.Background(), id, ask(st, "hi"))
			if err != nil {
				t.Fatal(err)
			}
			defer tr.End()
			o := tr.Generate(func(engine.ChatEvent) error { return nil })
			if !errors.Is(o.Err, boom) || o.Stopped {
				t.Fatalf("outcome %+v", o)
			}
			if (o.Saved != nil) != tc.saved {
				t.Fatalf("saved %+v, want saved=%v", o.Saved, tc.saved)
			}
			if tc.saved && (o.Saved.Content != "x" || o.Saved.FinishReason != "error") {
				t.Errorf("saved %+v", o.Saved)
			}
		})
	}
}

func TestAnswerCites(t *testing.T) {
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "m"})
	eng := &wordEngine{words: []string{"ok"}}
	ret := &docs.Retrieval{Collection: docs.Collection{Name: "notes"}}
	cite := func(ctx context.Context, chatID, userID int64, req *engine.ChatRequest) (*docs.Retrieval, error) {
		req.Messages[len(req.Messages)-1].Content = "cited: " + req.Messages[len(req.Messages)-1].Content
		return ret, nil
	}
	s := New(Options{Store: st, Engine: eng, Cite: cite, Now: func() time.Time { return time.Unix(0, 0) }})
	tr, err := s.Begin(context.Background(), id, ask(st, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.End()
	if err := tr.Cite(); err != nil || tr.Sources != ret {
		t.Fatalf("cite: %v, %v", err, tr.Sources)
	}
	tr.Generate(func(engine.ChatEvent) error { return nil })
	if got := eng.got.Messages[0].Content; got != "cited: hi" {
		t.Errorf("the engine got %q", got)
	}
	if c, _ := st.Get(context.Background(), id); c.Messages[0].Content != "hi" {
		t.Errorf("the stored question changed: %q", c.Messages[0].Content)
	}
}

func TestRequestSkipsEmptyAnswersAndLaterTurns(t *testing.T) {
	c := chats.Chat{Messages: []chats.Message{
		{ID: 1, Role: chats.RoleUser, Content: "q1"},
		{ID: 2, Role: chats.RoleAssistant, Content: "", Reasoning: "hmm"},
		{ID: 3, Role: chats.RoleUser, Content: "q2"},
		{ID: 4, Role: chats.RoleAssistant, Content: "a2", Reasoning: "why"},
		{ID: 5, Role: chats.RoleUser, Content: "q3"},
	}}
	req := Request(c, "m", 4)
	var got []string
	for _, m := range req.Messages {
		got = append(got, m.Role+":"+m.Content+m.Reasoning)
	}
	if want := "user:q1 user:q2 assistant:a2"; strings.Join(got, " ") != want {
		t.Errorf("messages %q, want %q", strings.Join(got, " "), want)
	}
}
