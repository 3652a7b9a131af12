// Package fake has a deterministic engine and model library for the API's tests: it streams
// fixed words as tokens, honours max tokens, stop strings, context limits, cancellation,
// JSON formats and forced tool calls, and records what it was asked.
package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// Story is what the fake models say, one word per token.
const Story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine."

// Model describes a model the fake engine knows.
type Model struct {
	ContextLength int
	Embedding     bool
	EmbeddingSize int
	FIM           bool
	Reply         string // default Story
	Reasoning     string // streamed as thinking before the reply when Think is not false
	ChatTemplate  string // reported in Status.Info; empty makes /api/generate raw
	// Fail makes every request fail with this error; FailAfter tokens first, if set.
	Fail      *engine.Error
	FailAfter int
}

// Engine is a fake engine. The zero value is not usable; call New.
type Engine struct {
	// TokenDelay is slept between tokens (honouring cancellation).
	TokenDelay time.Duration

	mu          sync.Mutex
	models      map[string]Model
	loaded      map[string]*engine.Status
	slots       chan struct{}
	active      int
	maxActive   int
	cancelled   int
	lastChat    engine.ChatRequest
	lastCompl   engine.CompletionRequest
	lastEmbed   engine.EmbedRequest
	lastLoad    engine.LoadOptions
	lastKeep    *time.Duration
	vocab       map[string]int32
	words       []string
	calls       int
	started     chan struct{}
	startedOnce sync.Once
}

// New returns an engine that knows models, with slots requests running at once (more wait).
func New(slots int, models map[string]Model) *Engine {
	if slots <= 0 {
		slots = 4
	}
	return &Engine{models: models, loaded: map[string]*engine.Status{}, slots: make(chan struct{}, slots), vocab: map[string]int32{}, started: make(chan struct{})}
}

// Default is the set of models most tests use.
func Default() map[string]Model {
	return map[string]Model{
		"tiny":       {ContextLength: 256},
		"tiny-think": {ContextLength: 256, Reasoning: "Let me think about a story.", ChatTemplate: "{% for m in messages %}{{ m.content }}{% endfor %}<think>"},
		"fim":        {ContextLength: 256, FIM: true},
		"embed":      {ContextLength: 64, Embedding: true, EmbeddingSize: 8},
		"busy":       {Fail: &engine.Error{Kind: engine.KindUnavailable, Message: "the queue for busy is full; try again shortly", RetryAfter: 2}},
		"huge":       {Fail: &engine.Error{Kind: engine.KindTooLarge, Message: "huge needs 64.0 GiB but 12.0 GiB is free"}},
		"crash":      {ContextLength: 256, FailAfter: 2, Fail: &engine.Error{Kind: engine.KindWorker, Message: "the worker for crash died (signal: killed)"}},
	}
}

// Stats are counters tests assert on.
type Stats struct {
	MaxConcurrent int // most generations running at once
	Cancelled     int // generations stopped by their context
	Calls         int
}

func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{MaxConcurrent: e.maxActive, Cancelled: e.cancelled, Calls: e.calls}
}

// Started is closed when the first token of any generation was produced.
func (e *Engine) Started() <-chan struct{} { return e.started }

func (e *Engine) LastChat() engine.ChatRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastChat
}

func (e *Engine) LastComplete() engine.CompletionRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastCompl
}

func (e *Engine) LastEmbed() engine.EmbedRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastEmbed
}

// LastLoad returns the load options and keep-alive of the latest request.
func (e *Engine) LastLoad() (engine.LoadOptions, *time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastLoad, e.lastKeep
}

func (e *Engine) model(name string) (Model, error) {
	m, ok := e.models[name]
	if !ok {
		return m, &engine.Error{Kind: engine.KindNotFound, Param: "model", Message: fmt.Sprintf("model %q not found", name)}
	}
	if m.Fail != nil && m.FailAfter == 0 {
		return m, m.Fail
	}
	return m, nil
}

// tokens splits text into word tokens (each with its leading space).
func words(text string) []string {
	var out []string
	for i, w := range strings.Fields(text) {
		if i > 0 {
			w = " " + w
		}
		out = append(out, w)
	}
	return out
}

