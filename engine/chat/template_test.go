package chat

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/sharedtest"
)

// sharedDir is ../shared beside the repository, where the conformance material lives.
func sharedDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Dir(t)
}

type templateCase struct {
	Name               string `json:"name"`
	BOS                string `json:"bos_token"`
	EOS                string `json:"eos_token"`
	Template           string `json:"template_str"`
	Expected           string `json:"expected_output"`
	ExpectedJinja      string `json:"expected_output_jinja"`
	SupportedWithJinja bool   `json:"supported_with_jinja"`
}

func TestTemplateConformance(t *testing.T) {
	b, err := os.ReadFile(sharedtest.Path(t, "chat_templates", "llama.cpp-test-chat-template-cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Conversation        []Message      `json:"conversation"`
		AddGenerationPrompt bool           `json:"add_generation_prompt"`
		Cases               []templateCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	pass, total := 0, 0
	for _, c := range file.Cases {
		if !c.SupportedWithJinja {
			continue
		}
		total++
		want := c.ExpectedJinja
		if want == "" {
			want = c.Expected
		}
		ok := t.Run(c.Name, func(t *testing.T) {
			tmpl, err := NewTemplate(c.Template, c.BOS, c.EOS)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := tmpl.Render(file.Conversation, RenderOptions{AddGenerationPrompt: file.AddGenerationPrompt, Now: time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			// As llama.cpp does for a vocabulary that adds BOS and EOS itself.
			got = StripEOS(StripBOS(got, c.BOS), c.EOS)
			if got != want {
				t.Errorf("render mismatch\n got: %q\nwant: %q", got, want)
			}
		})
		if ok {
			pass++
		}
	}
	t.Logf("chat template conformance: %d/%d cases render byte for byte", pass, total)
	if pass != total {
		t.Errorf("%d of %d cases failed", total-pass, total)
	}
}

func TestStripBOS(t *testing.T) {
	for _, tc := range []struct{ in, bos, want string }{
		{"<s>[INST] hi", "<s>", "[INST] hi"},
		{"<s><s>x", "<s>", "<s>x"},
		{"hi", "<s>", "hi"},
		{"hi", "", "hi"},
	} {
		if got := StripBOS(tc.in, tc.bos); got != tc.want {
			t.Errorf("StripBOS(%q, %q) = %q, want %q", tc.in, tc.bos, got, tc.want)
		}
	}
}
