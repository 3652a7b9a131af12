package engine_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
)

// TestMain lets this test binary act as the engine's worker.
func TestMain(m *testing.M) { enginetest.Main(m) }

func newEngine(t *testing.T, cfg engine.Config) *engine.Engine {
	t.Helper()
	if cfg.Resolver == nil {
		cfg.Resolver = enginetest.Files{
			"stories": sharedtest.Model(t, "stories260K.gguf"),
			"tiny":    sharedtest.Model(t, "llama-2-tiny-random.gguf"),
		}
	}
	cfg.Command = []string{os.Args[0], "engine"}
	if cfg.RuntimeDir == "" {
		cfg.RuntimeDir = t.TempDir()
	}
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func greedy(model, prompt string, n int) engine.CompletionRequest {
	return engine.CompletionRequest{Model: model, Prompt: prompt, RequestOptions: engine.RequestOptions{MaxTokens: n, Sampling: engine.Sampling{Temperature: 0, Seed: 1}}}
}

func TestStoriesGreedy(t *testing.T) {
	e := newEngine(t, engine.Config{})
	var streamed strings.Builder
	res, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 16), func(ev engine.Event) error {
		streamed.WriteString(ev.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "there was a little girl named Lily") {
		t.Fatalf("text %q lacks the stories260K greedy continuation", res.Text)
	}
	if streamed.String() != res.Text {
		t.Errorf("streamed %q, result %q", streamed.String(), res.Text)
	}
	if res.Usage.PromptTokens != 5 || res.Usage.CompletionTokens != 16 || res.FinishReason != engine.FinishLength {
		t.Errorf("usage %+v finish %s; want 5 prompt, 16 completion, length", res.Usage, res.FinishReason)
	}
	// The same prompt again reuses the slot's cache.
	res2, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 16), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Text != res.Text || res2.Usage.CachedTokens != 4 {
		t.Errorf("second run: text %q cached %d; want the same text and 4 cached tokens", res2.Text, res2.Usage.CachedTokens)
	}
}

func TestStopStringsAndLogprobs(t *testing.T) {
	e := newEngine(t, engine.Config{})
	req := greedy("stories", "Once upon a time", 30)
	req.Stop = []string{"named Li"}
	req.Logprobs, req.TopLogprobs = true, 3
	res, err := e.Complete(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != ", there was a little girl " || res.FinishReason != engine.FinishStop || res.StopWord != "named Li" {
		t.Fatalf("got %q (%s, %q); want the text up to the stop string, without it", res.Text, res.FinishReason, res.StopWord)
	}
	if len(res.Logprobs) == 0 || len(res.Logprobs[0].Top) != 3 || res.Logprobs[0].Logprob > 0 || res.Logprobs[0].Token != "," {
		t.Fatalf("logprobs %+v", res.Logprobs)
	}
	// The yardstick's first-step logits: "," 17.7994, "▁there" 14.2813. The worker's F16 KV
	// cache moves them by a few thousandths; engine/llama checks them to 1e-3 with an F32 cache.
	if d := res.Logprobs[0].Top[0].Logprob - res.Logprobs[0].Top[1].Logprob; math.Abs(d-(17.7994-14.2813)) > 1e-2 {
		t.Errorf("logprob gap of the top two tokens %.4f, want %.4f", d, 17.7994-14.2813)
	}
}

func TestTwoSlotsMatchOneAtATime(t *testing.T) {
	prompts := []string{"Once upon a time", "The little dog", "Lily and Ben went to the park", "One day"}
	alone := newEngine(t, engine.Config{Slots: 1})
	var want []string
	for _, p := range prompts {
		res, err := alone.Complete(context.Background(), greedy("stories", p, 40), nil)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, res.Text)
	}
	alone.Close()
	together := newEngine(t, engine.Config{Slots: 2})
	got := make([]string, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := together.Complete(context.Background(), greedy("stories", p, 40), nil)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = res.Text
		}()
	}
	wg.Wait()
	for i := range prompts {
		if got[i] != want[i] {
			t.Errorf("prompt %q: two slots gave %q, one at a time %q", prompts[i], got[i], want[i])
		}
	}
}

