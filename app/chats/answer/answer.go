// Package answer writes the model's answers in stored chats: one answer at a time per chat,
// the chat's model or the default one, the documents the chat cites, a long history trimmed
// to the context, and the answer saved as far as it got (whole, stopped or failed), with
// Continue for an answer cut by the token limit. The UI's chat routes (app/api) stream it
// over SSE; `perch run` shares Stream and Trim for its terminal chat.
package answer

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// Errors a turn can fail with before anything is written; app/api maps them to statuses.
var (
	// ErrBusy: the chat is already being answered.
	ErrBusy = errors.New("an answer is already being written in this chat; stop it first")
	// ErrNoModel: neither the chat nor the settings name a model.
	ErrNoModel = errors.New("this chat has no model: choose one (PATCH the chat's model, or set a default model)")
	// ErrNotLastAnswer: Continue was asked of a message that is not the chat's last answer.
	ErrNotLastAnswer = errors.New("only the chat's last answer can be continued")
)

// Store is the chat history; *chats.Store satisfies it.
type Store interface {
	Get(ctx context.Context, id int64) (chats.Chat, error)
	SaveAnswer(ctx context.Context, chatID, replyTo int64, a chats.Message) (chats.Message, error)
	ExtendAnswer(ctx context.Context, chatID, msgID int64, more chats.Message) (chats.Message, error)
}

// Chatter generates one answer, streaming its pieces to fn; *engine.Engine satisfies it.
type Chatter interface {
	Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error)
}

// Engine is what a Service needs of the engine; *engine.Engine satisfies it. Tokenize counts
// the prompt of an answer stopped before the engine reported its usage; Loaded gives the
// context meter its model's slot.
type Engine interface {
	Chatter
	Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]engine.TokenPiece, error)
	Loaded() []engine.Status
}

// Citer searches the collection a chat has attached for the user's turn, saves the sources
// with it and rewrites req to cite them (app/docs). It returns nil when the chat cites nothing.
type Citer interface {
	CiteChat(ctx context.Context, chatID, userMessageID int64, req *engine.ChatRequest) (*docs.Retrieval, error)
}

// Options configure a Service. Store and Engine are required.
type Options struct {
	Store  Store
	Engine Engine
	// DefaultModel answers a chat that names no model (the settings' default); may be nil.
	DefaultModel func() string
	// Citer adds the documents a chat cites; nil turns citing off.
	Citer Citer
	// Library gives the context meter a model's trained context when it is not loaded; may be nil.
	Library Library
	Now     func() time.Time
	Log     *slog.Logger
}

// Service runs the answers of every chat, one at a time per chat.
type Service struct {
	o   Options
	mu  sync.Mutex
	run map[int64]context.CancelFunc
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{o: o, run: map[int64]context.CancelFunc{}}
}

// Active says whether an answer is being written in the chat now.
func (s *Service) Active(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.run[id]
	return ok
}

// Stop cancels the answer being written in the chat; the turn then saves what it has.
func (s *Service) Stop(id int64) bool {
	s.mu.Lock()
	cancel, ok := s.run[id]
	s.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}

func (s *Service) claim(id int64, cancel context.CancelFunc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.run[id]; busy {
		return false
	}
	s.run[id] = cancel
	return true
}

func (s *Service) release(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.run, id)
}

// Turn is one answer on its way: Begin (or BeginContinue), then Cite, then Generate, and
// End in every case.
type Turn struct {
	ChatID int64
	// Model answers; User is the user's saved message it replies to.
	Model string
	User  chats.Message
	// Chat is the chat as it stood after the user's turn was stored (for Continue, as it
	// stood when the turn began).
	Chat chats.Chat

	s      *Service
	ctx    context.Context
	cancel context.CancelFunc
	req    engine.ChatRequest
	save   func(ctx context.Context, ans chats.Message) (chats.Message, error)
}

// Begin claims the chat (ErrBusy when an answer is being written), picks the model
// (ErrNoModel when there is none), stores the user's turn through prepare and builds the
// request from the history. Cancelling ctx, or Stop, stops the answer.
func (s *Service) Begin(ctx context.Context, id int64, prepare func(ctx context.Context, id int64) (chats.Message, error)) (*Turn, error) {
	return s.begin(ctx, id, func(t *Turn) error {
		user, err := prepare(t.ctx, id)
		if err != nil {
			return err
		}
		// The history up to and including the user's turn, re-read after prepare changed it.
		if t.Chat, err = s.o.Store.Get(t.ctx, id); err != nil {
			return err
		}
		t.User, t.req = user, Request(t.Chat, t.Model, user.ID)
		t.save = func(ctx context.Context, ans chats.Message) (chats.Message, error) {
			return s.o.Store.SaveAnswer(ctx, id, user.ID, ans)
		}
		return nil
	})
}

