package openai

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
)

func TestEmbedRequestFromOpenAI(t *testing.T) {
	er, err := EmbedRequestFromOpenAI(EmbeddingRequest{Model: "bge-m3", Input: json.RawMessage(`["a","b"]`), EncodingFormat: "base64"})
	if err != nil || er.Model != "bge-m3" || len(er.Inputs) != 2 || !er.Normalize {
		t.Fatalf("%+v %v", er, err)
	}
	zero := 0
	for _, tt := range []struct {
		name  string
		req   EmbeddingRequest
		param string
	}{
		{"no model", EmbeddingRequest{Input: json.RawMessage(`"a"`)}, "model"},
		{"unknown encoding", EmbeddingRequest{Model: "m", Input: json.RawMessage(`"a"`), EncodingFormat: "hex"}, "encoding_format"},
		{"zero dimensions", EmbeddingRequest{Model: "m", Input: json.RawMessage(`"a"`), Dimensions: &zero}, "dimensions"},
	} {
		var pe *wire.ParamError
		if _, err := EmbedRequestFromOpenAI(tt.req); !errors.As(err, &pe) || pe.Param != tt.param {
			t.Errorf("%s: %v, want a ParamError naming %s", tt.name, err, tt.param)
		}
	}
}

func TestEmbeddingResponseOf(t *testing.T) {
	res := &engine.EmbedResult{Embeddings: [][]float32{{1, 0}, {0, 1}}, PromptTokens: 3}
	out, err := EmbeddingResponseOf(EmbeddingRequest{Model: "m"}, res)
	if err != nil || len(out.Data) != 2 || out.Data[1].Index != 1 || out.Usage.PromptTokens != 3 || out.Object != "list" {
		t.Fatalf("%+v %v", out, err)
	}
	two, three := 2, 3
	if _, err := EmbeddingResponseOf(EmbeddingRequest{Model: "m", Dimensions: &two}, res); err != nil {
		t.Errorf("the model's own size: %v", err)
	}
	var pe *wire.ParamError
	if _, err := EmbeddingResponseOf(EmbeddingRequest{Model: "m", Dimensions: &three}, res); !errors.As(err, &pe) || pe.Param != "dimensions" {
		t.Errorf("another size: %v", err)
	}
}