func (e *Engine) id(word string) int32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	w := strings.TrimSpace(word)
	if id, ok := e.vocab[w]; ok {
		return id
	}
	id := int32(len(e.words) + 10)
	e.vocab[w] = id
	e.words = append(e.words, w)
	return id
}

func (e *Engine) markLoaded(name string, m Model, opts engine.LoadOptions, keep *time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lastLoad, e.lastKeep = opts, keep
	st := &engine.Status{
		Name: name, Path: "/models/" + name + ".gguf", Digest: digestOf(name), Options: opts, Slots: cap(e.slots), PID: 4242, LoadedAt: time.Now(),
		Info:   engine.ModelInfo{Architecture: "llama", Parameters: 260_000, FileType: "Q8_0", SizeBytes: 1 << 20, ContextLength: m.ContextLength, EmbeddingSize: m.EmbeddingSize, FIM: m.FIM, ChatTemplate: m.ChatTemplate},
		Memory: engine.MemoryUsage{WeightsBytes: 1 << 20, KVBytes: 1 << 18, ComputeBytes: 1 << 17, RSSBytes: 3 << 20, Device: "CPU"},
	}
	switch {
	case keep == nil:
		st.ExpiresAt = time.Now().Add(5 * time.Minute)
	case *keep > 0:
		st.ExpiresAt = time.Now().Add(*keep)
	}
	e.loaded[name] = st
}

func digestOf(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	return fmt.Sprintf("sha256:%064x", h.Sum64())
}

// acquire waits for a slot like the engine's scheduler, counting concurrency.
func (e *Engine) acquire(ctx context.Context) (func(), error) {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, &engine.Error{Kind: engine.KindCancelled, Message: "cancelled while queued"}
	}
	e.mu.Lock()
	e.calls++
	e.active++
	e.maxActive = max(e.maxActive, e.active)
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		e.active--
		e.mu.Unlock()
		<-e.slots
	}, nil
}

