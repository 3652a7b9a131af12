package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// TestChatPromptTokens: stories260K has no template, so chats render as ChatML; llama.cpp's
// own server tests pin these prompt sizes.
func TestChatPromptTokens(t *testing.T) {
	e := newEngine(t, engine.Config{})
	cases := []struct {
		system, user string
		want         int
	}{
		{"Book", "Hey", 69},
		{"Book", "What is the best book", 77},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			var streamed strings.Builder
			res, err := e.Chat(context.Background(), engine.ChatRequest{
				Model:    "stories",
				Messages: []chat.Message{{Role: "system", Content: c.system}, {Role: "user", Content: c.user}},
				RequestOptions: engine.RequestOptions{
					MaxTokens: 8, Sampling: engine.Sampling{Temperature: 0},
				},
			}, func(ev engine.ChatEvent) error {
				streamed.WriteString(ev.Content)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Usage.PromptTokens != c.want {
				t.Errorf("prompt tokens %d, want %d; prompt:\n%s", res.Usage.PromptTokens, c.want, res.Prompt)
			}
			if res.Message.Role != "assistant" || res.Message.Content == "" || streamed.String() != res.Message.Content {
				t.Errorf("message %+v, streamed %q", res.Message, streamed.String())
			}
			if res.FinishReason != engine.FinishLength || res.Usage.CompletionTokens != 8 {
				t.Errorf("finish %s after %d tokens, want length after 8", res.FinishReason, res.Usage.CompletionTokens)
			}
		})
	}
}

func TestChatBadInput(t *testing.T) {
	e := newEngine(t, engine.Config{})
	cases := []struct {
		name string
		req  engine.ChatRequest
		want string
	}{
		{"no messages", engine.ChatRequest{Model: "stories"}, "messages is empty"},
		{"named tool missing", engine.ChatRequest{Model: "stories", Messages: []chat.Message{{Role: "user", Content: "x"}},
			ToolChoice: chat.ToolChoice{Mode: "function", Function: "nope"}}, "not among the tools"},
		{"broken template", engine.ChatRequest{Model: "stories", Messages: []chat.Message{{Role: "user", Content: "x"}},
			Template: "{% for m in messages %}"}, "template"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Chat(context.Background(), c.req, nil)
			if engine.KindOf(err) != engine.KindInvalid || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v (kind %s), want invalid request containing %q", err, engine.KindOf(err), c.want)
			}
		})
	}
}

