package chat

import (
	"sync"
	"testing"
)

// A compiled template is shared by all requests to a model.
func TestTemplateConcurrentRender(t *testing.T) {
	tmpls := modelTemplates(t)
	tmpl, err := NewTemplate(tmpls["meta-llama-Llama-3.1-8B-Instruct"], "<|begin_of_text|>", "<|eot_id|>")
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "system", Content: "s"}, {Role: "user", Content: "u"}}
	want, err := tmpl.Render(msgs, RenderOptions{Tools: []Tool{weatherTool}, AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got, err := tmpl.Render(msgs, RenderOptions{Tools: []Tool{weatherTool}, AddGenerationPrompt: true})
				if err != nil || got != want {
					t.Errorf("concurrent render differs: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
