package ollama

import (
	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// ChatRequestFromOllama converts /api/chat's request; a bad field is a *wire.ParamError.
func ChatRequestFromOllama(req ChatRequest) (engine.ChatRequest, error) {
	var out engine.ChatRequest
	msgs, err := MessagesFromOllama(req.Messages)
	if err != nil {
		return out, err
	}
	run, err := RunOptions(req.Options)
	if err != nil {
		return out, err
	}
	tools, err := openai.ToolsFromOpenAI(req.Tools)
	if err != nil {
		return out, err
	}
	format, err := ParseFormat(req.Format)
	if err != nil {
		return out, err
	}
	think, err := ParseThink(req.Think)
	if err != nil {
		return out, err
	}
	if err := CheckTopLogprobs(req.TopLogprobs); err != nil {
		return out, err
	}
	return engine.ChatRequest{
		Model: req.Model, Messages: msgs, Tools: tools, ToolChoice: chat.ToolChoice{Mode: "auto"}, Format: format, Think: think,
		RequestOptions: engine.RequestOptions{
			MaxTokens: run.MaxTokens, Stop: run.Stop, Sampling: run.Sampling, Logprobs: req.Logprobs,
			TopLogprobs: req.TopLogprobs, ContextShift: req.Shift == nil || *req.Shift, Load: run.Load,
		},
	}, nil
}

// CheckTopLogprobs refuses a top_logprobs OpenAI's limit does not allow.
func CheckTopLogprobs(n int) error {
	if n < 0 || n > openai.MaxTopLogprobs {
		return wire.BadRequest("top_logprobs", "top_logprobs must be between 0 and %d, got %d", openai.MaxTopLogprobs, n)
	}
	return nil
}