// TestChatConstrained: with a grammar even a 260K-parameter story model answers in valid JSON
// and makes the forced tool call.
func TestChatConstrained(t *testing.T) {
	e := newEngine(t, engine.Config{})
	user := []chat.Message{{Role: "user", Content: "What is the weather in Seoul?"}}
	res, err := e.Chat(context.Background(), engine.ChatRequest{
		Model: "stories", Messages: user,
		Format: &engine.Format{Type: "json_schema", Schema: []byte(`{"type":"object","properties":{"status":{"type":"string","enum":["ok"]}},"required":["status"],"additionalProperties":false}`)},
		RequestOptions: engine.RequestOptions{
			MaxTokens: 200, Sampling: engine.Sampling{Temperature: 0.8, Seed: 1},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ReplaceAll(res.Message.Content, " ", "") != `{"status":"ok"}` {
		t.Errorf("json_schema answer %q", res.Message.Content)
	}
	tools := []chat.Tool{{Type: "function", Function: chat.Function{Name: "get_weather",
		Parameters: []byte(`{"type":"object","properties":{"city":{"type":"string","maxLength":20}},"required":["city"]}`)}}}
	res, err = e.Chat(context.Background(), engine.ChatRequest{
		Model: "stories", Messages: user, Tools: tools, ToolChoice: chat.ToolChoice{Mode: "required"},
		RequestOptions: engine.RequestOptions{
			MaxTokens: 200, Sampling: engine.Sampling{Temperature: 0.8, Seed: 2},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Message.ToolCalls) != 1 || res.Message.ToolCalls[0].Function.Name != "get_weather" || res.FinishReason != engine.FinishToolCalls {
		t.Fatalf("tool calls %+v, finish %s", res.Message.ToolCalls, res.FinishReason)
	}
	if !strings.Contains(string(res.Message.ToolCalls[0].Function.Arguments), `"city"`) {
		t.Errorf("arguments %s lack city", res.Message.ToolCalls[0].Function.Arguments)
	}
}

// TestHostileTemplateKillsOnlyTheWorker: templates come from untrusted files and render in the
// worker; one that recurses forever takes down that process, not the caller.
func TestHostileTemplateKillsOnlyTheWorker(t *testing.T) {
	e := newEngine(t, engine.Config{})
	user := []chat.Message{{Role: "user", Content: "x"}}
	_, err := e.Chat(context.Background(), engine.ChatRequest{Model: "stories", Messages: user,
		Template: "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"}, nil)
	if err == nil {
		t.Fatal("a template that recurses forever rendered")
	}
	t.Logf("hostile template: %v", err)
	res, err := e.Chat(context.Background(), engine.ChatRequest{Model: "stories", Messages: user, RequestOptions: engine.RequestOptions{MaxTokens: 4}}, nil)
	if err != nil || res.Usage.CompletionTokens != 4 {
		t.Fatalf("the next chat: %v", err)
	}
}

// TestEmbeddingLoadThenChat: a model loaded for embeddings only is reloaded for a chat.
func TestEmbeddingLoadThenChat(t *testing.T) {
	e := newEngine(t, engine.Config{})
	if _, err := e.Embed(context.Background(), engine.EmbedRequest{Model: "stories", Inputs: []string{"a dog"}, Load: engine.LoadOptions{Embedding: true}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Chat(context.Background(), engine.ChatRequest{Model: "stories", Messages: []chat.Message{{Role: "user", Content: "Hi"}}, RequestOptions: engine.RequestOptions{MaxTokens: 3}}, nil)
	if err != nil || res.Usage.CompletionTokens != 3 {
		t.Fatalf("chat after an embedding load: %v", err)
	}
}

// TestNextTurnReusesAnswerTokens: with a real chat template (Phi-3's special turn tokens), a
// conversation's next turn prefills only the new turn: the answer stays the tokens the model
// produced rather than a fresh tokenization of its text.
func TestNextTurnReusesAnswerTokens(t *testing.T) {
	model := synthtest.Model(t, "tiny", "ggml-vocab-phi-3.gguf", "F16")
	e := newEngine(t, engine.Config{Resolver: enginetest.Files{"phi": model}})
	msgs := []chat.Message{{Role: "user", Content: "Write a short story about a cat."}}
	first, err := e.Chat(context.Background(), engine.ChatRequest{Model: "phi", Messages: msgs, RequestOptions: engine.RequestOptions{MaxTokens: 40, Sampling: engine.Sampling{Temperature: 0.8, Seed: 3}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, first.Message, chat.Message{Role: "user", Content: "And a dog?"})
	second, err := e.Chat(context.Background(), engine.ChatRequest{Model: "phi", Messages: msgs, RequestOptions: engine.RequestOptions{MaxTokens: 4, Sampling: engine.Sampling{Temperature: 0}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefilled := second.Usage.PromptTokens - second.Usage.CachedTokens
	t.Logf("turn 1: %d prompt + %d answer tokens; turn 2: %d prompt, %d cached, %d prefilled",
		first.Usage.PromptTokens, first.Usage.CompletionTokens, second.Usage.PromptTokens, second.Usage.CachedTokens, prefilled)
	if want := first.Usage.PromptTokens + first.Usage.CompletionTokens - 1; second.Usage.CachedTokens < want {
		t.Errorf("turn 2 reused %d tokens, want at least %d (turn 1's prompt and answer)", second.Usage.CachedTokens, want)
	}
}

// TestForcedToolCallCutShort: a forced call cut by max_tokens is reported as cut (finish
// length, no tool calls), and none of its markup reaches the content, streamed or not.
func TestForcedToolCallCutShort(t *testing.T) {
	e := newEngine(t, engine.Config{})
	tools := []chat.Tool{{Type: "function", Function: chat.Function{Name: "get_weather",
		Parameters: []byte(`{"type":"object","properties":{"city":{"type":"string","maxLength":20}},"required":["city"]}`)}}}
	for _, n := range []int{3, 6, 9, 16, 24} {
		var streamed strings.Builder
		res, err := e.Chat(context.Background(), engine.ChatRequest{
			Model: "stories", Messages: []chat.Message{{Role: "user", Content: "Weather in Seoul?"}}, Tools: tools,
			ToolChoice: chat.ToolChoice{Mode: "required"}, RequestOptions: engine.RequestOptions{MaxTokens: n, Sampling: engine.Sampling{Temperature: 0}},
		}, func(ev engine.ChatEvent) error { streamed.WriteString(ev.Content); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if res.FinishReason != engine.FinishLength || len(res.Message.ToolCalls) != 0 {
			t.Errorf("max_tokens %d: finish %s, calls %+v; want length and no calls", n, res.FinishReason, res.Message.ToolCalls)
		}
		if res.Message.Content != "" || streamed.String() != "" {
			t.Errorf("max_tokens %d: tool markup reached the content: %q (streamed %q)", n, res.Message.Content, streamed.String())
		}
	}
}

// TestToolsNeedATemplateThatShowsThem: a template that cannot show tools gets Ollama's 400
// ("does not support tools"), not a tool prompt of Perch's own.
func TestToolsNeedATemplateThatShowsThem(t *testing.T) {
	e := newEngine(t, engine.Config{})
	tools := []chat.Tool{{Type: "function", Function: chat.Function{Name: "get_weather", Parameters: []byte(`{"type":"object","properties":{}}`)}}}
	req := engine.ChatRequest{Model: "stories", Messages: []chat.Message{{Role: "user", Content: "Weather?"}}, Tools: tools, RequestOptions: engine.RequestOptions{MaxTokens: 4},
		Template: "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:"}
	_, err := e.Chat(context.Background(), req, nil)
	if engine.KindOf(err) != engine.KindInvalid || !strings.Contains(err.Error(), "stories does not support tools") {
		t.Fatalf("err %v, want invalid: stories does not support tools", err)
	}
	req.Tools = nil // the same template chats
	if _, err := e.Chat(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
}