// generate streams reply word by word, applying max tokens, stop strings and failures.
func (e *Engine) generate(ctx context.Context, m Model, reply string, maxTokens int, stop []string, logprobs bool, top int, emit func(text string, lp *engine.Logprob) error) (text string, toks []int32, finish string, err error) {
	var b strings.Builder
	ws := words(reply)
	finish = engine.FinishStop
	for i, w := range ws {
		if maxTokens > 0 && i >= maxTokens {
			finish = engine.FinishLength
			break
		}
		if m.FailAfter > 0 && i >= m.FailAfter {
			return b.String(), toks, "", m.Fail
		}
		if e.TokenDelay > 0 {
			select {
			case <-time.After(e.TokenDelay):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			e.mu.Lock()
			e.cancelled++
			e.mu.Unlock()
			return b.String(), toks, engine.FinishCancelled, &engine.Error{Kind: engine.KindCancelled, Message: "cancelled"}
		}
		full := b.String() + w
		if k := firstStop(full, stop); k >= 0 {
			w = full[b.Len():k]
			if w != "" {
				if err := emit(w, nil); err != nil {
					return b.String(), toks, "", err
				}
				b.WriteString(w)
			}
			return b.String(), toks, engine.FinishStop, nil
		}
		id := e.id(w)
		var lp *engine.Logprob
		if logprobs {
			lp = &engine.Logprob{ID: id, Token: w, Bytes: []byte(w), Logprob: -0.25}
			for j := range top {
				alt := fmt.Sprintf(" alt%d", j)
				lp.Top = append(lp.Top, engine.TopLogprob{ID: int32(900 + j), Token: alt, Bytes: []byte(alt), Logprob: -1 - float64(j)})
			}
		}
		if err := emit(w, lp); err != nil {
			return b.String(), toks, "", err
		}
		e.startedOnce.Do(func() { close(e.started) })
		b.WriteString(w)
		toks = append(toks, id)
	}
	return b.String(), toks, finish, nil
}

func firstStop(text string, stop []string) int {
	best := -1
	for _, s := range stop {
		if k := strings.Index(text, s); k >= 0 && (best < 0 || k < best) {
			best = k
		}
	}
	return best
}

func checkContext(m Model, prompt int) error {
	if m.ContextLength > 0 && prompt > m.ContextLength {
		return &engine.Error{Kind: engine.KindContextExceeded, PromptTokens: prompt, ContextLength: m.ContextLength,
			Message: fmt.Sprintf("the prompt has %d tokens but the context holds %d", prompt, m.ContextLength)}
	}
	return nil
}

func checkSampling(s engine.Sampling) error {
	if s.Temperature < 0 || math.IsNaN(float64(s.Temperature)) {
		return &engine.Error{Kind: engine.KindInvalid, Param: "temperature", Message: fmt.Sprintf("temperature must be 0 or more, got %v", s.Temperature)}
	}
	return nil
}

// Complete continues a prompt with the model's reply.
func (e *Engine) Complete(ctx context.Context, req engine.CompletionRequest, fn func(engine.Event) error) (*engine.CompletionResult, error) {
	e.mu.Lock()
	e.lastCompl = req
	e.mu.Unlock()
	m, err := e.model(req.Model)
	if err != nil {
		return nil, err
	}
	if req.Suffix != "" && !m.FIM {
		return nil, &engine.Error{Kind: engine.KindInvalid, Param: "suffix", Message: fmt.Sprintf("model %s has no fill-in-the-middle tokens, so suffix is not supported", req.Model)}
	}
	if err := checkSampling(req.Sampling); err != nil {
		return nil, err
	}
	prompt := len(req.Tokens)
	if prompt == 0 {
		prompt = len(words(req.Prompt)) + 1 // BOS
	}
	if err := checkContext(m, prompt); err != nil {
		return nil, err
	}
	release, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	e.markLoaded(req.Model, m, req.Load, req.KeepAlive)
	reply := m.Reply
	if reply == "" {
		reply = Story
	}
	if strings.HasPrefix(reply, req.Prompt) && req.Prompt != "" {
		reply = strings.TrimPrefix(reply, req.Prompt)
	}
	var lps []engine.Logprob
	text, toks, finish, err := e.generate(ctx, m, reply, req.MaxTokens, req.Stop, req.Logprobs, req.TopLogprobs, func(t string, lp *engine.Logprob) error {
		if lp != nil {
			lps = append(lps, *lp)
		}
		if fn == nil {
			return nil
		}
		return fn(engine.Event{Text: t, Logprob: lp})
	})
	if err != nil {
		return nil, err
	}
	return &engine.CompletionResult{Text: text, Tokens: toks, FinishReason: finish, Logprobs: lps,
		Usage:   engine.Usage{PromptTokens: prompt, CompletionTokens: len(toks)},
		Timings: engine.Timings{PromptMs: 2, PredictMs: float64(len(toks)), FirstTokenM: 3, TotalMs: 5 + float64(len(toks)), PredictPerS: 1000}}, nil
}

// Chat answers with the model's reply, a JSON value for formats, or a tool call when one is
// forced.
func (e *Engine) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	e.mu.Lock()
	e.lastChat = req
	e.mu.Unlock()
	m, err := e.model(req.Model)
	if err != nil {
		return nil, err
	}
	if err := checkSampling(req.Sampling); err != nil {
		return nil, err
	}
	var prompt strings.Builder
	for _, msg := range req.Messages {
		fmt.Fprintf(&prompt, "<|%s|> %s ", msg.Role, msg.Content)
	}
	nPrompt := len(words(prompt.String())) + 1
	if err := checkContext(m, nPrompt); err != nil {
		return nil, err
	}
	reply := m.Reply
	if reply == "" {
		reply = Story
	}
	var calls []chat.ToolCall
	last := ""
	if len(req.Messages) > 0 {
		last = strings.ToLower(req.Messages[len(req.Messages)-1].Content)
	}
	// In auto mode the fake calls a tool only when asked to in so many words.
	autoCall := req.ToolChoice.Mode != "none" && len(req.Tools) > 0 && strings.Contains(last, "use a tool")
	switch {
	case req.ToolChoice.Mode == "required" || req.ToolChoice.Mode == "function" || autoCall:
		tool := req.Tools[0]
		if req.ToolChoice.Mode == "function" {
			i := slices.IndexFunc(req.Tools, func(t chat.Tool) bool { return t.Function.Name == req.ToolChoice.Function })
			tool = req.Tools[i]
		}
		args, err := Example(tool.Function.Parameters)
		if err != nil {
			return nil, &engine.Error{Kind: engine.KindInvalid, Param: "tools", Message: err.Error()}
		}
		calls = []chat.ToolCall{{ID: "call_" + tool.Function.Name, Type: "function", Function: chat.FunctionCall{Name: tool.Function.Name, Arguments: args}}}
		reply = ""
	case req.Format != nil && req.Format.Type == "json_schema":
		v, err := Example(req.Format.Schema)
		if err != nil {
			return nil, &engine.Error{Kind: engine.KindInvalid, Param: "response_format", Message: err.Error()}
		}
		reply = string(v)
	case req.Format != nil:
		reply = `{"story": "Once upon a time"}`
	}
	release, err := e.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	e.markLoaded(req.Model, m, req.Load, req.KeepAlive)
	send := func(ev engine.ChatEvent) error {
		if fn == nil {
			return nil
		}
		return fn(ev)
	}
	var reasoning string
	if m.Reasoning != "" && (req.Think == nil || *req.Think) {
		r, _, _, err := e.generate(ctx, Model{}, m.Reasoning, 0, nil, false, 0, func(t string, _ *engine.Logprob) error {
			return send(engine.ChatEvent{Reasoning: t})
		})
		if err != nil {
			return nil, err
		}
		reasoning = r
	}
	var lps []engine.Logprob
	var text string
	var toks []int32
	finish := engine.FinishStop
	if reply != "" && (req.Format != nil) {
		// JSON goes out whole: a word split would not change what clients see.
		if err := send(engine.ChatEvent{Content: reply}); err != nil {
			return nil, err
		}
		text, toks = reply, []int32{1, 2, 3}
	} else if reply != "" {
		text, toks, finish, err = e.generate(ctx, m, reply, req.MaxTokens, req.Stop, req.Logprobs, req.TopLogprobs, func(t string, lp *engine.Logprob) error {
			ev := engine.ChatEvent{Content: t}
			if lp != nil {
				lps = append(lps, *lp)
				ev.Logprobs = []engine.Logprob{*lp}
			}
			return send(ev)
		})
		if err != nil {
			return nil, err
		}
	} else {
		toks = []int32{1, 2, 3, 4}
		finish = engine.FinishToolCalls
	}
	return &engine.ChatResult{
		Message:      chat.Message{Role: "assistant", Content: text, Reasoning: reasoning, ToolCalls: calls},
		FinishReason: finish, Logprobs: lps, Prompt: prompt.String(),
		Usage:   engine.Usage{PromptTokens: nPrompt, CachedTokens: nPrompt / 2, CompletionTokens: len(toks)},
		Timings: engine.Timings{PromptMs: 2, PredictMs: float64(len(toks)), FirstTokenM: 3, TotalMs: 5 + float64(len(toks)), PredictPerS: 1000, DraftTokens: 8, DraftAccepted: 6, DraftSource: engine.DraftSourceModel},
	}, nil
}

