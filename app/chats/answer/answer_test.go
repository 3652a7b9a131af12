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

// wordEngine answers with its words, one event each, and records the requests. It fails
// after failAfter words when fail is set, waits on gate (if any) before each word, and
// refuses a prompt of more than limit characters as the worker does (context exceeded).
type wordEngine struct {
	words     []string
	fail      error
	failAfter int
	gate      chan struct{}
	limit     int
	got       []engine.ChatRequest
	loaded    []engine.Status
	timings   engine.Timings
}

func (e *wordEngine) Loaded() []engine.Status { return e.loaded }

func (e *wordEngine) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	e.got = append(e.got, req)
	if n := promptChars(req); e.limit > 0 && n > e.limit {
		return nil, &engine.Error{Kind: engine.KindContextExceeded, PromptTokens: n, ContextLength: e.limit}
	}
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
		Usage: engine.Usage{PromptTokens: 5, CompletionTokens: len(e.words)}, Timings: e.timings}, nil
}

// Tokenize counts one token per word.
func (e *wordEngine) Tokenize(_ context.Context, _, text string, _, _ bool) ([]engine.TokenPiece, error) {
	return make([]engine.TokenPiece, len(strings.Fields(text))), nil
}

func (e *wordEngine) last() engine.ChatRequest { return e.got[len(e.got)-1] }

func promptChars(req engine.ChatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)
	}
	return n
}

// events records what a Sink heard.
type events struct {
	text    strings.Builder
	trimmed []int
	fail    error
}

func (s *events) Reasoning(t string) error { return s.fail }
func (s *events) Content(t string) error   { s.text.WriteString(t); return s.fail }
func (s *events) Trimmed(n int) error      { s.trimmed = append(s.trimmed, n); return nil }

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

// turn runs one whole answer: Begin, Cite, Generate, End.
func turn(t *testing.T, s *Service, id int64, prepare func(ctx context.Context, id int64) (chats.Message, error)) (Outcome, *events) {
	t.Helper()
	tr, err := s.Begin(context.Background(), id, prepare)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.End()
	if _, err := tr.Cite(); err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	return tr.Generate(ev), ev
}

