package ollama

import (
	"strings"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// passthroughTemplate renders the one user message as it is: /api/generate uses it for raw
// prompts that need what only Chat offers (format).
const passthroughTemplate = "{% for m in messages %}{{ m.content }}{% endfor %}"

// GeneratePlan is how /api/generate reaches the engine: a raw completion (Raw), or a chat
// turn (Chat). Exactly one is set.
type GeneratePlan struct {
	Raw  *engine.CompletionRequest
	Chat *engine.ChatRequest
}

// PlanGenerate picks the path. Raw prompts, suffixes (fill-in-the-middle), Ollama (Go)
// template overrides and models without a chat template go to Complete with the text as it
// is; everything else is a chat turn rendered with the model's template (or a Jinja
// override). hasChatTemplate says whether the model has a chat template of its own (app/api
// loads the model to read it); it is asked only when the answer matters.
func PlanGenerate(req GenerateRequest, run Run, hasChatTemplate func() (bool, error)) (GeneratePlan, error) {
	prompt, useRaw := req.Prompt, req.Raw || req.Suffix != ""
	jinja := ""
	if !useRaw && req.Template != "" {
		text, isGo, err := RenderGoTemplate(req.Template, req.System, req.Prompt)
		if err != nil {
			return GeneratePlan{}, err
		}
		if isGo {
			prompt, useRaw = text, true
		} else {
			jinja = req.Template
		}
	}
	if !useRaw && jinja == "" {
		// A model without a chat template takes the prompt as it is, as Ollama's default
		// "{{ .Prompt }}" template does.
		has, err := hasChatTemplate()
		if err != nil {
			return GeneratePlan{}, err
		}
		if !has {
			useRaw = true
			if req.System != "" {
				prompt = req.System + "\n\n" + prompt
			}
		}
	}
	format, err := ParseFormat(req.Format)
	if err != nil {
		return GeneratePlan{}, err
	}
	think, err := ParseThink(req.Think)
	if err != nil {
		return GeneratePlan{}, err
	}
	opts := engine.RequestOptions{
		MaxTokens: run.MaxTokens, Stop: run.Stop, Sampling: run.Sampling, Logprobs: req.Logprobs,
		TopLogprobs: req.TopLogprobs, ContextShift: req.Shift == nil || *req.Shift, Load: run.Load,
	}
	if useRaw && format == nil && think == nil {
		return GeneratePlan{Raw: &engine.CompletionRequest{Model: req.Model, Prompt: prompt, Suffix: req.Suffix, Keep: run.Keep, RequestOptions: opts}}, nil
	}
	if req.Suffix != "" {
		return GeneratePlan{}, wire.BadRequest("suffix", "suffix (fill-in-the-middle) cannot be combined with format or think")
	}
	var msgs []chat.Message
	if useRaw {
		jinja = passthroughTemplate
	} else if req.System != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: req.System})
	}
	msgs = append(msgs, chat.Message{Role: "user", Content: prompt})
	return GeneratePlan{Chat: &engine.ChatRequest{Model: req.Model, Messages: msgs, Format: format, Template: jinja, Think: think, RequestOptions: opts}}, nil
}

// HasChatTemplate says whether a chat template is one (not blank).
func HasChatTemplate(tmpl string) bool { return strings.TrimSpace(tmpl) != "" }
