package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/ollama"
	"github.com/tmc/langchaingo/llms/openai"
)

var prompt = []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Tell me a story.")}

func langchainOpenAI(e env, model string, opts ...openai.Option) (*openai.LLM, error) {
	return openai.New(append([]openai.Option{openai.WithBaseURL(e.base + "/v1"), openai.WithToken(e.key),
		openai.WithModel(model), openai.WithEmbeddingModel(e.embed), openai.WithHTTPClient(e.http)}, opts...)...)
}

func langchainOllama(e env, model string) (*ollama.LLM, error) {
	return ollama.New(ollama.WithServerURL(e.base), ollama.WithModel(model), ollama.WithHTTPClient(e.http))
}

// langchainCases are the cases both langchaingo llms share; model makes the client for a model.
func langchainCases(n string, model func(e env, name string) (llms.Model, error)) []testCase {
	gen := func(ctx context.Context, e env, name string, opts ...llms.CallOption) (*llms.ContentResponse, error) {
		m, err := model(e, name)
		if err != nil {
			return nil, err
		}
		return m.GenerateContent(ctx, prompt, append([]llms.CallOption{llms.WithMaxTokens(16), llms.WithTemperature(0)}, opts...)...)
	}
	return []testCase{
		{n + "list", func(context.Context, env) error {
			return skipped("langchaingo's llms have no model listing")
		}},
		{n + "chat", func(ctx context.Context, e env) error {
			r, err := gen(ctx, e, e.model)
			if err != nil {
				return err
			}
			return check(len(r.Choices) == 1 && r.Choices[0].Content != "", "chat %+v", r.Choices)
		}},
		{n + "stream", func(ctx context.Context, e env) error {
			var chunks []string
			r, err := gen(ctx, e, e.model, llms.WithStreamingFunc(func(_ context.Context, b []byte) error {
				chunks = append(chunks, string(b))
				return nil
			}))
			if err != nil {
				return err
			}
			text := strings.Join(chunks, "")
			return check(len(chunks) > 1 && text != "" && text == r.Choices[0].Content, "stream %q, answer %q", chunks, r.Choices[0].Content)
		}},
		{n + "embeddings", func(ctx context.Context, e env) error {
			m, err := model(e, e.embed)
			if err != nil {
				return err
			}
			v, err := m.(interface {
				CreateEmbedding(context.Context, []string) ([][]float32, error)
			}).CreateEmbedding(ctx, []string{"hello", "world"})
			if err != nil {
				return err
			}
			return check(len(v) == 2 && len(v[0]) > 0, "embeddings %v", v)
		}},
		{n + "unknown model", func(ctx context.Context, e env) error {
			_, err := gen(ctx, e, "no-such-model")
			return notFound(err)
		}},
	}
}

func langchainOpenAICases() []testCase {
	const n = "langchaingo openai "
	cases := langchainCases(n, func(e env, name string) (llms.Model, error) { return langchainOpenAI(e, name) })
	return append(cases,
		testCase{n + "json_schema (WithResponseFormat)", func(ctx context.Context, e env) error {
			var schema openai.ResponseFormatJSONSchemaProperty
			if err := json.Unmarshal([]byte(petSchema), &schema); err != nil {
				return err
			}
			m, err := langchainOpenAI(e, e.model, openai.WithResponseFormat(&openai.ResponseFormat{Type: "json_schema",
				JSONSchema: &openai.ResponseFormatJSONSchema{Name: "pet", Strict: true, Schema: &schema}}))
			if err != nil {
				return err
			}
			r, err := m.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Describe a pet.")}, llms.WithMaxTokens(96), llms.WithTemperature(0))
			if err != nil {
				return err
			}
			// langchaingo's schema type has no minimum, maximum or maxLength: the bounds are
			// dropped before they are sent, so only the shape is checked.
			var p pet
			if err := json.Unmarshal([]byte(r.Choices[0].Content), &p); err != nil {
				return fmt.Errorf("%w: %q", err, r.Choices[0].Content)
			}
			return check(p.Age != nil && p.Legs != nil, "pet %q", r.Choices[0].Content)
		}},
		testCase{n + "forced tool call", func(ctx context.Context, e env) error {
			m, err := langchainOpenAI(e, e.model)
			if err != nil {
				return err
			}
			return langchainTool(ctx, m, llms.ToolChoice{Type: "function", Function: &llms.FunctionReference{Name: "weather"}})
		}},
	)
}

func langchainOllamaCases() []testCase {
	const n = "langchaingo ollama "
	cases := langchainCases(n, func(e env, name string) (llms.Model, error) { return langchainOllama(e, name) })
	return append(cases,
		testCase{n + "json mode (format json, the only format this client sends)", func(ctx context.Context, e env) error {
			m, err := langchainOllama(e, e.model)
			if err != nil {
				return err
			}
			r, err := m.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Describe a pet as JSON.")},
				llms.WithJSONMode(), llms.WithMaxTokens(48), llms.WithTemperature(0))
			if err != nil {
				return err
			}
			var v any
			if e.real {
				// A real small model may use its whole budget inside a string; the answer is
				// still a JSON prefix, which the grammar guarantees.
				return check(strings.HasPrefix(strings.TrimSpace(r.Choices[0].Content), "{") || strings.HasPrefix(strings.TrimSpace(r.Choices[0].Content), "["), "not JSON: %q", r.Choices[0].Content)
			}
			return json.Unmarshal([]byte(r.Choices[0].Content), &v)
		}},
		testCase{n + "forced tool call", func(context.Context, env) error {
			return skipped("langchaingo v0.1.14's ollama llm sends no tools (its ChatRequest has no tools field)")
		}},
	)
}

// langchainTool asks for the weather tool with the given tool choice.
func langchainTool(ctx context.Context, m llms.Model, choice any) error {
	var params map[string]any
	if err := json.Unmarshal([]byte(weatherSchema), &params); err != nil {
		return err
	}
	r, err := m.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Use a tool: weather in Seoul?")},
		llms.WithMaxTokens(200), llms.WithTools([]llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{
			Name: "weather", Description: "Weather in a city", Parameters: params}}}), llms.WithToolChoice(choice))
	if err != nil {
		return err
	}
	calls := r.Choices[0].ToolCalls
	if len(calls) != 1 || calls[0].FunctionCall == nil || calls[0].FunctionCall.Name != "weather" {
		return fmt.Errorf("tool calls %+v, content %q", calls, r.Choices[0].Content)
	}
	var a weatherArgs
	if err := json.Unmarshal([]byte(calls[0].FunctionCall.Arguments), &a); err != nil {
		return err
	}
	return check(a.City != nil && a.Days != nil, "arguments %s", calls[0].FunctionCall.Arguments)
}
