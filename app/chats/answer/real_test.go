package answer

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
)

// TestMain lets this test binary act as the engine's worker.
func TestMain(m *testing.M) { enginetest.Main(m) }

// storiesEngine is the real engine with stories260K as "stories", one slot.
func storiesEngine(t *testing.T) *engine.Engine {
	t.Helper()
	models := enginetest.Files{"stories": sharedtest.Model(t, "stories260K.gguf")}
	e, err := engine.New(engine.Config{Resolver: models, Command: []string{os.Args[0], "engine"}, RuntimeDir: t.TempDir(), Threads: 2, Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// TestStreamTrimsRealEngine: with the real engine (stories260K in a 256-token context) a
// conversation grown past the context is refused by the worker; Stream leaves out the
// oldest turns until it fits and the answer comes, as `perch run` relies on.
func TestStreamTrimsRealEngine(t *testing.T) {
	e := storiesEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req := engine.ChatRequest{Model: "stories", RequestOptions: engine.RequestOptions{
		MaxTokens: 8, Sampling: engine.Sampling{Temperature: 0, Seed: 1}, Load: engine.LoadOptions{ContextLength: 256, Slots: 1}}}
	req.Messages = append(req.Messages, chat.Message{Role: "system", Content: "Tell stories."})
	for i := range 8 {
		req.Messages = append(req.Messages,
			chat.Message{Role: "user", Content: strings.Repeat("Once upon a time there was a little dog. ", 3) + string(rune('A'+i))},
			chat.Message{Role: "assistant", Content: strings.Repeat("The dog ran and played in the park. ", 3)})
	}
	req.Messages = append(req.Messages, chat.Message{Role: "user", Content: "What happened next?"})

	// Untrimmed, the worker refuses it: the test would mean nothing otherwise.
	_, err := e.Chat(ctx, req, nil)
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Kind != engine.KindContextExceeded {
		t.Fatalf("the long chat was not over the context: %v", err)
	}
	ev := &events{}
	w := Stream(ctx, e, req, ev, time.Now)
	if w.Err != nil || w.Result == nil {
		t.Fatalf("after trimming: %v", w.Err)
	}
	if w.Dropped == 0 || len(ev.trimmed) == 0 || ev.trimmed[len(ev.trimmed)-1] != w.Dropped {
		t.Errorf("dropped %d, trimmed events %v", w.Dropped, ev.trimmed)
	}
	msgs := w.Req.Messages
	if msgs[0].Role != "system" || msgs[1].Role != "user" || msgs[len(msgs)-1].Content != "What happened next?" || len(msgs) != len(req.Messages)-w.Dropped {
		t.Errorf("trimmed history %+v", msgs)
	}
	if w.Result.Usage.PromptTokens > ee.ContextLength {
		t.Errorf("the answered prompt has %d tokens in a %d-token context", w.Result.Usage.PromptTokens, ee.ContextLength)
	}
}

// TestChatContextLoadsRealModel: a chat's own num_ctx is the context its answer loads the
// real model with.
func TestChatContextLoadsRealModel(t *testing.T) {
	e := storiesEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	numCtx, maxTokens := 512, 4
	c := chats.Chat{Params: chats.Params{NumCtx: &numCtx, MaxTokens: &maxTokens},
		Messages: []chats.Message{{ID: 1, Role: chats.RoleUser, Content: "Once upon a time"}}}
	if w := Stream(ctx, e, Request(c, "stories", 1), &events{}, time.Now); w.Err != nil {
		t.Fatal(w.Err)
	}
	if st := e.Loaded(); len(st) != 1 || st[0].SlotCtx != numCtx {
		t.Fatalf("loaded %+v; want stories at the chat's context %d", st, numCtx)
	}
}
