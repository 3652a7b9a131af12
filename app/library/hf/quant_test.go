package hf

import (
	"errors"
	"strings"
	"testing"
)

func TestQuantOf(t *testing.T) {
	cases := map[string]string{
		"Qwen2.5-7B-Instruct-Q4_K_M.gguf":                "Q4_K_M",
		"qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf": "Q4_K_M",
		"Meta-Llama-3.1-8B-Instruct-IQ4_XS.gguf":         "IQ4_XS",
		"gemma-2-9b-it-Q6_K_L.gguf":                      "Q6_K_L",
		"llama-2-7b.Q4_K_M.gguf":                         "Q4_K_M",
		"ggml-model-f16.gguf":                            "F16",
		"Qwen3-8B-UD-Q4_K_XL.gguf":                       "UD-Q4_K_XL",
		"EXAONE-3.5-7.8B-Instruct-BF16.gguf":             "BF16",
		"Llama-3.2-1B-Instruct-Q4_0_4_4.gguf":            "Q4_0_4_4",
		"gpt-oss-20b-mxfp4.gguf":                         "MXFP4",
		"nomic-embed-text-v1.5.Q8_0.gguf":                "Q8_0",
		"model-IQ2_XXS.gguf":                             "IQ2_XXS",
		"stories260K.gguf":                               "",
		"Qwen2.5-3B.gguf":                                "",
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			if got := QuantOf(name); got != want {
				t.Errorf("QuantOf(%q) = %q, want %q", name, got, want)
			}
		})
	}
}

func TestIsModelFile(t *testing.T) {
	cases := map[string]bool{
		"Florabella-7B-Q4_K_M.gguf":          true,
		"mmproj-model-f16.gguf":              false,
		"Qwen2-VL-7B-mmproj-F16.gguf":        false,
		"model-imatrix.gguf":                 false,
		"adapter-LoRA-F16.gguf":              false,
		"ggml-vocab-llama.gguf":              false,
		"sub/Model-Q8_0-00001-of-00002.gguf": true,
		"model.safetensors":                  false,
	}
	for name, want := range cases {
		if got := IsModelFile(name); got != want {
			t.Errorf("IsModelFile(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPick(t *testing.T) {
	files := []File{
		{Path: "README.md", Size: 1},
		{Path: "Model-7B-Q8_0.gguf", Size: 800},
		{Path: "Model-7B-Q4_K_M.gguf", Size: 400},
		{Path: "Model-7B-IQ4_XS.gguf", Size: 380},
		{Path: "mmproj-Model-7B-f16.gguf", Size: 50},
		{Path: "F16/Model-7B-F16-00002-of-00002.gguf", Size: 700},
		{Path: "F16/Model-7B-F16-00001-of-00002.gguf", Size: 800},
		{Path: "Q2_K/Model-7B-00001-of-00003.gguf", Size: 100}, // incomplete: left out
		{Path: "Q3_K_M/Model-7B-00001-of-00001.gguf", Size: 300},
	}
	cases := []struct {
		tag, want string
		parts     int
		size      int64
	}{
		{"", "Q4_K_M", 1, 400},
		{"q8_0", "Q8_0", 1, 800},
		{"IQ4_xs", "IQ4_XS", 1, 380},
		{"F16", "F16", 2, 1500},
		{"Q3_K_M", "Q3_K_M", 1, 300},
		{"Model-7B-Q8_0", "Q8_0", 1, 800},
	}
	for _, c := range cases {
		t.Run(c.tag, func(t *testing.T) {
			q, err := Pick("org/repo", files, c.tag)
			if err != nil {
				t.Fatal(err)
			}
			if q.Name != c.want || len(q.Files) != c.parts || q.Size != c.size {
				t.Errorf("Pick(%q) = %s with %d parts, %d bytes; want %s, %d, %d", c.tag, q.Name, len(q.Files), q.Size, c.want, c.parts, c.size)
			}
			if c.parts == 2 && !strings.HasSuffix(q.Files[0].Path, "00001-of-00002.gguf") {
				t.Errorf("parts out of order: %v", q.Files)
			}
		})
	}
	t.Run("missing quant lists what there is", func(t *testing.T) {
		_, err := Pick("org/repo", files, "Q5_K_M")
		var nq *NoQuantError
		if !errors.As(err, &nq) {
			t.Fatalf("err = %v, want NoQuantError", err)
		}
		for _, q := range []string{"Q4_K_M", "IQ4_XS", "Q8_0", "F16", "Q3_K_M"} {
			if !strings.Contains(err.Error(), q) {
				t.Errorf("error %q does not list %s", err, q)
			}
		}
		if strings.Contains(err.Error(), "Q2_K") {
			t.Errorf("error %q lists the incomplete Q2_K split", err)
		}
	})
	t.Run("no gguf", func(t *testing.T) {
		_, err := Pick("org/repo", []File{{Path: "model.safetensors"}}, "")
		if err == nil || !strings.Contains(err.Error(), "no GGUF files") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestShard(t *testing.T) {
	for _, c := range []struct {
		name         string
		part, count  int
		prefix, back string
	}{
		{"F32/Model-F32-00002-of-00003.gguf", 2, 3, "F32/Model-F32", "F32/Model-F32-00002-of-00003.gguf"},
		{"model-q4_k_m-00001-of-00001.GGUF", 1, 1, "model-q4_k_m", "model-q4_k_m-00001-of-00001.gguf"},
		{"Model-Q4_K_M.gguf", 0, 0, "Model-Q4_K_M", ""},
		{"Model-00001-of-2.gguf", 0, 0, "Model-00001-of-2", ""},
	} {
		part, count, prefix := Shard(c.name)
		if part != c.part || count != c.count || prefix != c.prefix {
			t.Errorf("Shard(%q) = %d, %d, %q; want %d, %d, %q", c.name, part, count, prefix, c.part, c.count, c.prefix)
		}
		if count > 0 && ShardName(prefix, part, count) != c.back {
			t.Errorf("ShardName(%q, %d, %d) = %q, want %q", prefix, part, count, ShardName(prefix, part, count), c.back)
		}
	}
}