func TestAnswerSavesTheAnswer(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	temp, maxTok := 0.25, 64
	id := newChat(t, st, chats.NewChat{System: "be brief", Params: chats.Params{Temperature: &temp, MaxTokens: &maxTok}})
	eng := &wordEngine{words: []string{"Hello", " there"}}
	s := New(Options{Store: st, Engine: eng, DefaultModel: func() string { return "tiny" }})

	tr, err := s.Begin(ctx, id, ask(st, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Active(id) {
		t.Error("the chat is not active during its turn")
	}
	if _, err := s.Begin(ctx, id, ask(st, "again")); !errors.Is(err, ErrBusy) {
		t.Errorf("a second answer in the same chat: %v, want ErrBusy", err)
	}
	ev := &events{}
	o := tr.Generate(ev)
	tr.End()
	if s.Active(id) {
		t.Error("the chat is still active after End")
	}
	if o.Err != nil || o.SaveErr != nil || o.Saved == nil || o.Result == nil || o.Stopped {
		t.Fatalf("outcome %+v", o)
	}
	if tr.Model != "tiny" || o.Saved.Model != "tiny" {
		t.Errorf("model %q, saved with %q; want the default, tiny", tr.Model, o.Saved.Model)
	}
	if ev.text.String() != "Hello there" || o.Saved.Content != "Hello there" || o.Saved.Stopped || o.Saved.FinishReason != engine.FinishStop {
		t.Errorf("streamed %q, saved %+v", ev.text.String(), o.Saved)
	}
	if o.Saved.Stats == nil || o.Saved.Stats.PromptTokens != 5 || o.Saved.Stats.CompletionTokens != 2 {
		t.Errorf("stats %+v", o.Saved.Stats)
	}
	req := eng.last()
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Content != "hi" || req.Sampling.Temperature != 0.25 || req.MaxTokens != 64 {
		t.Errorf("request %+v", req)
	}
	c, _ := st.Get(ctx, id)
	if len(c.Messages) != 2 || c.Messages[1].Content != "Hello there" || c.Messages[1].ParentID != tr.User.ID {
		t.Errorf("history %+v", c.Messages)
	}
}

func TestAnswerRefusals(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{})
	s := New(Options{Store: st, Engine: &wordEngine{}})
	prepared := false
	if _, err := s.Begin(ctx, id, func(context.Context, int64) (chats.Message, error) { prepared = true; return chats.Message{}, nil }); !errors.Is(err, ErrNoModel) {
		t.Errorf("no model anywhere: %v, want ErrNoModel", err)
	}
	if prepared {
		t.Error("the user's turn was stored for a chat that cannot be answered")
	}
	if s.Active(id) {
		t.Error("a refused turn left the chat claimed")
	}
	if _, err := s.Begin(ctx, 999, ask(st, "hi")); !errors.Is(err, chats.ErrNotFound) {
		t.Errorf("unknown chat: %v", err)
	}
	bad := errors.New("bad content")
	s = New(Options{Store: st, Engine: &wordEngine{}, DefaultModel: func() string { return "tiny" }})
	if _, err := s.Begin(ctx, id, func(context.Context, int64) (chats.Message, error) { return chats.Message{}, bad }); !errors.Is(err, bad) {
		t.Errorf("prepare's error: %v", err)
	}
	if s.Active(id) {
		t.Error("a failed prepare left the chat claimed")
	}
}

// A stopped answer is saved as far as it got, with the prompt counted by the tokenizer so
// the context meter stays right.
func TestAnswerStopSavesPartial(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny"})
	gate := make(chan struct{}, 1)
	eng := &wordEngine{words: []string{"one", " two", " three"}, gate: gate}
	s := New(Options{Store: st, Engine: eng})
	tr, err := s.Begin(ctx, id, ask(st, "count to three please"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.End()
	gate <- struct{}{}
	ev := &stopAfterFirst{s: s, id: id}
	o := tr.Generate(ev)
	if !o.Stopped || o.Err != nil || o.Result != nil || o.Saved == nil {
		t.Fatalf("outcome %+v", o)
	}
	m := o.Saved
	if m.Content != "one" || !m.Stopped || m.FinishReason != engine.FinishCancelled {
		t.Errorf("saved %+v", m)
	}
	if m.Stats == nil || m.Stats.CompletionTokens != 1 || m.Stats.PromptTokens != 4 {
		t.Errorf("stats %+v, want 1 completion token and the 4 prompt words", m.Stats)
	}
}

// stopAfterFirst stops the chat's answer once its first piece came.
type stopAfterFirst struct {
	events
	s  *Service
	id int64
}

func (e *stopAfterFirst) Content(string) error { e.s.Stop(e.id); return nil }

// An engine failure after some text saves that text as a failed answer; one before any
// text saves nothing.
func TestAnswerEngineFailure(t *testing.T) {
	boom := &engine.Error{Kind: engine.KindWorker, Message: "worker died"}
	for _, tt := range []struct {
		name      string
		failAfter int
		saved     string
	}{
		{"mid-answer", 1, "Hel"},
		{"before any text", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			id := newChat(t, st, chats.NewChat{Model: "tiny"})
			s := New(Options{Store: st, Engine: &wordEngine{words: []string{"Hel", "lo"}, fail: boom, failAfter: tt.failAfter}})
			o, _ := turn(t, s, id, ask(st, "hi"))
			if !errors.Is(o.Err, boom) || o.Stopped {
				t.Fatalf("outcome %+v", o)
			}
			if tt.saved == "" {
				if o.Saved != nil {
					t.Errorf("a failure before any text saved %+v", o.Saved)
				}
				return
			}
			if o.Saved == nil || o.Saved.Content != tt.saved || o.Saved.FinishReason != "error" || !o.Saved.Stopped {
				t.Errorf("saved %+v", o.Saved)
			}
		})
	}
}

// A chat over the context loses its oldest turns, not its question; the answer records
// how many were left out.
func TestAnswerTrimsLongChat(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny", System: "sys"})
	eng := &wordEngine{words: []string{"ok"}}
	s := New(Options{Store: st, Engine: eng})
	for i := range 6 {
		turn(t, s, id, ask(st, strings.Repeat("x", 100)+string(rune('a'+i))))
	}
	eng.limit = 500
	o, ev := turn(t, s, id, ask(st, "the newest question"))
	if o.Saved == nil || o.Saved.Dropped == 0 || len(ev.trimmed) == 0 || ev.trimmed[len(ev.trimmed)-1] != o.Saved.Dropped {
		t.Fatalf("saved %+v, trimmed events %v", o.Saved, ev.trimmed)
	}
	req := eng.last()
	if req.Messages[0].Role != "system" || req.Messages[1].Role != "user" || req.Messages[len(req.Messages)-1].Content != "the newest question" {
		t.Errorf("trimmed request %+v", req.Messages)
	}
	if promptChars(req) > eng.limit {
		t.Errorf("the trimmed prompt still has %d characters", promptChars(req))
	}
	c, _ := st.Get(ctx, id)
	if len(c.Messages) != 14 {
		t.Errorf("the stored history lost messages: %d, want 14", len(c.Messages))
	}
}

func TestAnswerContinue(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny"})
	eng := &wordEngine{words: []string{"Once", " upon"}}
	s := New(Options{Store: st, Engine: eng})
	first, _ := turn(t, s, id, ask(st, "a story"))

	if _, err := s.BeginContinue(ctx, id, first.Saved.ParentID); !errors.Is(err, ErrNotLastAnswer) {
		t.Errorf("continuing the question: %v, want ErrNotLastAnswer", err)
	}
	if s.Active(id) {
		t.Error("a refused Continue left the chat claimed")
	}
	eng.words = []string{" a", " time"}
	tr, err := s.BeginContinue(ctx, id, first.Saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	o := tr.Generate(&events{})
	tr.End()
	if tr.User.ID != first.Saved.ParentID || o.Saved == nil || o.Saved.ID != first.Saved.ID || o.Saved.Content != "Once upon a time" {
		t.Fatalf("user %+v, saved %+v", tr.User, o.Saved)
	}
	req := eng.last()
	if !req.Continue || req.Messages[len(req.Messages)-1].Content != "Once upon" {
		t.Errorf("continue request %+v", req)
	}
}

// TestAnswerSavesDraftSource: an answer keeps what made its speculative guesses (a draft
// model or prompt lookup) with how many were right, and a Continue adds its drafts.
func TestAnswerSavesDraftSource(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny"})
	eng := &wordEngine{words: []string{"Once", " upon"}, timings: engine.Timings{DraftTokens: 8, DraftAccepted: 6, DraftSource: engine.DraftSourceModel}}
	s := New(Options{Store: st, Engine: eng})
	first, _ := turn(t, s, id, ask(st, "a story"))
	want := chats.Stats{PromptTokens: 5, CompletionTokens: 2, DraftTokens: 8, DraftAccepted: 6, DraftSource: engine.DraftSourceModel}
	if first.Saved == nil || first.Saved.Stats == nil || *first.Saved.Stats != want {
		t.Fatalf("saved stats %+v, want %+v", first.Saved, want)
	}
	c, _ := st.Get(ctx, id)
	if got := c.Messages[1].Stats; got == nil || *got != want {
		t.Errorf("stats read back %+v, want %+v", got, want)
	}

	eng.words, eng.timings = []string{" a", " time"}, engine.Timings{DraftTokens: 4, DraftAccepted: 1, DraftSource: engine.DraftSourceModel}
	tr, err := s.BeginContinue(ctx, id, first.Saved.ID)
	if err != nil {
		t.Fatal(err)
	}
	tr.Generate(&events{})
	tr.End()
	c, _ = st.Get(ctx, id)
	if got := c.Messages[1].Stats; got == nil || got.DraftTokens != 12 || got.DraftAccepted != 7 || got.DraftSource != engine.DraftSourceModel {
		t.Errorf("stats after Continue %+v; want 12 drafted, 7 accepted, by the model", got)
	}
}

// citeStub rewrites the question the way app/docs does and returns its sources.
type citeStub struct{ chatID, userID int64 }

func (c *citeStub) CiteChat(_ context.Context, chatID, userID int64, req *engine.ChatRequest) (*docs.Retrieval, error) {
	c.chatID, c.userID = chatID, userID
	req.Messages[len(req.Messages)-1].Content = "cited: " + req.Messages[len(req.Messages)-1].Content
	return &docs.Retrieval{Sources: []docs.Source{{}}}, nil
}

func TestAnswerCites(t *testing.T) {
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny"})
	eng := &wordEngine{words: []string{"ok"}}
	cite := &citeStub{}
	s := New(Options{Store: st, Engine: eng, Citer: cite})
	tr, err := s.Begin(context.Background(), id, ask(st, "what do my notes say"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.End()
	r, err := tr.Cite()
	if err != nil || r == nil || len(r.Sources) != 1 {
		t.Fatalf("cite: %v %+v", err, r)
	}
	tr.Generate(&events{})
	if cite.chatID != id || cite.userID != tr.User.ID || eng.last().Messages[0].Content != "cited: what do my notes say" {
		t.Errorf("cited chat %d message %d; request %+v", cite.chatID, cite.userID, eng.last().Messages)
	}
	c, _ := st.Get(context.Background(), id)
	if c.Messages[0].Content != "what do my notes say" {
		t.Errorf("the stored question was changed: %q", c.Messages[0].Content)
	}
}

// A client gone mid-answer (the sink fails) ends the answer; the text so far is saved.
func TestAnswerSinkGone(t *testing.T) {
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny"})
	gone := errors.New("client gone")
	s := New(Options{Store: st, Engine: &wordEngine{words: []string{"a", "b", "c"}}})
	tr, err := s.Begin(context.Background(), id, ask(st, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.End()
	o := tr.Generate(&events{fail: gone})
	if !errors.Is(o.Err, gone) || o.Saved == nil || o.Saved.Content != "a" {
		t.Errorf("outcome %+v saved %+v", o, o.Saved)
	}
}

func TestRequest(t *testing.T) {
	topP, minP, rp := 0.5, 0.1, 1.2
	topK, maxTok, numCtx := 7, 99, 8192
	seed := int64(42)
	c := chats.Chat{System: "  ", Params: chats.Params{TopP: &topP, TopK: &topK, MinP: &minP, RepeatPenalty: &rp, Seed: &seed, MaxTokens: &maxTok, Think: new(bool), NumCtx: &numCtx},
		Messages: []chats.Message{
			{ID: 1, Role: "user", Content: "q1"},
			{ID: 2, Role: "assistant", Content: "", Stopped: true},
			{ID: 3, Role: "user", Content: "q2"},
			{ID: 4, Role: "assistant", Content: "a2", Reasoning: "hmm"},
			{ID: 5, Role: "user", Content: "q3"},
		}}
	req := Request(c, "m", 3)
	if len(req.Messages) != 2 || req.Messages[0].Content != "q1" || req.Messages[1].Content != "q2" {
		t.Errorf("messages %+v: want q1, q2 (no blank system prompt, no empty answer, nothing after the turn)", req.Messages)
	}
	s := req.Sampling
	if req.Model != "m" || s.TopP != 0.5 || s.TopK != 7 || s.MinP != float32(0.1) || s.RepeatPenalty != float32(1.2) || s.Seed != 42 || req.MaxTokens != 99 || req.Think == nil {
		t.Errorf("request %+v", req)
	}
	if req.Load.ContextLength != 8192 {
		t.Errorf("the chat's num_ctx 8192 loads the model with %d", req.Load.ContextLength)
	}
	if n := Request(chats.Chat{}, "m", 0).Load.ContextLength; n != 0 {
		t.Errorf("a chat without num_ctx asks for context %d, want 0 (the model's)", n)
	}
	if d, got := engine.DefaultSampling(), Request(chats.Chat{}, "m", 0).Sampling; got.Temperature != d.Temperature || got.TopP != d.TopP || got.TopK != d.TopK {
		t.Errorf("a chat without parameters does not get the default sampling")
	}
	if req := Request(c, "m", 5); req.Messages[2].Reasoning != "" || req.Messages[2].Content != "a2" {
		t.Errorf("an earlier answer went back with its reasoning: %+v", req.Messages[2])
	}
}

func TestTrim(t *testing.T) {
	msg := func(role string, n int) chat.Message {
		return chat.Message{Role: role, Content: strings.Repeat("x", n)}
	}
	for _, tt := range []struct {
		name          string
		msgs          []chat.Message
		prompt, ctx   int
		dropped, left int
	}{
		{"fits already", []chat.Message{msg("user", 10), msg("assistant", 10), msg("user", 10)}, 100, 1000, 0, 3},
		{"one message only", []chat.Message{msg("system", 10), msg("user", 1000)}, 2000, 1000, 0, 2},
		{"unknown sizes", []chat.Message{msg("user", 10), msg("assistant", 10), msg("user", 10)}, 0, 0, 0, 3},
		{"drops whole turns", []chat.Message{msg("user", 400), msg("assistant", 400), msg("user", 400), msg("assistant", 400), msg("user", 10)}, 1200, 1000, 2, 3},
		{"keeps the system prompt", []chat.Message{msg("system", 50), msg("user", 400), msg("assistant", 400), msg("user", 10)}, 900, 600, 2, 2},
		{"never the last message", []chat.Message{msg("user", 10), msg("assistant", 10), msg("user", 5000)}, 5000, 100, 2, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := engine.ChatRequest{Messages: tt.msgs}
			n := Trim(&req, tt.prompt, tt.ctx)
			if n != tt.dropped || len(req.Messages) != tt.left {
				t.Errorf("dropped %d leaving %d, want %d leaving %d", n, len(req.Messages), tt.dropped, tt.left)
			}
			if last := req.Messages[len(req.Messages)-1]; last.Content != tt.msgs[len(tt.msgs)-1].Content {
				t.Error("the last message was dropped")
			}
			if n > 0 && tt.msgs[0].Role == "system" && req.Messages[0].Role != "system" {
				t.Error("the system prompt was dropped")
			}
			head := 0
			if tt.msgs[0].Role == "system" {
				head = 1
			}
			if n > 0 && req.Messages[head].Role != "user" {
				t.Error("the history starts with an answer")
			}
		})
	}
}

func TestRoughStats(t *testing.T) {
	start := time.Unix(100, 0)
	st := roughStats(5, start, start.Add(200*time.Millisecond), start.Add(1200*time.Millisecond))
	if st.CompletionTokens != 5 || st.TTFTMs != 200 || st.TotalMs != 1200 || st.TokensPerSecond != 4 {
		t.Errorf("stats %+v", st)
	}
	if st := roughStats(0, start, time.Time{}, start.Add(time.Second)); st.TTFTMs != 0 || st.TokensPerSecond != 0 {
		t.Errorf("no pieces: %+v", st)
	}
}

// trained is a library that knows each model's trained context.
type trained map[string]int

func (l trained) ContextLength(_ context.Context, model string) (int, error) {
	n, ok := l[model]
	if !ok {
		return 0, errors.New("unknown model")
	}
	return n, nil
}

// TestMeter: the meter counts the last answer's prompt and completion against the loaded
// model's slot (KV bytes per cell × tokens), or the library's trained context when the model
// is not in memory.
func TestMeter(t *testing.T) {
	eng := &wordEngine{loaded: []engine.Status{{Name: "big", SlotCtx: 4096, Memory: engine.MemoryUsage{KVBytes: 4096 * 100, KVCells: 4096}}}}
	s := New(Options{Engine: eng, Library: trained{"small": 2048}})
	stats := &chats.Stats{PromptTokens: 30, CompletionTokens: 12}
	c := chats.Chat{Model: "small", Messages: []chats.Message{
		{Role: "user", Content: "hi"},
		{Role: "assistant", Content: "old", Model: "big", Stats: stats},
		{Role: "user", Content: "again"},
		{Role: "assistant", Content: "stopped before its stats"},
	}}
	want := Meter{Model: "big", UsedTokens: 42, ContextTokens: 4096, KVBytesPerToken: 100, KVBytes: 4200, Loaded: true}
	if got := s.Meter(c); got == nil || *got != want {
		t.Errorf("loaded: %+v, want %+v", got, want)
	}
	want = Meter{Model: "small", UsedTokens: 5, ContextTokens: 2048}
	if got := s.MeterOf("small", chats.Message{Stats: &chats.Stats{PromptTokens: 5}}); got == nil || *got != want {
		t.Errorf("not loaded: %+v, want %+v", got, want)
	}
	if got := s.Meter(chats.Chat{Model: "gone"}); got == nil || got.ContextTokens != 0 || got.UsedTokens != 0 {
		t.Errorf("unknown model: %+v", got)
	}
	if got := s.Meter(chats.Chat{}); got != nil {
		t.Errorf("no model: %+v", got)
	}
}

// A client gone (the request's context cancelled) stops the answer like Stop does: it is
// saved as stopped, and the chat is free again after End.
func TestAnswerContextCancelled(t *testing.T) {
	st := openStore(t)
	id := newChat(t, st, chats.NewChat{Model: "tiny"})
	gate := make(chan struct{}, 1)
	s := New(Options{Store: st, Engine: &wordEngine{words: []string{"a", "b"}, gate: gate}})
	ctx, cancel := context.WithCancel(context.Background())
	tr, err := s.Begin(ctx, id, ask(st, "hi"))
	if err != nil {
		t.Fatal(err)
	}
	gate <- struct{}{}
	o := tr.Generate(&cancelOnFirst{cancel: cancel})
	tr.End()
	if !o.Stopped || o.Err != nil || o.Saved == nil || o.Saved.Content != "a" || o.Saved.FinishReason != engine.FinishCancelled {
		t.Fatalf("outcome %+v saved %+v", o, o.Saved)
	}
	if s.Active(id) || s.Stop(id) {
		t.Error("the chat is still claimed after End")
	}
}

// cancelOnFirst cancels the turn's parent context once the first piece came.
type cancelOnFirst struct {
	events
	cancel context.CancelFunc
}

func (e *cancelOnFirst) Content(string) error { e.cancel(); return nil }
