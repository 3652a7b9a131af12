package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// workerPID is the PID of model's worker, loading it first.
func workerPID(t *testing.T, e *engine.Engine, model string, opts engine.LoadOptions) int {
	t.Helper()
	st, err := e.Load(context.Background(), model, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st.PID
}

// TestHostileNULPrompt: a NUL byte in a prompt, a chat message, a system prompt, an
// embedding input or a tokenize text is a byte of the text; the worker answers every one and
// keeps running (it used to abort on the first).
func TestHostileNULPrompt(t *testing.T) {
	e := newEngine(t, engine.Config{Slots: 2})
	// Loaded as the requests below load it (an explicit smaller context would be replaced by
	// the default at the first request without one).
	pid := workerPID(t, e, "stories", engine.LoadOptions{})
	ctx := context.Background()

	res, err := e.Complete(ctx, greedy("stories", "Once upon a\x00 time", 8), nil)
	if err != nil {
		t.Fatalf("completion: %v", err)
	}
	if res.Usage.CompletionTokens != 8 || res.Usage.PromptTokens < 6 {
		t.Errorf("completion usage %+v", res.Usage)
	}
	cres, err := e.Chat(ctx, engine.ChatRequest{Model: "stories", RequestOptions: engine.RequestOptions{MaxTokens: 8, Sampling: engine.Sampling{Seed: 1}},
		Messages: []chat.Message{{Role: "system", Content: "be\x00 kind"}, {Role: "user", Content: "a\x00b"}}}, nil)
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if cres.Usage.CompletionTokens == 0 {
		t.Errorf("chat usage %+v", cres.Usage)
	}
	emb, err := e.Embed(ctx, engine.EmbedRequest{Model: "stories", Inputs: []string{"a\x00b", "\x00"}})
	if err != nil || len(emb.Embeddings) != 2 || len(emb.Embeddings[0]) != 64 {
		t.Fatalf("embed: %v", err)
	}
	toks, err := e.Tokenize(ctx, "stories", "a\x00b", false, false)
	if err != nil {
		t.Fatalf("tokenize: %v", err)
	}
	var pieces strings.Builder
	for _, tp := range toks {
		pieces.WriteString(tp.Piece)
	}
	if !strings.Contains(pieces.String(), "\x00") {
		t.Errorf("tokens %+v lack the NUL byte", toks)
	}
	// A suffix (fill-in-the-middle) is tokenized on its own path; stories260K has no FIM
	// tokens, so it is refused, but only after a clear message.
	if _, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Prompt: "a\x00", Suffix: "\x00b"}, nil); engine.KindOf(err) != engine.KindInvalid {
		t.Errorf("suffix: %v", err)
	}
	// Still the same worker, still sane.
	res, err = e.Complete(ctx, greedy("stories", "Once upon a time", 16), nil)
	if err != nil || !strings.Contains(res.Text, "there was a little girl named Lily") {
		t.Fatalf("after the NUL prompts: %q, %v", res.Text, err)
	}
	if now := workerPID(t, e, "stories", engine.LoadOptions{}); now != pid || e.Restarts() != 0 {
		t.Fatalf("worker pid %d → %d, %d restarts; want the same worker", pid, now, e.Restarts())
	}
}

// TestBadInputNumPredict: an answer with no token limit ends when the context is full even
// with context shifting asked for (it used to shift forever); an explicit limit still
// shifts past the context.
func TestBadInputNumPredict(t *testing.T) {
	e := newEngine(t, engine.Config{Slots: 1})
	load := engine.LoadOptions{ContextLength: 256}
	st, err := e.Load(context.Background(), "stories", load, nil)
	if err != nil {
		t.Fatal(err)
	}
	nCtx := st.SlotCtx
	// Never EOS, so only the limits can end it.
	sampling := engine.Sampling{Temperature: 1, Seed: 5, LogitBias: map[int32]float32{2: -100}}
	for _, c := range []struct {
		name      string
		max, want int
	}{
		{"no limit", 0, 0},
		{"explicit limit beyond the context", 3 * nCtx, 3 * nCtx},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			req := engine.CompletionRequest{Model: "stories", Prompt: "Once upon a time", RequestOptions: engine.RequestOptions{MaxTokens: c.max, ContextShift: true, Sampling: sampling, Load: load}}
			res, err := e.Complete(ctx, req, func(engine.Event) error {
				if n++; n > 10*nCtx {
					cancel() // the bug: it would never stop
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%v after %d tokens", err, n)
			}
			want := c.want
			if want == 0 {
				// The token sampled from the last cell's logits is the last one.
				want = nCtx - res.Usage.PromptTokens + 1
			}
			if res.FinishReason != engine.FinishLength || res.Usage.CompletionTokens != want {
				t.Errorf("finish %s after %d tokens; want length after %d", res.FinishReason, res.Usage.CompletionTokens, want)
			}
		})
	}
}

// TestFaultHungWorker: a stopped worker (SIGSTOP, as a deadlock in llama.cpp or Metal would
// look from outside) is noticed by the watchdog, killed and started again; the callers waiting
// on it get KindUnresponsive with a Retry-After instead of waiting forever.
func TestFaultHungWorker(t *testing.T) {
	e := newEngine(t, engine.Config{Heartbeat: 100 * time.Millisecond, HungAfter: time.Second})
	pid := workerPID(t, e, "stories", engine.LoadOptions{})
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 2)
	go func() {
		req := engine.CompletionRequest{Model: "stories", Prompt: "Once upon a time", RequestOptions: engine.RequestOptions{MaxTokens: 1 << 30, ContextShift: true, Sampling: engine.Sampling{Temperature: 1, Seed: 7}}}
		_, err := e.Complete(context.Background(), req, func(engine.Event) error {
			once.Do(func() { close(started) })
			return nil
		})
		errc <- err
	}()
	<-started
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	stopped := time.Now()
	go func() { // a request that arrives while the worker is stopped
		_, err := e.Complete(context.Background(), greedy("stories", "The dog", 8), nil)
		errc <- err
	}()
	for i := range 2 {
		select {
		case err := <-errc:
			var ee *engine.Error
			if !errors.As(err, &ee) || ee.Kind != engine.KindUnresponsive || ee.RetryAfter <= 0 {
				t.Fatalf("caller %d got %v (kind %s); want worker_unresponsive with a Retry-After", i, err, engine.KindOf(err))
			}
			t.Logf("caller %d got, %s after SIGSTOP: %v", i, time.Since(stopped).Round(time.Millisecond), err)
		case <-time.After(15 * time.Second):
			t.Fatalf("caller %d still waits 15 s after the worker stopped", i)
		}
	}
	// Started again: a new worker answers.
	res, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 8), nil)
	if err != nil || !strings.HasPrefix(res.Text, ", there was") {
		t.Fatalf("after the restart: %q, %v", res.Text, err)
	}
	if now := workerPID(t, e, "stories", engine.LoadOptions{}); now == pid || e.Restarts() != 1 {
		t.Errorf("pid %d → %d, %d restarts; want a new worker and one restart", pid, now, e.Restarts())
	}
}