// BeginContinue starts writing more of the chat's last answer, mid, cut by the token limit:
// the model picks up where the answer ends, and the text is appended to the same message.
// User is then the question the answer replies to.
func (s *Service) BeginContinue(ctx context.Context, id, mid int64) (*Turn, error) {
	return s.begin(ctx, id, func(t *Turn) error {
		c := t.Chat
		last := len(c.Messages) - 1
		if last < 0 || c.Messages[last].ID != mid || c.Messages[last].Role != chats.RoleAssistant {
			return ErrNotLastAnswer
		}
		cut := c.Messages[last]
		t.req = Request(c, t.Model, cut.ParentID)
		t.req.Messages = append(t.req.Messages, chat.Message{Role: chats.RoleAssistant, Content: cut.Content})
		t.req.Continue = true
		t.User = chats.Message{ID: cut.ParentID, ChatID: id, Role: chats.RoleUser}
		t.save = func(ctx context.Context, ans chats.Message) (chats.Message, error) {
			return s.o.Store.ExtendAnswer(ctx, id, mid, ans)
		}
		return nil
	})
}

// begin claims the chat, reads it and its model, then lets prepare set the turn up.
func (s *Service) begin(ctx context.Context, id int64, prepare func(*Turn) error) (*Turn, error) {
	ctx, cancel := context.WithCancel(ctx)
	if !s.claim(id, cancel) {
		cancel()
		return nil, ErrBusy
	}
	t := &Turn{ChatID: id, s: s, ctx: ctx, cancel: cancel}
	err := t.chatAndModel()
	if err == nil {
		err = prepare(t)
	}
	if err != nil {
		t.End()
		return nil, err
	}
	return t, nil
}

// chatAndModel reads the chat and the model that answers in it.
func (t *Turn) chatAndModel() error {
	c, err := t.s.o.Store.Get(t.ctx, t.ChatID)
	if err != nil {
		return err
	}
	t.Chat, t.Model = c, c.Model
	if t.Model == "" && t.s.o.DefaultModel != nil {
		t.Model = t.s.o.DefaultModel()
	}
	if t.Model == "" {
		return ErrNoModel
	}
	return nil
}

// Cite searches the chat's collection, if it has one, for the user's turn; it returns the
// sources (nil when the chat cites nothing).
func (t *Turn) Cite() (*docs.Retrieval, error) {
	if t.s.o.Citer == nil {
		return nil, nil
	}
	return t.s.o.Citer.CiteChat(t.ctx, t.ChatID, t.User.ID, &t.req)
}

// End releases the chat for the next answer.
func (t *Turn) End() {
	t.s.release(t.ChatID)
	t.cancel()
}

// Outcome is how a turn ended.
type Outcome struct {
	// Result is the engine's when it finished unstopped, else nil.
	Result *engine.ChatResult
	// Stopped: the turn was stopped (Stop, or its context ended).
	Stopped bool
	// Err is the engine's failure (nil when stopped).
	Err error
	// Saved is the stored answer; nil when a failure wrote nothing, or saving failed (SaveErr).
	Saved   *chats.Message
	SaveErr error
}

// Generate streams the answer to sink, trimming the oldest turns when the chat no longer
// fits the context, and saves it: whole, stopped or, when the engine failed, as far as it
// got. A stopped answer is saved even though its context has ended.
func (t *Turn) Generate(sink Sink) Outcome {
	now := t.s.o.Now
	w := Stream(t.ctx, t.s.o.Engine, t.req, sink, now)
	o := Outcome{Stopped: t.ctx.Err() != nil}
	if w.Err != nil && !o.Stopped {
		o.Err = w.Err
	}
	ans := chats.Message{Model: w.Req.Model, Content: w.Content, Reasoning: w.Reasoning, Dropped: w.Dropped}
	switch {
	case w.Result != nil && !o.Stopped:
		res := w.Result
		o.Result = res
		ans.Content, ans.Reasoning = res.Message.Content, res.Message.Reasoning
		ans.FinishReason = res.FinishReason
		ans.Stopped = res.FinishReason == engine.FinishCancelled
		ans.Stats = statsOf(res)
	case o.Stopped:
		ans.Stopped, ans.FinishReason = true, engine.FinishCancelled
		if w.Result != nil {
			ans.Stats = statsOf(w.Result)
		} else {
			ans.Stats = roughStats(w.Pieces, w.Start, w.First, now())
			ans.Stats.PromptTokens = t.promptTokens(context.WithoutCancel(t.ctx), w.Req)
		}
	default: // the engine failed
		ans.Stopped, ans.FinishReason = true, "error"
		ans.Stats = roughStats(w.Pieces, w.Start, w.First, now())
	}
	// A failed answer with nothing written is not saved; anything else is, a stopped one too.
	if o.Err == nil || ans.Content != "" || ans.Reasoning != "" {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 10*time.Second)
		defer cancel()
		m, err := t.save(ctx, ans)
		if err != nil {
			t.s.o.Log.Warn("chat answer not saved", "error", err)
			o.SaveErr = err
		} else {
			o.Saved = &m
		}
	}
	return o
}

