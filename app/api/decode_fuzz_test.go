package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/wire"
	ollamawire "github.com/perchapp/perch/app/wire/ollama"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
)

// decodeAll runs body through the decode and validate path of every request the OpenAI and
// Ollama routes take, as their handlers do, up to the engine request. Each error must be a
// client error (4xx).
func decodeAll(t *testing.T, body []byte) {
	check := func(route string, err error) {
		if err == nil {
			return
		}
		if st := toAPIError(err).Status; st < 400 || st >= 500 {
			t.Errorf("%s: status %d for %q: %v", route, st, body, err)
		}
	}
	var chat openaiwire.ChatRequest
	if err := decodeJSON(body, &chat); err != nil {
		check("chat decode", err)
	} else {
		_, _, err := openaiwire.ChatRequestFromOpenAI(chat)
		check("/v1/chat/completions", err)
	}
	var comp openaiwire.CompletionRequest
	if err := decodeJSON(body, &comp); err != nil {
		check("completions decode", err)
	} else {
		_, _, _, err := openaiwire.CompletionRequestFromOpenAI(comp)
		check("/v1/completions", err)
	}
	var emb openaiwire.EmbeddingRequest
	if err := decodeJSON(body, &emb); err != nil {
		check("embeddings decode", err)
	} else {
		_, _, err := openaiwire.EmbedInputs(emb.Input)
		check("/v1/embeddings", err)
	}
	var gen ollamawire.GenerateRequest
	if err := decodeJSON(body, &gen); err != nil {
		check("generate decode", err)
	} else {
		_, err := ollamawire.RunOptions(gen.Options)
		check("/api/generate", err)
		_, err = wire.ParseKeepAlive(gen.KeepAlive, "keep_alive")
		check("/api/generate keep_alive", err)
	}
	var oc ollamawire.ChatRequest
	if err := decodeJSON(body, &oc); err != nil {
		check("chat decode", err)
	} else {
		_, err := ollamawire.ChatRequestFromOllama(oc)
		check("/api/chat", err)
	}
}

// FuzzRequestDecoders: no request body makes a decoder panic or answer a server error. The
// seeds, hostile ones from the outside test included, run in every go test.
func FuzzRequestDecoders(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"model":"m"}`, `{"model":"m"}{}`,
		`{"model":"m","messages":[{"role":"user","content":"a\u0000b"}],"max_tokens":8}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url"}]}]}`,
		`{"model":"m","messages":[{"role":"tool","content":null,"tool_calls":[{"function":{"arguments":"{"}}]}]}`,
		`{"model":"m","prompt":"hi","options":{"temperature":1e39,"presence_penalty":-1e39,"stop":["a","b"]}}`,
		`{"model":"m","prompt":"hi","options":{"num_predict":-5,"top_k":-1,"seed":1.5,"num_ctx":1e300}}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1e39,"logit_bias":{"x":1e39}}`,
		`{"model":"m","prompt":[[1,2,-3],[1e20]],"n":1000,"logprobs":99,"stop":"x"}`,
		`{"model":"m","input":[[1,2],"a",{"x":1}],"encoding_format":"base64"}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":"x"}}}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":""}}],"tool_choice":{"type":"function"}}`,
		`{"model":"m","prompt":"hi","keep_alive":"forever","format":{"type":"object"},"think":"max"}`,
		`{"model":"m","messages":[{"role":"user","content":"hi","images":["AAAA"]}],"options":{"stop":` + `["` + strings.Repeat(`s","`, 99) + `s"]}}`,
		`{"model":` + strings.Repeat(`[`, 5000) + strings.Repeat(`]`, 5000) + `}`,
		"{\"model\":\"m\",\"prompt\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeAll(t, body)
	})
}

// The seeds above, as a named regression test for the hostile suite.
func TestBadInputDecodersNeverServerError(t *testing.T) {
	for _, s := range []string{`{"model":"m","prompt":"hi","options":{"temperature":1e39}}`, `{"model":"m","temperature":1e39,"messages":[]}`} {
		decodeAll(t, []byte(s))
	}
	if st := toAPIError(decodeJSON([]byte(`{"temperature":1e39}`), &openaiwire.ChatRequest{})).Status; st != http.StatusBadRequest {
		t.Errorf("status %d", st)
	}
}
