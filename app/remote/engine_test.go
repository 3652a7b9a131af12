package remote_test

import (
	"context"
	"math"
	"testing"

	"github.com/perchapp/perch/app/remote"
	"github.com/perchapp/perch/app/remote/remotetest"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// TestEngine: the engine-shaped path (the UI's chats, Ollama routes for an OpenAI-only
// server, document embeddings) against the vLLM-like server.
func TestEngine(t *testing.T) {
	v := remotetest.NewVLLM("k")
	defer v.Close()
	m, _ := open(t, remote.Options{})
	if _, err := m.Add(context.Background(), "gpu", v.URL, "", "k"); err != nil {
		t.Fatal(err)
	}
	e := remote.Engine{Remotes: m} // no local engine: every call must go remote
	ctx := context.Background()

	var streamed string
	res, err := e.Chat(ctx, engine.ChatRequest{Model: "gpu/" + remotetest.Chat, Messages: []chat.Message{{Role: "user", Content: "hi"}},
		RequestOptions: engine.RequestOptions{Sampling: engine.DefaultSampling()}}, func(ev engine.ChatEvent) error {
		streamed += ev.Content
		return nil
	})
	if err != nil || res.Message.Content != remotetest.Answer || streamed != remotetest.Answer || res.FinishReason != "stop" || res.Usage.PromptTokens != 12 {
		t.Fatalf("chat: %+v %v (streamed %q)", res, err, streamed)
	}

	res, err = e.Chat(ctx, engine.ChatRequest{Model: "gpu/" + remotetest.Chat, Messages: []chat.Message{{Role: "user", Content: "weather?"}},
		Tools: []chat.Tool{{Type: "function", Function: chat.Function{Name: "get_weather"}}}}, nil)
	if err != nil || len(res.Message.ToolCalls) != 1 || string(res.Message.ToolCalls[0].Function.Arguments) != `{"city": "Seoul"}` || res.FinishReason != "tool_calls" {
		t.Fatalf("tool call: %+v %v", res, err)
	}
	got := v.Requests["/v1/chat/completions"]
	if last := got[len(got)-1]; last["model"] != remotetest.Chat || last["tools"] == nil {
		t.Fatalf("the remote got %+v", last)
	}

	emb, err := e.Embed(ctx, engine.EmbedRequest{Model: "gpu/" + remotetest.Embed, Inputs: []string{"abcd", "x"}, Normalize: true})
	if err != nil || len(emb.Embeddings) != 2 || emb.PromptTokens != 7 {
		t.Fatalf("embed: %+v %v", emb, err)
	}
	var norm float64
	for _, x := range emb.Embeddings[0] {
		norm += float64(x) * float64(x)
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Fatalf("vector not normalised: %v", emb.Embeddings[0])
	}

	_, err = e.Chat(ctx, engine.ChatRequest{Model: "gpu/" + remotetest.Crash, Messages: []chat.Message{{Role: "user", Content: "hi"}}}, nil)
	if err == nil || engine.KindOf(err) == engine.KindCancelled {
		t.Fatalf("a broken stream: %v", err)
	}
	if _, err = e.Chat(ctx, engine.ChatRequest{Model: "gpu/nope", Messages: []chat.Message{{Role: "user", Content: "hi"}}}, nil); engine.KindOf(err) != engine.KindNotFound {
		t.Fatalf("unknown remote model: %v", err)
	}
	if _, err := e.Tokenize(ctx, "gpu/"+remotetest.Chat, "hi", true, true); engine.KindOf(err) != engine.KindInvalid {
		t.Fatalf("tokenize: %v", err)
	}
}
