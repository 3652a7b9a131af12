package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"
)

func goOpenAIClient(e env) *openai.Client {
	cfg := openai.DefaultConfig(e.key)
	cfg.BaseURL = e.base + "/v1"
	return openai.NewClientWithConfig(cfg)
}

func story(model string, max int) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{Model: model, MaxTokens: max, Temperature: 0,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Tell me a story."}}}
}

func goOpenAICases() []testCase {
	const n = "go-openai "
	return []testCase{
		{n + "list", func(ctx context.Context, e env) error {
			l, err := goOpenAIClient(e).ListModels(ctx)
			if err != nil {
				return err
			}
			for _, m := range l.Models {
				if m.ID == e.model {
					return nil
				}
			}
			return check(false, "%s is not listed: %+v", e.model, l.Models)
		}},
		{n + "chat", func(ctx context.Context, e env) error {
			r, err := goOpenAIClient(e).CreateChatCompletion(ctx, story(e.model, 16))
			if err != nil {
				return err
			}
			return check(len(r.Choices) == 1 && r.Choices[0].Message.Content != "" && r.Usage.PromptTokens > 0 && r.Usage.CompletionTokens > 0, "chat %+v", r)
		}},
		{n + "stream", func(ctx context.Context, e env) error {
			req := story(e.model, 16)
			req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
			s, err := goOpenAIClient(e).CreateChatCompletionStream(ctx, req)
			if err != nil {
				return err
			}
			defer s.Close()
			text, usage := "", 0
			for {
				r, err := s.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return err
				}
				if len(r.Choices) > 0 {
					text += r.Choices[0].Delta.Content
				}
				if r.Usage != nil {
					usage = r.Usage.CompletionTokens
				}
			}
			return check(text != "" && usage > 0, "stream %q, %d completion tokens", text, usage)
		}},
		{n + "embeddings", func(ctx context.Context, e env) error {
			r, err := goOpenAIClient(e).CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{Input: []string{"hello", "world"}, Model: openai.EmbeddingModel(e.embed)})
			if err != nil {
				return err
			}
			return check(len(r.Data) == 2 && len(r.Data[0].Embedding) > 0, "embeddings %+v", r.Data)
		}},
		{n + "json_schema (jsonschema.GenerateSchemaForType)", goOpenAISchema},
		{n + "forced tool call", goOpenAITool},
		{n + "unknown model", func(ctx context.Context, e env) error {
			_, err := goOpenAIClient(e).CreateChatCompletion(ctx, story("no-such-model", 4))
			var apiErr *openai.APIError
			if errors.As(err, &apiErr) && apiErr.HTTPStatusCode != http.StatusNotFound {
				return check(false, "status %d, want 404: %v", apiErr.HTTPStatusCode, err)
			}
			return notFound(err)
		}},
	}
}

// goOpenAISchema asks for a pet with the schema go-openai derives from a Go type.
func goOpenAISchema(ctx context.Context, e env) error {
	type Pet struct {
		Name string `json:"name" enum:"Rex,Tom,Lily"`
		Age  int    `json:"age"`
		Legs int    `json:"legs"`
	}
	schema, err := jsonschema.GenerateSchemaForType(Pet{})
	if err != nil {
		return err
	}
	req := story(e.model, 96)
	req.Messages[0].Content = "Describe a pet."
	req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
		JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: "pet", Schema: schema, Strict: true}}
	r, err := goOpenAIClient(e).CreateChatCompletion(ctx, req)
	if err != nil {
		return err
	}
	var p Pet
	if err := schema.Unmarshal(r.Choices[0].Message.Content, &p); err != nil {
		return fmt.Errorf("%w: %q", err, r.Choices[0].Message.Content)
	}
	return check(p.Name != "", "pet %+v", p)
}

// goOpenAITool forces the weather tool by name.
func goOpenAITool(ctx context.Context, e env) error {
	req := story(e.model, 200)
	req.Messages[0].Content = "Use a tool: weather in Seoul?"
	req.Tools = []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: "weather", Description: "Weather in a city", Parameters: json.RawMessage(weatherSchema)}}}
	req.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: "weather"}}
	r, err := goOpenAIClient(e).CreateChatCompletion(ctx, req)
	if err != nil {
		return err
	}
	calls := r.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "weather" {
		return check(false, "tool calls %+v, content %q", calls, r.Choices[0].Message.Content)
	}
	var a weatherArgs
	if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &a); err != nil {
		return err
	}
	return check(a.City != nil && a.Days != nil && r.Choices[0].FinishReason == openai.FinishReasonToolCalls, "arguments %s, finish %s", calls[0].Function.Arguments, r.Choices[0].FinishReason)
}
