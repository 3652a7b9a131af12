package worker

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/llama"
)

// templateCache compiles the model's own chat template once, and keeps the last template a
// request brought (a client that sends one sends the same one every turn).
type templateCache struct {
	once sync.Once
	tmpl *chat.Template
	err  error

	mu      sync.Mutex
	lastSrc string
	last    *chat.Template
}

func (w *Worker) template(override string) (*chat.Template, error) {
	info := &w.modelInfo
	if override != "" {
		return w.tmpls.override(override, info)
	}
	w.tmpls.once.Do(func() {
		w.tmpls.tmpl, w.tmpls.err = chat.NewTemplate(info.ChatTemplate, info.BOS, info.EOS)
		if w.tmpls.err != nil {
			// A GGUF whose template our Jinja engine cannot read still chats, in ChatML.
			w.cfg.Log.Warn("the model's chat template does not compile; using ChatML", "err", w.tmpls.err)
			w.tmpls.tmpl, w.tmpls.err = chat.NewTemplate("", info.BOS, info.EOS)
		}
	})
	return w.tmpls.tmpl, w.tmpls.err
}

func (c *templateCache) override(src string, info *llama.Info) (*chat.Template, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && c.lastSrc == src {
		return c.last, nil
	}
	t, err := chat.NewTemplate(src, info.BOS, info.EOS)
	if err != nil {
		return nil, &engine.Error{Kind: engine.KindInvalid, Param: "template", Message: err.Error()}
	}
	c.lastSrc, c.last = src, t
	return t, nil
}

func (w *Worker) handleRender(rw http.ResponseWriter, r *http.Request) {
	var req engine.RenderRequest
	if err := decode(r, &req); err != nil {
		writeError(rw, err)
		return
	}
	tmpl, err := w.template(req.Template)
	if err != nil {
		writeError(rw, err)
		return
	}
	msgs, prefix := req.Messages, ""
	if n := len(msgs); req.Continue && n > 1 && msgs[n-1].Role == "assistant" {
		// The answer so far follows the assistant's header, so the model carries on with it.
		msgs, prefix = msgs[:n-1], msgs[n-1].Content
	}
	prompt, err := tmpl.Render(msgs, chat.RenderOptions{Tools: req.Tools, AddGenerationPrompt: true, EnableThinking: req.Think})
	prompt += prefix
	if err != nil {
		writeError(rw, &engine.Error{Kind: engine.KindInvalid, Param: "messages", Message: fmt.Sprintf("the chat template could not render these messages: %v", err)})
		return
	}
	// The tokenizer adds BOS (and some add EOS) itself; the template's own copy would double it.
	info := &w.modelInfo
	if info.AddBOS {
		prompt = chat.StripBOS(prompt, info.BOS)
	}
	if info.AddEOS {
		prompt = chat.StripEOS(prompt, info.EOS)
	}
	writeJSON(rw, http.StatusOK, engine.RenderResponse{
		Prompt: prompt, ToolFamily: tmpl.ToolFamily(), Parser: tmpl.ParserOptions(prompt, len(req.Tools) > 0),
		NativeTools: tmpl.Capabilities().Tools,
	})
}
