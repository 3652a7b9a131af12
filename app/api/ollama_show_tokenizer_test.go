package api_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/engine/sharedtest"
)

// TestOllamaShowTokenizer: /api/show on a real GGUF gives the header's key/values as Ollama
// does, the tokenizer arrays as [] and, with verbose, in full, with the tensors.
func TestOllamaShowTokenizer(t *testing.T) {
	store, err := library.Open(t.TempDir(), library.WithDirs(filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))))
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, api.Config{}, func(d *api.Deps) { d.Library = storeadapter.New(store) })
	type show struct {
		ModelInfo map[string]any `json:"model_info"`
		Tensors   []struct {
			Name  string   `json:"name"`
			Type  string   `json:"type"`
			Shape []uint64 `json:"shape"`
		} `json:"tensors"`
	}
	get := func(body string) show {
		status, _, out := ts.do(t, "POST", "/api/show", body)
		if status != 200 {
			t.Fatalf("%s: status %d: %s", body, status, out)
		}
		var s show
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	arrays := []string{"tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.scores"}

	brief := get(`{"model":"stories260k"}`)
	for _, k := range arrays {
		if a, ok := brief.ModelInfo[k].([]any); !ok || len(a) != 0 {
			t.Errorf("without verbose, %s = %#v, want []", k, brief.ModelInfo[k])
		}
	}
	if brief.ModelInfo["tokenizer.ggml.bos_token_id"] != 1.0 || brief.ModelInfo["tokenizer.ggml.model"] != "llama" || brief.ModelInfo["llama.block_count"] != 5.0 {
		t.Errorf("the header's scalars are missing: %v", brief.ModelInfo)
	}
	if len(brief.Tensors) != 0 {
		t.Errorf("tensors without verbose: %d", len(brief.Tensors))
	}

	full := get(`{"model":"stories260k","verbose":true}`)
	for _, k := range arrays {
		if a, _ := full.ModelInfo[k].([]any); len(a) != 512 {
			t.Errorf("verbose %s has %d items, want 512", k, len(a))
		}
	}
	if tokens, _ := full.ModelInfo["tokenizer.ggml.tokens"].([]any); len(tokens) > 1 && (tokens[0] != "<unk>" || tokens[1] != "<s>") {
		t.Errorf("tokens start %v", tokens[:2])
	}
	if len(full.Tensors) != 48 || full.Tensors[0].Name == "" || full.Tensors[0].Type != "F32" || len(full.Tensors[0].Shape) == 0 {
		t.Errorf("verbose tensors: %d, first %+v", len(full.Tensors), full.Tensors)
	}
	if _, ok := full.ModelInfo["tokenizer.chat_template"]; ok {
		t.Error("the chat template is shown in model_info as well as in template")
	}
}