// Embed gives each input a vector derived from its hash.
func (e *Engine) Embed(ctx context.Context, req engine.EmbedRequest) (*engine.EmbedResult, error) {
	e.mu.Lock()
	e.lastEmbed = req
	e.mu.Unlock()
	m, err := e.model(req.Model)
	if err != nil {
		return nil, err
	}
	if !m.Embedding {
		return nil, &engine.Error{Kind: engine.KindInvalid, Param: "model", Message: fmt.Sprintf("model %s is not an embedding model", req.Model)}
	}
	inputs := req.Inputs
	for _, t := range req.Tokens {
		inputs = append(inputs, fmt.Sprint(t))
	}
	res := &engine.EmbedResult{}
	for _, in := range inputs {
		n := len(words(in)) + 1
		if !req.Truncate {
			if err := checkContext(m, n); err != nil {
				return nil, err
			}
		}
		res.PromptTokens += min(n, m.ContextLength)
		h := fnv.New64a()
		h.Write([]byte(in))
		seed := h.Sum64()
		v := make([]float32, m.EmbeddingSize)
		for i := range v {
			seed = seed*6364136223846793005 + 1442695040888963407
			v[i] = float32(int64(seed>>33)%1000) / 100
		}
		if req.Normalize {
			var s float64
			for _, x := range v {
				s += float64(x * x)
			}
			for i := range v {
				v[i] = float32(float64(v[i]) / math.Sqrt(s))
			}
		}
		res.Embeddings = append(res.Embeddings, v)
	}
	e.markLoaded(req.Model, m, req.Load, req.KeepAlive)
	return res, nil
}