func TestKilledWorkerFailsFastAndReloads(t *testing.T) {
	e := newEngine(t, engine.Config{})
	if _, err := e.Load(context.Background(), "stories", engine.LoadOptions{ContextLength: 2048}, nil); err != nil {
		t.Fatal(err)
	}
	pid := e.Loaded()[0].PID
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		req := engine.CompletionRequest{Model: "stories", Prompt: "Once upon a time", RequestOptions: engine.RequestOptions{Sampling: engine.Sampling{Temperature: 1, Seed: 7}, MaxTokens: 100000, ContextShift: true}}
		_, err := e.Complete(context.Background(), req, func(engine.Event) error {
			once.Do(func() { close(started) })
			return nil
		})
		errc <- err
	}()
	<-started
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if engine.KindOf(err) != engine.KindWorker {
			t.Fatalf("error %v (kind %s), want a worker error", err, engine.KindOf(err))
		}
		if d := time.Since(killed); d > time.Second {
			t.Errorf("the error came %s after the kill; want within a second", d)
		}
		t.Logf("caller got, %s after the kill: %v", time.Since(killed).Round(time.Millisecond), err)
	case <-time.After(5 * time.Second):
		t.Fatal("no error 5s after the worker was killed")
	}
	res, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 8), nil)
	if err != nil {
		t.Fatalf("the next request after a crash: %v", err)
	}
	if !strings.HasPrefix(res.Text, ", there was") {
		t.Errorf("after reload: %q", res.Text)
	}
	if e.Restarts() != 1 {
		t.Errorf("restarts %d, want 1", e.Restarts())
	}
}

func TestCancelFreesSlot(t *testing.T) {
	e := newEngine(t, engine.Config{Slots: 1})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Prompt: "Once", RequestOptions: engine.RequestOptions{MaxTokens: 1000, ContextShift: true, Sampling: engine.Sampling{Temperature: 1, Seed: 3}}}, func(engine.Event) error {
		n++
		if n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// The only slot must be free again for the next request.
	done := make(chan error, 1)
	go func() {
		_, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 4), nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slot was not freed after cancellation")
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notGGUF := filepath.Join(dir, "notes.gguf")
	os.WriteFile(notGGUF, []byte("hello, this is not a model"), 0o644)
	src, err := os.ReadFile(sharedtest.Model(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.gguf")
	os.WriteFile(truncated, src[:len(src)/3], 0o644)
	e := newEngine(t, engine.Config{Resolver: enginetest.Files{
		"stories": sharedtest.Model(t, "stories260K.gguf"), "notgguf": notGGUF, "truncated": truncated,
	}})
	long := strings.Repeat("Once upon a time there was a dog. ", 200)
	cases := []struct {
		name string
		req  engine.CompletionRequest
		kind engine.Kind
		want string
	}{
		{"unknown model", greedy("nope", "hi", 1), engine.KindNotFound, "not found"},
		{"not gguf", greedy("notgguf", "hi", 1), engine.KindInvalid, "not a GGUF"},
		{"truncated gguf", greedy("truncated", "hi", 1), engine.KindInvalid, "could not load"},
		{"prompt over context", engine.CompletionRequest{Model: "stories", Prompt: long, RequestOptions: engine.RequestOptions{Load: engine.LoadOptions{ContextLength: 256}}}, engine.KindContextExceeded, "context holds 256"},
		{"token out of range", engine.CompletionRequest{Model: "stories", Tokens: []int32{1, 9999}}, engine.KindInvalid, "outside the vocabulary"},
		{"bad grammar", engine.CompletionRequest{Model: "stories", Prompt: "x", RequestOptions: engine.RequestOptions{Sampling: engine.Sampling{Grammar: "root ::= ("}}}, engine.KindInvalid, "grammar"},
		{"bad temperature", engine.CompletionRequest{Model: "stories", Prompt: "x", RequestOptions: engine.RequestOptions{Sampling: engine.Sampling{Temperature: -1}}}, engine.KindInvalid, "temperature"},
		{"bad top_p", engine.CompletionRequest{Model: "stories", Prompt: "x", RequestOptions: engine.RequestOptions{Sampling: engine.Sampling{Temperature: 1, TopP: 2}}}, engine.KindInvalid, "top_p"},
		{"no suffix support", engine.CompletionRequest{Model: "stories", Prompt: "x", Suffix: "y"}, engine.KindInvalid, "fill-in-the-middle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Complete(context.Background(), c.req, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if engine.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q (kind %s), want kind %s containing %q", err, engine.KindOf(err), c.kind, c.want)
			}
		})
	}
	// Still serving after all that.
	if _, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 4), nil); err != nil {
		t.Fatal(err)
	}
}

