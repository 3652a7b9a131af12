package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// maxBody bounds a request to the worker; the app has already checked it.
const maxBody = 64 << 20

func (w *Worker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(rw http.ResponseWriter, _ *http.Request) {
		l := w.loop
		writeJSON(rw, http.StatusOK, engine.Health{Status: "ok", Progress: l.progress.Load(),
			Work: int(l.busy.Load() + l.queued.Load() + l.embedding.Load())})
	})
	mux.HandleFunc("GET /info", func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusOK, w.info())
	})
	mux.HandleFunc("POST /completion", w.handleCompletion)
	mux.HandleFunc("POST /embed", w.handleEmbed)
	mux.HandleFunc("POST /tokenize", w.handleTokenize)
	mux.HandleFunc("POST /detokenize", w.handleDetokenize)
	mux.HandleFunc("POST /render", w.handleRender)
	return mux
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}

func writeError(rw http.ResponseWriter, err error) {
	var e *engine.Error
	if !errors.As(err, &e) {
		e = engine.Errorf(engine.KindWorker, "%v", err)
	}
	code := http.StatusInternalServerError
	switch e.Kind {
	case engine.KindInvalid, engine.KindContextExceeded:
		code = http.StatusBadRequest
	case engine.KindUnavailable:
		code = http.StatusServiceUnavailable
	}
	writeJSON(rw, code, e)
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return engine.Errorf(engine.KindInvalid, "bad request body: %v", err)
	}
	return nil
}

// checkTokens says which token, if any, is outside the vocabulary; param names the field.
func (w *Worker) checkTokens(param string, toks []llama.Token) *engine.Error {
	for i, t := range toks {
		if !w.model.ValidToken(t) {
			return &engine.Error{Kind: engine.KindInvalid, Param: param,
				Message: fmt.Sprintf("token %d at position %d is outside the vocabulary (0..%d)", t, i, w.model.NVocab()-1)}
		}
	}
	return nil
}

// promptTokens turns a request's prompt into tokens, checking ids and the context size.
func (w *Worker) promptTokens(req *engine.CompletionRequest) ([]llama.Token, error) {
	m := w.model
	var toks []llama.Token
	switch {
	case len(req.Tokens) > 0:
		if err := w.checkTokens("prompt", req.Tokens); err != nil {
			return nil, err
		}
		toks = req.Tokens
	case req.Suffix != "":
		pre, suf, mid := m.FIMPre(), m.FIMSuf(), m.FIMMid()
		if pre < 0 || suf < 0 || mid < 0 {
			return nil, &engine.Error{Kind: engine.KindInvalid, Param: "suffix",
				Message: "this model has no fill-in-the-middle tokens, so suffix is not supported; leave suffix out"}
		}
		if m.AddBOS() && m.BOS() >= 0 {
			toks = append(toks, m.BOS())
		}
		ptoks, err := tokenize(m, "prompt", req.Prompt, false, false)
		if err != nil {
			return nil, err
		}
		stoks, err := tokenize(m, "suffix", req.Suffix, false, false)
		if err != nil {
			return nil, err
		}
		toks = append(append(append(append(append(toks, pre), ptoks...), suf), stoks...), mid)
	default:
		var ok bool
		if toks, ok = spliceTokens(m, &w.history, req.Prompt); !ok {
			var err error
			if toks, err = tokenize(m, "prompt", req.Prompt, true, true); err != nil {
				return nil, err
			}
		}
	}
	if len(toks) == 0 {
		return nil, &engine.Error{Kind: engine.KindInvalid, Param: "prompt", Message: "the prompt is empty"}
	}
	if len(toks) >= w.loop.slotCtx {
		return nil, &engine.Error{Kind: engine.KindContextExceeded, Param: "prompt", PromptTokens: len(toks), ContextLength: w.loop.slotCtx,
			Message: fmt.Sprintf("the prompt has %d tokens but the context holds %d; shorten it or load the model with a larger context", len(toks), w.loop.slotCtx)}
	}
	return toks, nil
}

// tokenize tokenizes a request's text; an error (text over llama.cpp's limits) is the
// caller's, naming param.
func tokenize(m *llama.Model, param, text string, addSpecial, parseSpecial bool) ([]llama.Token, error) {
	toks, err := m.Tokenize(text, addSpecial, parseSpecial)
	if err != nil {
		return nil, &engine.Error{Kind: engine.KindInvalid, Param: param, Message: fmt.Sprintf("%s: %v", param, err)}
	}
	return toks, nil
}

func samplerParams(s engine.Sampling) llama.SamplerParams {
	p := llama.SamplerParams{
		Temperature: s.Temperature, TopK: s.TopK, TopP: s.TopP, MinP: s.MinP, TypicalP: s.TypicalP,
		RepeatPenalty: s.RepeatPenalty, RepeatLastN: s.RepeatLastN,
		PresencePenalty: s.PresencePenalty, FrequencyPenalty: s.FrequencyPenalty,
		Grammar: s.Grammar, Seed: llama.RandomSeed,
	}
	if s.Seed >= 0 {
		p.Seed = uint32(s.Seed)
	}
	if len(s.LogitBias) > 0 {
		p.LogitBias = make(map[llama.Token]float32, len(s.LogitBias))
		for t, b := range s.LogitBias {
			p.LogitBias[t] = b
		}
	}
	return p
}