func (e *Engine) Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]engine.TokenPiece, error) {
	if _, err := e.model(model); err != nil {
		return nil, err
	}
	var out []engine.TokenPiece
	if addSpecial {
		out = append(out, engine.TokenPiece{ID: 1, Piece: "<s>"})
	}
	for _, w := range words(text) {
		out = append(out, engine.TokenPiece{ID: e.id(w), Piece: w})
	}
	return out, nil
}

func (e *Engine) Detokenize(ctx context.Context, model string, tokens []int32, _ bool) (string, error) {
	if _, err := e.model(model); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var parts []string
	for _, t := range tokens {
		if i := int(t) - 10; i >= 0 && i < len(e.words) {
			parts = append(parts, e.words[i])
		} else {
			parts = append(parts, fmt.Sprintf("<%d>", t))
		}
	}
	return strings.Join(parts, " "), nil
}

func (e *Engine) Load(ctx context.Context, model string, opts engine.LoadOptions, keepAlive *time.Duration) (*engine.Status, error) {
	m, err := e.model(model)
	if err != nil {
		return nil, err
	}
	e.markLoaded(model, m, opts, keepAlive)
	e.mu.Lock()
	defer e.mu.Unlock()
	st := *e.loaded[model]
	return &st, nil
}

func (e *Engine) Unload(ctx context.Context, model string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.loaded[model]; !ok {
		return &engine.Error{Kind: engine.KindNotFound, Message: fmt.Sprintf("model %q is not loaded", model)}
	}
	delete(e.loaded, model)
	return nil
}

func (e *Engine) Loaded() []engine.Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []engine.Status
	for _, st := range e.loaded {
		s := *st
		s.Busy = e.active
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b engine.Status) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Example builds a JSON value that satisfies a (simple) JSON schema: the first enum value,
// every property, one array item. It stands in for grammar-constrained decoding.
func Example(schema json.RawMessage) (json.RawMessage, error) {
	if len(schema) == 0 {
		return json.RawMessage("{}"), nil
	}
	var s any
	if err := json.Unmarshal(schema, &s); err != nil {
		return nil, errors.New("schema is not valid JSON")
	}
	v, err := example(s, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func example(s any, depth int) (any, error) {
	if depth > 16 {
		return nil, errors.New("schema nests too deeply")
	}
	m, ok := s.(map[string]any)
	if !ok {
		return map[string]any{}, nil
	}
	if c, ok := m["const"]; ok {
		return c, nil
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return e[0], nil
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := m[k].([]any); ok && len(alts) > 0 {
			return example(alts[0], depth+1)
		}
	}
	t := m["type"]
	if ts, ok := t.([]any); ok && len(ts) > 0 {
		t = ts[0]
	}
	switch t {
	case "string":
		return "text", nil
	case "integer":
		return 1, nil
	case "number":
		return 1.5, nil
	case "boolean":
		return true, nil
	case "null":
		return nil, nil
	case "array":
		item, err := example(m["items"], depth+1)
		if err != nil {
			return nil, err
		}
		return []any{item}, nil
	}
	out := map[string]any{}
	props, _ := m["properties"].(map[string]any)
	for k, p := range props {
		v, err := example(p, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}
