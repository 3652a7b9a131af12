package ollama

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/perchapp/perch/app/wire"
)

func TestPlanGenerate(t *testing.T) {
	off := false
	for _, tt := range []struct {
		name    string
		req     GenerateRequest
		hasTmpl bool
		asked   bool   // whether the model's template was asked for
		raw     string // the raw prompt; "" for a chat turn
		chat    string // the chat turn's roles and contents
		tmpl    string // the chat turn's template override
	}{
		{"chat model", GenerateRequest{Prompt: "hi", System: "be brief"}, true, true, "", "system:be brief user:hi", ""},
		{"base model", GenerateRequest{Prompt: "Once", System: "Story."}, false, true, "Story.\n\nOnce", "", ""},
		{"raw", GenerateRequest{Prompt: "<s>x", Raw: true}, true, false, "<s>x", "", ""},
		{"suffix", GenerateRequest{Prompt: "def f(", Suffix: "):"}, true, false, "def f(", "", ""},
		{"Go template", GenerateRequest{Prompt: "hi", System: "s", Template: "{{ .System }}|{{ .Prompt }}"}, true, false, "s|hi", "", ""},
		{"Jinja template", GenerateRequest{Prompt: "hi", Template: "{% for m in messages %}{{ m.content }}{% endfor %}!"}, true, false, "", "user:hi", "{% for m in messages %}{{ m.content }}{% endfor %}!"},
		{"raw with a format", GenerateRequest{Prompt: "{", Raw: true, Format: json.RawMessage(`"json"`)}, true, false, "", "user:{", passthroughTemplate},
		{"no shift", GenerateRequest{Prompt: "x", Raw: true, Shift: &off}, true, false, "x", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			asked := false
			p, err := PlanGenerate(tt.req, Run{MaxTokens: 7}, func() (bool, error) { asked = true; return tt.hasTmpl, nil })
			if err != nil {
				t.Fatal(err)
			}
			if asked != tt.asked {
				t.Errorf("asked for the template: %v, want %v", asked, tt.asked)
			}
			if (p.Raw == nil) == (p.Chat == nil) {
				t.Fatalf("plan %+v: want exactly one path", p)
			}
			if tt.raw != "" {
				if p.Raw == nil || p.Raw.Prompt != tt.raw || p.Raw.Suffix != tt.req.Suffix || p.Raw.MaxTokens != 7 || p.Raw.ContextShift != (tt.req.Shift == nil) {
					t.Errorf("raw plan %+v", p.Raw)
				}
				return
			}
			got := ""
			for i, m := range p.Chat.Messages {
				if i > 0 {
					got += " "
				}
				got += m.Role + ":" + m.Content
			}
			if got != tt.chat || p.Chat.Template != tt.tmpl || p.Chat.MaxTokens != 7 {
				t.Errorf("chat plan %q template %q, want %q %q", got, p.Chat.Template, tt.chat, tt.tmpl)
			}
		})
	}
}

func TestPlanGenerateErrors(t *testing.T) {
	var pe *wire.ParamError
	_, err := PlanGenerate(GenerateRequest{Prompt: "x", Suffix: "y", Format: json.RawMessage(`"json"`)}, Run{}, nil)
	if !errors.As(err, &pe) || pe.Param != "suffix" {
		t.Errorf("suffix with a format: %v", err)
	}
	boom := errors.New("no such model")
	if _, err := PlanGenerate(GenerateRequest{Prompt: "x"}, Run{}, func() (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("the model could not be read: %v", err)
	}
	if _, err := PlanGenerate(GenerateRequest{Prompt: "x", Raw: true, Format: json.RawMessage(`7`)}, Run{}, nil); err == nil {
		t.Error("a bad format passed")
	}
}
