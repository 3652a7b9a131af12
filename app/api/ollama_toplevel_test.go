package api_test

import (
	"testing"

	"github.com/perchapp/perch/app/api"
)

// TestOllamaTopLevelOptions: Ollama reads caps and sampling from "options" only and ignores
// the top-level max_output_tokens, temperature and top_p that the AI SDK's Ollama provider
// (ollama-ai-provider-v2) sends; Perch does the same (the answer runs to its end or the
// context's) and honours options.num_predict and options.temperature.
func TestOllamaTopLevelOptions(t *testing.T) {
	ts := newServer(t, api.Config{})
	for _, tc := range []struct {
		name, body string
		maxTokens  int
		temp       float32
	}{
		{"top level ignored", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"stream":false,"max_output_tokens":4,"temperature":0,"top_p":0.5}`, 0, 0.8},
		{"options honoured", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"stream":false,"options":{"num_predict":4,"temperature":0}}`, 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, body := ts.do(t, "POST", "/api/chat", tc.body); status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			req := ts.eng.LastChat()
			if req.MaxTokens != tc.maxTokens || req.Sampling.Temperature != tc.temp {
				t.Errorf("max tokens %d, temperature %v; want %d, %v", req.MaxTokens, req.Sampling.Temperature, tc.maxTokens, tc.temp)
			}
		})
	}
}
