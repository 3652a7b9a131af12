// Package answer writes the model's answers in stored chats: one answer at a time per chat,
// the chat's model or the default one, the documents the chat cites, and the answer saved as
// far as it got (stopped, failed or whole). The UI's chat routes (app/api) stream it over SSE;
// any other front end (a terminal chat) can drive the same turns.
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

// Errors a turn can fail with before anything is streamed.
var (
	// ErrBusy: the chat is already being answered.
	ErrBusy = errors.New("an answer is already being written in this chat; stop it first")
	// ErrNoModel: neither the chat nor the settings name a model.
	ErrNoModel = errors.New("this chat has no model: choose one (PATCH the chat's model, or set a default model)")
)

// Store is the chat history; *chats.Store satisfies it.
type Store interface {
	Get(ctx context.Context, id int64) (chats.Chat, error)
	SaveAnswer(ctx context.Context, chatID, replyTo int64, a chats.Message) (chats.Message, error)
}

// Engine generates the answer; *engine.Engine satisfies it.
type Engine interface {
	Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error)
}

// CiteFunc searches the collection a chat has attached for the user's turn, saves the
// sources with it and rewrites req to cite them. It returns nil when the chat cites nothing.
type CiteFunc func(ctx context.Context, chatID, userMessageID int64, req *engine.ChatRequest) (*docs.Retrieval, error)

// Options configure a Service. Store and Engine are required.
type Options struct {
	Store  Store
	Engine Engine
	// DefaultModel answers a chat that names no model (the settings' default); may be nil.
	DefaultModel func() string
	// Cite adds the documents a chat cites; nil turns citing off.
	Cite CiteFunc
	Now  func() time.Time
	Log  *slog.Logger
}

// Service runs the turns of every chat.
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

// Turn is one answer on its way: Begin, then Cite, then Generate, and End in every case.
type Turn struct {
	ChatID int64
	// Model answers; User is the user's saved message it replies to.
	Model string
	User  chats.Message
	// Chat is the chat as it stood after the user's turn was stored.
	Chat chats.Chat
	// Sources are the cited passages (set by Cite); nil when the chat cites nothing.
	Sources *docs.Retrieval

	s      *Service
	ctx    context.Context
	cancel context.CancelFunc
	req    engine.ChatRequest
}

// Begin claims the chat (ErrBusy when an answer is being written), picks the model
// (ErrNoModel when there is none), stores the user's turn through prepare and builds the
// request from the history. Cancelling ctx, or Stop, stops the answer.
func (s *Service) Begin(ctx context.Context, id int64, prepare func(ctx context.Context, id int64) (chats.Message, error)) (*Turn, error) {
	ctx, cancel := context.WithCancel(ctx)
	if !s.claim(id, cancel) {
		cancel()
		return nil, ErrBusy
	}
	t := &Turn{ChatID: id, s: s, ctx: ctx, cancel: cancel}
	if err := t.begin(prepare); err != nil {
		t.End()
		return nil, err
	}
	return t, nil
}

func (t *Turn) begin(prepare func(ctx context.Context, id int64) (chats.Message, error)) error {
	c, err := t.s.o.Store.Get(t.ctx, t.ChatID)
	if err != nil {
		return err
	}
	t.Model = c.Model
	if t.Model == "" && t.s.o.DefaultModel != nil {
		t.Model = t.s.o.DefaultModel()
	}
	if t.Model == "" {
		return ErrNoModel
	}
	if t.User, err = prepare(t.ctx, t.ChatID); err != nil {
		return err
	}
	// The history up to and including the user's turn, re-read after prepare changed it.
	if t.Chat, err = t.s.o.Store.Get(t.ctx, t.ChatID); err != nil {
		return err
	}
	t.req = Request(t.Chat, t.Model, t.User.ID)
	return nil
}

// Cite searches the chat's collection, if it has one, for the user's turn.
func (t *Turn) Cite() error {
	if t.s.o.Cite == nil {
		return nil
	}
	r, err := t.s.o.Cite(t.ctx, t.ChatID, t.User.ID, &t.req)
	t.Sources = r
	return err
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

// Generate streams the answer through emit (each engine event with its reasoning and
// content) and saves it: whole, stopped or, when the engine failed, as far as it got.
func (t *Turn) Generate(emit func(engine.ChatEvent) error) Outcome {
	var (
		content, reasoning strings.Builder
		pieces             int
		first              time.Time
		now                = t.s.o.Now
		start              = now()
	)
	res, genErr := t.s.o.Engine.Chat(t.ctx, t.req, func(ev engine.ChatEvent) error {
		if first.IsZero() {
			first = now()
		}
		pieces++
		reasoning.WriteString(ev.Reasoning)
		content.WriteString(ev.Content)
		return emit(ev)
	})
	o := Outcome{Stopped: t.ctx.Err() != nil}
	if genErr != nil && !o.Stopped {
		o.Err = genErr
	}
	ans := chats.Message{Model: t.Model, Content: content.String(), Reasoning: reasoning.String()}
	switch {
	case res != nil && !o.Stopped:
		o.Result = res
		ans.Content, ans.Reasoning = res.Message.Content, res.Message.Reasoning
		ans.FinishReason = res.FinishReason
		ans.Stopped = res.FinishReason == engine.FinishCancelled
		ans.Stats = statsOf(res)
	case o.Stopped:
		ans.Stopped, ans.FinishReason = true, engine.FinishCancelled
		if res != nil {
			ans.Stats = statsOf(res)
		} else {
			ans.Stats = roughStats(pieces, start, first, now())
		}
	default: // the engine failed
		ans.Stopped, ans.FinishReason = true, "error"
		ans.Stats = roughStats(pieces, start, first, now())
	}
	// A failed answer with nothing written is not saved; anything else is, a stopped one too.
	if o.Err == nil || ans.Content != "" || ans.Reasoning != "" {
		o.Saved, o.SaveErr = t.save(ans)
	}
	return o
}

// save stores the answer even when the client is gone: a stopped answer belongs in the history.
func (t *Turn) save(ans chats.Message) (*chats.Message, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 10*time.Second)
	defer cancel()
	m, err := t.s.o.Store.SaveAnswer(ctx, t.ChatID, t.User.ID, ans)
	if err != nil {
		t.s.o.Log.Warn("chat answer not saved", "chat", t.ChatID, "error", err)
		return nil, err
	}
	return &m, nil
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
}

func statsOf(res *engine.ChatResult) *chats.Stats {
	return &chats.Stats{
		PromptTokens: res.Usage.PromptTokens, CachedTokens: res.Usage.CachedTokens, CompletionTokens: res.Usage.CompletionTokens,
		TTFTMs: res.Timings.FirstTokenM, TokensPerSecond: res.Timings.PredictPerS, TotalMs: res.Timings.TotalMs,
		DraftTokens: res.Timings.DraftTokens, DraftAccepted: res.Timings.DraftAccepted,
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
