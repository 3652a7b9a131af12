package ollama

import (
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "",
		"stories260k":          "stories260k:latest",
		"qwen3:8b":             "qwen3:8b",
		"hf.co/org/repo:Q4":    "hf.co/org/repo:Q4",
		"hf.co/org/repo":       "hf.co/org/repo:latest",
		"localhost:5000/m":     "localhost:5000/m:latest",
		"m@sha256:abc":         "m@sha256:abc",
		"mac-studio/llama3:8b": "mac-studio/llama3:8b",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCapabilities(t *testing.T) {
	for _, tt := range []struct {
		name, template string
		embedding, fim bool
		want           string
	}{
		{"embedding", "{{ tools }}", true, true, "embedding"},
		{"no template chats in ChatML", "", false, false, "completion tools"},
		{"plain template", "{{ .Prompt }}", false, false, "completion"},
		{"tools, FIM and thinking", "{% if tools %}<think>", false, true, "completion tools insert thinking"},
		{"Harmony", "<|channel|>analysis", false, false, "completion thinking"},
	} {
		if got := strings.Join(Capabilities(tt.template, tt.embedding, tt.fim), " "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestModelfileAndParameters(t *testing.T) {
	params := map[string]any{"stop": []any{"<|im_end|>", "<|endoftext|>"}, "temperature": 0.7, "num_ctx": []string{"4096"}}
	wantParams := "num_ctx                        \"4096\"\nstop                           \"<|im_end|>\"\nstop                           \"<|endoftext|>\"\ntemperature                    0.7"
	if got := ParametersText(params); got != wantParams {
		t.Errorf("parameters:\n%s\nwant\n%s", got, wantParams)
	}
	mf := Modelfile("qwen3:8b", "/models/qwen3.gguf", "{{ .Prompt }}", "Be brief.", "MIT", params)
	for _, want := range []string{"# FROM qwen3:8b\n", "\nFROM /models/qwen3.gguf\n", "TEMPLATE \"\"\"{{ .Prompt }}\"\"\"\n", "SYSTEM \"\"\"Be brief.\"\"\"\n",
		"PARAMETER stop \"<|im_end|>\"\n", "PARAMETER temperature 0.7\n", "LICENSE \"\"\"MIT\"\"\"\n"} {
		if !strings.Contains(mf, want) {
			t.Errorf("the Modelfile lacks %q:\n%s", want, mf)
		}
	}
	if mf := Modelfile("m", "", "", "", "", nil); !strings.Contains(mf, "\nFROM m\n") || strings.Contains(mf, "PARAMETER") || strings.Contains(mf, "TEMPLATE") {
		t.Errorf("a bare model's Modelfile:\n%s", mf)
	}
}

func TestModelInfo(t *testing.T) {
	info := ModelInfo(map[string]any{"llama.context_length": 4096}, "llama", 7_000_000_000, 2048, 4096)
	if info["llama.context_length"] != 4096 || info["general.architecture"] != "llama" || info["general.parameter_count"] != uint64(7_000_000_000) || info["llama.embedding_length"] != 4096 {
		t.Errorf("info %v: the metadata's own value wins, the rest filled in", info)
	}
	if info := ModelInfo(nil, "", 0, 0, 0); len(info) != 0 {
		t.Errorf("nothing known: %v", info)
	}
}

func TestProcessModelOf(t *testing.T) {
	st := engine.Status{Name: "tiny", Digest: "sha256:abc", Memory: engine.MemoryUsage{WeightsBytes: 100, KVBytes: 20, Device: "Metal"}}
	st.Info.ContextLength = 4096
	p := ProcessModelOf(st, Details("llama", 0, "Q4_K_M"), "sha256:library")
	if p.Name != "tiny:latest" || p.Size != 120 || p.SizeVRAM != 120 || p.Digest != "abc" || p.ContextLength != 4096 || !p.ExpiresAt.Equal(forever) || p.Details.QuantizationLevel != "Q4_K_M" {
		t.Errorf("%+v", p)
	}
	st.Digest, st.Memory.Device, st.ExpiresAt = "", "CPU", time.Unix(1e9, 0)
	st.Options.ContextLength = 512
	p = ProcessModelOf(st, ModelDetails{}, "sha256:library")
	if p.Digest != "library" || p.SizeVRAM != 0 || p.ContextLength != 512 || !p.ExpiresAt.Equal(time.Unix(1e9, 0)) {
		t.Errorf("on the CPU, the library's digest: %+v", p)
	}
}
