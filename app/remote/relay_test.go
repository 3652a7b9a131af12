package remote

import (
	"strings"
	"testing"
)

func TestModelRewriter(t *testing.T) {
	rw := ModelRewriter("meta-llama/Llama-3.1-8B-Instruct", "gpu/meta-llama/Llama-3.1-8B-Instruct")
	in := `{"id":"x","model" : "meta-llama/Llama-3.1-8B-Instruct","choices":[{"text":"\"model\":\"other\""}]}`
	want := `{"id":"x","model":"gpu/meta-llama/Llama-3.1-8B-Instruct","choices":[{"text":"\"model\":\"other\""}]}`
	if got := string(rw([]byte(in))); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := string(rw([]byte(`{"model":"meta-llama/Llama-3.1-8B"}`))); got != `{"model":"meta-llama/Llama-3.1-8B"}` {
		t.Errorf("another model's name was rewritten: %s", got)
	}
}

func TestEndsStream(t *testing.T) {
	tests := []struct {
		line string
		sse  bool
		want bool
	}{
		{"data: [DONE]\n", true, true},
		{"data:[DONE]", true, true},
		{`data: {"choices":[]}`, true, false},
		{`{"done":true,"model":"x"}`, false, true},
		{`{"done":false}`, false, false},
		{`not json`, false, false},
		{"data: [DONE]", false, false},
	}
	for _, tt := range tests {
		if got := EndsStream([]byte(tt.line), tt.sse); got != tt.want {
			t.Errorf("EndsStream(%q, %v) = %v", tt.line, tt.sse, got)
		}
	}
}

func TestInErrorShape(t *testing.T) {
	tests := []struct {
		body   string
		ollama bool
		want   bool
	}{
		{`{"error":"model 'x' not found"}`, true, true},
		{`{"error":{"message":"no"}}`, true, false},
		{`{"error":{"message":"no","type":"invalid_request_error"}}`, false, true},
		{`{"error":{"message":""}}`, false, false},
		{`{"error":"plain"}`, false, false},
		{`{"object":"error","message":"vLLM says no"}`, false, false},
		{`Internal Server Error`, true, false},
	}
	for _, tt := range tests {
		if got := InErrorShape([]byte(tt.body), tt.ollama); got != tt.want {
			t.Errorf("InErrorShape(%s, %v) = %v", tt.body, tt.ollama, got)
		}
	}
}

func TestRefusalText(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"object":"error","message":"The model does not exist.","code":404}`, "The model does not exist."},
		{`{"detail":"Not Found"}`, `"Not Found"`},
		{`{"error":{"code":1}}`, `{"code":1}`},
		{"  Bad Gateway \n", "Bad Gateway"},
		{strings.Repeat("x", 600), strings.Repeat("x", 500) + "…"},
	}
	for _, tt := range tests {
		if got := RefusalText([]byte(tt.body)); got != tt.want {
			t.Errorf("RefusalText(%.40s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