func (w *Worker) handleCompletion(rw http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	var req engine.CompletionRequest
	if err := decode(r, &req); err != nil {
		writeError(rw, err)
		return
	}
	if w.embedOnly {
		writeError(rw, engine.Errorf(engine.KindInvalid, "%s is an embedding model; it makes embeddings, not text", w.name))
		return
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > 20 {
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: "top_logprobs", Message: fmt.Sprintf("top_logprobs must be from 0 to 20, got %d", req.TopLogprobs)})
		return
	}
	if req.MaxTokens < 0 {
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: "max_tokens", Message: fmt.Sprintf("max_tokens must be 0 or more, got %d", req.MaxTokens)})
		return
	}
	prompt, err := w.promptTokens(&req)
	if err != nil {
		writeError(rw, err)
		return
	}
	smp, err := llama.NewSampler(w.model, samplerParams(req.Sampling))
	if err != nil {
		param := "sampling"
		if errors.Is(err, llama.ErrGrammar) {
			param = "grammar"
			err = fmt.Errorf("the grammar does not parse (GBNF with a root rule expected; llama.cpp's log says where)")
		}
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: param, Message: err.Error()})
		return
	}
	quiet := r.URL.RawQuery == engine.QueryNoEvents
	j := &job{req: req, prompt: prompt, sampler: smp, out: newStream(), arrived: arrived, quiet: quiet}
	w.loop.submit(j)
	writeFrames(rw, r, j)
}

// writeFrames sends a job's stream: what a decode step produced, in one write and one flush.
func writeFrames(rw http.ResponseWriter, r *http.Request, j *job) {
	rw.Header().Set("Content-Type", engine.StreamContentType)
	rw.WriteHeader(http.StatusOK)
	fl, _ := rw.(http.Flusher)
	buf := make([]byte, 0, 4<<10)
	for {
		lines, ok := j.out.next(r.Context())
		if !ok {
			if r.Context().Err() != nil {
				j.cancelled.Store(true)
			}
			return
		}
		buf = buf[:0]
		for i := range lines {
			buf = engine.AppendFrame(buf, &lines[i])
		}
		if _, err := rw.Write(buf); err != nil {
			j.cancelled.Store(true)
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// embedWire is the worker's embedding request.
type embedWire struct {
	Inputs    []string  `json:"inputs"`
	Tokens    [][]int32 `json:"tokens"`
	Pooling   string    `json:"pooling"`
	Normalize bool      `json:"normalize"`
	Truncate  bool      `json:"truncate"`
}

func (w *Worker) handleEmbed(rw http.ResponseWriter, r *http.Request) {
	var req embedWire
	if err := decode(r, &req); err != nil {
		writeError(rw, err)
		return
	}
	switch req.Pooling {
	case "", "mean", "cls", "last":
	default:
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: "pooling", Message: fmt.Sprintf("pooling must be mean, cls or last, not %q", req.Pooling)})
		return
	}
	inputs := make([][]llama.Token, 0, len(req.Inputs)+len(req.Tokens))
	for _, s := range req.Inputs {
		toks, err := tokenize(w.model, "input", s, true, true)
		if err != nil {
			writeError(rw, err)
			return
		}
		inputs = append(inputs, toks)
	}
	for i, toks := range req.Tokens {
		if err := w.checkTokens("input", toks); err != nil {
			err.Message = fmt.Sprintf("input %d: %s", i, err.Message)
			writeError(rw, err)
			return
		}
		inputs = append(inputs, toks)
	}
	if len(inputs) == 0 {
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: "input", Message: "no input to embed"})
		return
	}
	total := 0
	limit := w.embedder.limit
	for i := range inputs {
		if req.Truncate && len(inputs[i]) > limit {
			inputs[i] = inputs[i][:limit]
		}
		total += len(inputs[i])
	}
	ej := &embedJob{inputs: inputs, pooling: req.Pooling, normalize: req.Normalize, result: make(chan embedResult, 1)}
	start := time.Now()
	j := &job{embed: ej, arrived: start}
	w.loop.submit(j)
	select {
	case res := <-ej.result:
		if res.err != nil {
			writeError(rw, res.err)
			return
		}
		writeJSON(rw, http.StatusOK, engine.EmbedResult{Embeddings: res.vectors, PromptTokens: total,
			Timings: engine.Timings{TotalMs: ms(time.Since(start))}})
	case <-r.Context().Done():
		j.cancelled.Store(true) // the loop drops it, or stops between inputs
	}
}

func (w *Worker) handleTokenize(rw http.ResponseWriter, r *http.Request) {
	var req engine.TokenizeRequest
	if err := decode(r, &req); err != nil {
		writeError(rw, err)
		return
	}
	toks, err := tokenize(w.model, "text", req.Text, req.AddSpecial, req.ParseSpecial)
	if err != nil {
		writeError(rw, err)
		return
	}
	out := engine.TokenizeResponse{Tokens: make([]engine.TokenPiece, len(toks))}
	for i, t := range toks {
		p := w.model.Piece(t, true)
		out.Tokens[i] = engine.TokenPiece{ID: t, Piece: string(p), Bytes: p}
	}
	writeJSON(rw, http.StatusOK, out)
}

func (w *Worker) handleDetokenize(rw http.ResponseWriter, r *http.Request) {
	var req engine.DetokenizeRequest
	if err := decode(r, &req); err != nil {
		writeError(rw, err)
		return
	}
	if err := w.checkTokens("tokens", req.Tokens); err != nil {
		writeError(rw, err)
		return
	}
	toks := req.Tokens
	if !req.Special {
		// Without special tokens, as Hugging Face's skip_special_tokens: leave the control
		// tokens out first, so the text reads as if they were never there (llama.cpp's own
		// removal keeps the word-start space a leading BOS hides).
		toks = make([]int32, 0, len(req.Tokens))
		for _, t := range req.Tokens {
			if !w.model.IsControl(t) {
				toks = append(toks, t)
			}
		}
	}
	text, err := w.model.Detokenize(toks, false, req.Special)
	if err != nil {
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: "tokens", Message: err.Error()})
		return
	}
	writeJSON(rw, http.StatusOK, engine.DetokenizeResponse{Text: text})
}
