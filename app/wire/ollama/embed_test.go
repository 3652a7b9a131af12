package ollama

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/perchapp/perch/app/wire"
)

func TestEmbedRequestFromOllama(t *testing.T) {
	no := false
	er, err := EmbedRequestFromOllama(EmbedRequest{Model: "bge-m3", Input: json.RawMessage(`["a","b"]`), Truncate: &no, KeepAlive: json.RawMessage(`"5m"`),
		Options: map[string]json.RawMessage{"num_ctx": json.RawMessage(`1024`)}})
	if err != nil || er.Model != "bge-m3" || len(er.Inputs) != 2 || !er.Normalize || er.Truncate || er.KeepAlive == nil || er.Load.ContextLength != 1024 {
		t.Fatalf("%+v %v", er, err)
	}
	if er, err := EmbedRequestFromOllama(EmbedRequest{Model: "m", Input: json.RawMessage(`""`)}); err != nil || er.Inputs != nil || !er.Truncate {
		t.Errorf("one empty input (a load): %+v %v; want no inputs, truncating by default", er, err)
	}
	for _, tt := range []struct {
		name  string
		req   EmbedRequest
		param string
	}{
		{"no model", EmbedRequest{Input: json.RawMessage(`"a"`)}, "model"},
		{"an empty input among others", EmbedRequest{Model: "m", Input: json.RawMessage(`["a",""]`)}, "input"},
		{"negative dimensions", EmbedRequest{Model: "m", Input: json.RawMessage(`"a"`), Dimensions: -1}, "dimensions"},
		{"bad keep_alive", EmbedRequest{Model: "m", Input: json.RawMessage(`"a"`), KeepAlive: json.RawMessage(`"soon"`)}, "keep_alive"},
	} {
		var pe *wire.ParamError
		if _, err := EmbedRequestFromOllama(tt.req); !errors.As(err, &pe) || pe.Param != tt.param {
			t.Errorf("%s: %v, want a ParamError naming %s", tt.name, err, tt.param)
		}
	}
}
