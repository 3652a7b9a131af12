package compat

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

func oaClient(t *testing.T, tg Target) openai.Client {
	key := tg.APIKey
	if key == "" {
		key = "unused"
	}
	return openai.NewClient(
		option.WithBaseURL(tg.BaseURL+"/v1/"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithHTTPClient(HTTPClient(t, tg)),
		option.WithRequestTimeout(2*time.Minute),
	)
}

func greedyChat(tg Target, prompt string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       tg.Model,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(16),
	}
}

// wantAPIError asserts err is an OpenAI API error with the status (and type, when given).
func wantAPIError(t *testing.T, err error, status int, typ string) *openai.Error {
	t.Helper()
	var ae *openai.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error with status %d, got %v", status, err)
	}
	if ae.StatusCode != status {
		t.Fatalf("status %d, want %d (%s)", ae.StatusCode, status, ae.Message)
	}
	if typ != "" && ae.Type != typ {
		t.Fatalf("error type %q, want %q (%s)", ae.Type, typ, ae.Message)
	}
	if ae.Message == "" {
		t.Fatal("the error has no message")
	}
	return ae
}

// OpenAI are the cases for the official OpenAI Go SDK.
func OpenAI() []Case {
	return []Case{
		{"models", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			page, err := c.Models.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(page.Data, func(m openai.Model) bool { return m.ID == tg.Model }) {
				t.Fatalf("model %s is not listed in %+v", tg.Model, page.Data)
			}
			m, err := c.Models.Get(context.Background(), tg.Model)
			if err != nil || m.ID != tg.Model {
				t.Fatalf("get %s: %+v, %v", tg.Model, m, err)
			}
			_, err = c.Models.Get(context.Background(), "no-such-model")
			wantAPIError(t, err, http.StatusNotFound, "")
		}},
		{"chat", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			res, err := c.Chat.Completions.New(context.Background(), greedyChat(tg, "Tell me a story."))
			if err != nil {
				t.Fatal(err)
			}
			if res.Object != "chat.completion" || len(res.Choices) != 1 || !strings.Contains(res.ID, "cmpl") {
				t.Fatalf("unexpected response: %+v", res)
			}
			ch := res.Choices[0]
			if ch.Message.Role != "assistant" || ch.Message.Content == "" {
				t.Fatalf("message %+v", ch.Message)
			}
			if ch.FinishReason != "stop" && ch.FinishReason != "length" {
				t.Fatalf("finish_reason %q", ch.FinishReason)
			}
			u := res.Usage
			if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens || u.CompletionTokens > 16 {
				t.Fatalf("usage %+v", u)
			}
			if res.Model != tg.Model {
				t.Fatalf("model %q, want %q", res.Model, tg.Model)
			}
		}},
		{"chat stream", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			params := greedyChat(tg, "Tell me a story.")
			want, err := c.Chat.Completions.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			stream := c.Chat.Completions.NewStreaming(context.Background(), params)
			var acc openai.ChatCompletionAccumulator
			var chunks []openai.ChatCompletionChunk
			for stream.Next() {
				chunks = append(chunks, stream.Current())
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if len(chunks) < 3 {
				t.Fatalf("only %d chunks", len(chunks))
			}
			first := chunks[0]
			if len(first.Choices) != 1 || first.Choices[0].Delta.Role != "assistant" {
				t.Fatalf("the first chunk does not carry the role: %s", first.RawJSON())
			}
			finishes := 0
			for i, ch := range chunks {
				if ch.ID != first.ID {
					t.Fatalf("chunk %d has id %s, want %s", i, ch.ID, first.ID)
				}
				for _, c := range ch.Choices {
					if i > 0 && c.Delta.Role != "" {
						t.Fatalf("chunk %d repeats the role", i)
					}
					if c.FinishReason != "" {
						finishes++
					}
				}
			}
			if finishes != 1 {
				t.Fatalf("%d chunks carry a finish_reason, want 1", finishes)
			}
			last := chunks[len(chunks)-1]
			if len(last.Choices) != 0 || last.Usage.TotalTokens == 0 {
				t.Fatalf("the last chunk is not the usage trailer: %s", last.RawJSON())
			}
			if got := acc.Choices[0].Message.Content; got != want.Choices[0].Message.Content {
				t.Fatalf("streamed %q, not streamed %q", got, want.Choices[0].Message.Content)
			}
			if tg.Fake && !strings.HasPrefix(tg.Story, want.Choices[0].Message.Content) {
				t.Fatalf("greedy text %q is not the start of %q", want.Choices[0].Message.Content, tg.Story)
			}
		}},
		{"chat max_tokens and stop", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			p := greedyChat(tg, "Tell me a story.")
			p.MaxTokens = openai.Int(2)
			res, err := c.Chat.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if res.Choices[0].FinishReason != "length" || res.Usage.CompletionTokens > 2 {
				t.Fatalf("max_tokens 2: finish %q, %d tokens", res.Choices[0].FinishReason, res.Usage.CompletionTokens)
			}
			full, err := c.Chat.Completions.New(context.Background(), greedyChat(tg, "Tell me a story."))
			if err != nil {
				t.Fatal(err)
			}
			words := strings.Fields(full.Choices[0].Message.Content)
			if len(words) < 3 {
				t.Skip("the answer is too short to pick a stop word")
			}
			stop := words[2]
			p = greedyChat(tg, "Tell me a story.")
			p.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{stop, "\u0000never"}}
			res, err = c.Chat.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Choices[0].Message.Content; strings.Contains(got, stop) || res.Choices[0].FinishReason != "stop" {
				t.Fatalf("stop %q: got %q, finish %q", stop, got, res.Choices[0].FinishReason)
			}
		}},
		{"chat n and logprobs", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			p := greedyChat(tg, "Tell me a story.")
			p.N = openai.Int(2)
			p.Logprobs = openai.Bool(true)
			p.TopLogprobs = openai.Int(2)
			res, err := c.Chat.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Choices) != 2 || res.Choices[1].Index != 1 {
				t.Fatalf("want 2 choices, got %d", len(res.Choices))
			}
			lp := res.Choices[0].Logprobs.Content
			if len(lp) == 0 {
				t.Fatal("no logprobs")
			}
			var joined strings.Builder
			for _, e := range lp {
				if e.Logprob > 0 || len(e.TopLogprobs) == 0 || len(e.TopLogprobs) > 2 {
					t.Fatalf("bad logprob entry %+v", e)
				}
				joined.WriteString(e.Token)
			}
			if joined.String() != res.Choices[0].Message.Content {
				t.Fatalf("tokens join to %q, content is %q", joined.String(), res.Choices[0].Message.Content)
			}
			p.TopLogprobs = openai.Int(21)
			_, err = c.Chat.Completions.New(context.Background(), p)
			wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error")
		}},
		{"chat forced tool call", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			p := greedyChat(tg, "Call the tool.")
			p.MaxTokens = openai.Int(64)
			p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
				Name: "record", Description: openai.String("Record a value"), Strict: openai.Bool(true),
				Parameters: shared.FunctionParameters{
					"type": "object", "properties": map[string]any{"value": map[string]any{"type": "string"}},
					"required": []string{"value"}, "additionalProperties": false,
				},
			})}
			p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfFunctionToolChoice: &openai.ChatCompletionNamedToolChoiceParam{
				Function: openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "record"},
			}}
			res, err := c.Chat.Completions.New(context.Background(), p)
			if err != nil {
				var ae *openai.Error
				if errors.As(err, &ae) {
					t.Fatalf("%v: %s", err, ae.RawJSON())
				}
				t.Fatal(err)
			}
			ch := res.Choices[0]
			if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 {
				t.Fatalf("want one tool call, got %s", ch.RawJSON())
			}
			call := ch.Message.ToolCalls[0]
			if call.Type != "function" || call.Function.Name != "record" || call.ID == "" {
				t.Fatalf("tool call %s", call.RawJSON())
			}
			args := mustJSON(t, call.Function.Arguments)
			if _, ok := args["value"].(string); !ok {
				t.Fatalf("arguments %s lack a string value", call.Function.Arguments)
			}
		}},
		{"chat json_schema", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			p := greedyChat(tg, "Say ok.")
			p.MaxTokens = openai.Int(32)
			p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "status", Strict: openai.Bool(true), Schema: map[string]any{
					"type": "object", "properties": map[string]any{"status": map[string]any{"type": "string", "enum": []string{"ok"}}},
					"required": []string{"status"}, "additionalProperties": false,
				}},
			}}
			res, err := c.Chat.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(res.Choices[0].Message.Content), &got); err != nil || len(got) != 1 || got["status"] != "ok" {
				t.Fatalf("content %q is not {\"status\":\"ok\"}", res.Choices[0].Message.Content)
			}
		}},
		{"completions", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			p := openai.CompletionNewParams{
				Model: openai.CompletionNewParamsModel(tg.Model), Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
				Temperature: openai.Float(0), MaxTokens: openai.Int(16),
			}
			res, err := c.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if res.Object != "text_completion" || len(res.Choices) != 1 || res.Choices[0].Text == "" {
				t.Fatalf("completion %s", res.RawJSON())
			}
			if tg.Story != "" && !strings.HasPrefix(strings.TrimPrefix(tg.Story, "Once upon a time"), res.Choices[0].Text) {
				t.Fatalf("greedy continuation %q does not follow the story %q", res.Choices[0].Text, tg.Story)
			}
			stream := c.Completions.NewStreaming(context.Background(), p)
			var text strings.Builder
			finishes := 0
			for stream.Next() {
				for _, ch := range stream.Current().Choices {
					text.WriteString(ch.Text)
					if ch.FinishReason != "" {
						finishes++
					}
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if text.String() != res.Choices[0].Text || finishes != 1 {
				t.Fatalf("streamed %q (%d finishes), not streamed %q", text.String(), finishes, res.Choices[0].Text)
			}
			p.Echo = openai.Bool(true)
			p.Prompt = openai.CompletionNewParamsPromptUnion{OfArrayOfStrings: []string{"Once upon a time", "The cat"}}
			res, err = c.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Choices) != 2 || !strings.HasPrefix(res.Choices[0].Text, "Once upon a time") || !strings.HasPrefix(res.Choices[1].Text, "The cat") {
				t.Fatalf("echo with two prompts: %s", res.RawJSON())
			}
		}},
		{"embeddings", func(t *testing.T, tg Target) {
			if tg.EmbedModel == "" {
				t.Skip("no embedding model")
			}
			c := oaClient(t, tg)
			res, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model: openai.EmbeddingModel(tg.EmbedModel), Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello", "world", "again"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Data) != 3 || res.Usage.PromptTokens <= 0 {
				t.Fatalf("embeddings %s", res.RawJSON())
			}
			for _, d := range res.Data {
				var sum float64
				for _, x := range d.Embedding {
					sum += x * x
				}
				if math.Abs(math.Sqrt(sum)-1) > 1e-5 {
					t.Fatalf("vector %d has norm %v", d.Index, math.Sqrt(sum))
				}
			}
			// base64 gives the same numbers as float32s.
			b64, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model: openai.EmbeddingModel(tg.EmbedModel), Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
				EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
			})
			if err != nil {
				t.Fatal(err)
			}
			if raw := b64.Data[0].JSON.Embedding.Raw(); !strings.HasPrefix(raw, `"`) {
				t.Fatalf("encoding_format base64 gave %.40s", raw)
			}
			got, want := b64.Data[0].Embedding, res.Data[0].Embedding
			if len(got) != len(want) {
				t.Fatalf("base64 vector has %d values, want %d", len(got), len(want))
			}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-4 {
					t.Fatalf("base64 value %d is %v, float is %v", i, got[i], want[i])
				}
			}
		}},
		{"errors", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			p := greedyChat(tg, "hi")
			p.Model = "no-such-model"
			_, err := c.Chat.Completions.New(context.Background(), p)
			wantAPIError(t, err, http.StatusNotFound, "")
			p = greedyChat(tg, "hi")
			p.Temperature = openai.Float(5)
			_, err = c.Chat.Completions.New(context.Background(), p)
			wantAPIError(t, err, http.StatusBadRequest, "invalid_request_error")
			p = greedyChat(tg, longPrompt())
			_, err = c.Chat.Completions.New(context.Background(), p)
			ae := wantAPIError(t, err, http.StatusBadRequest, "exceed_context_size_error")
			if !strings.Contains(ae.RawJSON(), "n_prompt_tokens") || !strings.Contains(ae.RawJSON(), "n_ctx") {
				t.Fatalf("the overflow error lacks the numbers: %s", ae.RawJSON())
			}
			stream := c.Chat.Completions.NewStreaming(context.Background(), p)
			for stream.Next() {
				t.Fatal("a chunk arrived for a prompt over the context")
			}
			wantAPIError(t, stream.Err(), http.StatusBadRequest, "exceed_context_size_error")
		}},
		{"auth", func(t *testing.T, tg Target) {
			if tg.APIKey == "" {
				t.Skip("the server has no API key")
			}
			bad := tg
			bad.APIKey = "wrong-key"
			c := oaClient(t, bad)
			_, err := c.Models.List(context.Background())
			wantAPIError(t, err, http.StatusUnauthorized, "authentication_error")
		}},
	}
}