// promptTokens counts the tokens of a request's messages with the model's tokenizer, for an
// answer stopped before the engine reported its usage, so the context meter stays right. The
// template's few role markers are not counted.
func (t *Turn) promptTokens(ctx context.Context, req engine.ChatRequest) int {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content)
		b.WriteString("\n")
	}
	toks, err := t.s.o.Engine.Tokenize(ctx, req.Model, b.String(), true, false)
	if err != nil {
		return 0
	}
	return len(toks)
}

// Request builds the engine request: the system prompt, then every message up to and
// including the user's turn replyTo, with the chat's parameters.
func Request(c chats.Chat, model string, replyTo int64) engine.ChatRequest {
	req := engine.ChatRequest{Model: model, RequestOptions: engine.RequestOptions{Sampling: engine.DefaultSampling()}}
	if strings.TrimSpace(c.System) != "" {
		req.Messages = append(req.Messages, chat.Message{Role: "system", Content: c.System})
	}
	for _, m := range c.Messages {
		if m.ID > replyTo {
			break
		}
		if m.Role == chats.RoleAssistant && m.Content == "" {
			continue // an answer stopped before its first word says nothing to the model
		}
		// Earlier answers go back without their reasoning, as chat templates expect.
		req.Messages = append(req.Messages, chat.Message{Role: m.Role, Content: m.Content})
	}
	applyParams(&req, c.Params)
	return req
}

func applyParams(req *engine.ChatRequest, p chats.Params) {
	if p.Temperature != nil {
		req.Sampling.Temperature = float32(*p.Temperature)
	}
	if p.TopP != nil {
		req.Sampling.TopP = float32(*p.TopP)
	}
	if p.TopK != nil {
		req.Sampling.TopK = *p.TopK
	}
	if p.MinP != nil {
		req.Sampling.MinP = float32(*p.MinP)
	}
	if p.RepeatPenalty != nil {
		req.Sampling.RepeatPenalty = float32(*p.RepeatPenalty)
	}
	if p.Seed != nil {
		req.Sampling.Seed = *p.Seed
	}
	if p.MaxTokens != nil {
		req.MaxTokens = *p.MaxTokens
	}
	req.Think = p.Think
	if p.NumCtx != nil {
		req.Load.ContextLength = *p.NumCtx
	}
}

func statsOf(res *engine.ChatResult) *chats.Stats {
	return &chats.Stats{
		PromptTokens: res.Usage.PromptTokens, CachedTokens: res.Usage.CachedTokens, CompletionTokens: res.Usage.CompletionTokens,
		TTFTMs: res.Timings.FirstTokenM, TokensPerSecond: res.Timings.PredictPerS, TotalMs: res.Timings.TotalMs,
		DraftTokens: res.Timings.DraftTokens, DraftAccepted: res.Timings.DraftAccepted, DraftSource: res.Timings.DraftSource,
	}
}

// roughStats stands in when the engine returned no result (stopped or failed): each event
// carries about one token.
func roughStats(pieces int, start, first, end time.Time) *chats.Stats {
	st := &chats.Stats{CompletionTokens: pieces, TotalMs: float64(end.Sub(start).Microseconds()) / 1000}
	if !first.IsZero() {
		st.TTFTMs = float64(first.Sub(start).Microseconds()) / 1000
		if d := end.Sub(first).Seconds(); d > 0 && pieces > 1 {
			st.TokensPerSecond = float64(pieces-1) / d
		}
	}
	return st
}