func TestEmbedAndTokenize(t *testing.T) {
	e := newEngine(t, engine.Config{})
	res, err := e.Embed(context.Background(), engine.EmbedRequest{Model: "stories", Inputs: []string{"Once upon a time", "a dog"}, Normalize: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Embeddings) != 2 || len(res.Embeddings[0]) != 64 {
		t.Fatalf("got %d vectors of %d", len(res.Embeddings), len(res.Embeddings[0]))
	}
	var norm float64
	for _, v := range res.Embeddings[0] {
		norm += float64(v) * float64(v)
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Errorf("norm² %v, want 1", norm)
	}
	toks, err := e.Tokenize(context.Background(), "stories", "Once upon a time", true, true)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int32{1, 403, 407, 261, 378}
	if len(toks) != len(ids) {
		t.Fatalf("tokens %+v", toks)
	}
	for i := range ids {
		if toks[i].ID != ids[i] {
			t.Fatalf("tokens %+v, want ids %v", toks, ids)
		}
	}
	text, err := e.Detokenize(context.Background(), "stories", ids[1:], false)
	if err != nil || text != "Once upon a time" {
		t.Fatalf("detokenize %q %v", text, err)
	}
	for _, c := range []struct {
		special bool
		want    string
	}{{false, "Once upon a time"}, {true, "<s> Once upon a time"}} {
		text, err := e.Detokenize(context.Background(), "stories", ids, c.special)
		if err != nil || text != c.want {
			t.Errorf("detokenize with BOS, special=%v: %q %v; want %q", c.special, text, err, c.want)
		}
	}
}

// TestSplitCharactersStreamWhole: stories260K spells Korean in byte tokens, so each character
// arrives over three tokens. Every streamed piece is whole UTF-8, with or without a stop
// string, and the pieces add up to the answer; a character cut by max_tokens ends as U+FFFD.
func TestSplitCharactersStreamWhole(t *testing.T) {
	e := newEngine(t, engine.Config{})
	for _, c := range []struct {
		name      string
		max       int
		stop      []string
		want      string
		finish    string
		wantWords string
	}{
		{"whole", 0, nil, "한국어 이야기", engine.FinishStop, ""},
		{"stop string", 0, []string{"이야"}, "한국어 ", engine.FinishStop, "이야"},
		{"cut by max_tokens", 4, nil, "한\uFFFD", engine.FinishLength, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := greedy("stories", "Once upon a time", c.max)
			req.Stop = c.stop
			req.Sampling.Grammar = `root ::= "한국어 이야기"`
			var streamed strings.Builder
			res, err := e.Complete(context.Background(), req, func(ev engine.Event) error {
				if !utf8.ValidString(ev.Text) {
					t.Errorf("streamed a broken character: %q", ev.Text)
				}
				streamed.WriteString(ev.Text)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != c.want || streamed.String() != res.Text || res.FinishReason != c.finish || res.StopWord != c.wantWords {
				t.Errorf("got %q (streamed %q, %s, stop %q); want %q (%s, stop %q)", res.Text, streamed.String(), res.FinishReason, res.StopWord, c.want, c.finish, c.wantWords)
			}
		})
	}
}

// TestLoadedSaysFlashAttnUsed: a model loaded with flash attention "auto" reports what
// llama.cpp chose (on, for stories260K on the CPU), through the worker to the engine's status.
func TestLoadedSaysFlashAttnUsed(t *testing.T) {
	e := newEngine(t, engine.Config{})
	st, err := e.Load(context.Background(), "stories", engine.LoadOptions{ContextLength: 256}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.FlashAttnUsed != "on" {
		t.Errorf("flash attention came to %q, want on", st.FlashAttnUsed)
	}
}
