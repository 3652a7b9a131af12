package oaschema

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite openai-schemas.json from shared/api/openai/openapi.yaml")

// specPath finds the shared OpenAPI spec beside the repository (../shared from its root).
func specPath() string {
	if p := os.Getenv("PERCH_OPENAI_SPEC"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "..", "..", "shared", "api", "openai", "openapi.yaml")
}

func TestExtractedUpToDate(t *testing.T) {
	spec, err := os.ReadFile(specPath())
	if err != nil {
		t.Skipf("the OpenAPI spec is not beside the repository (%v); the embedded extract is used as it is", err)
	}
	got, err := Extract(spec, Roots)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("openai-schemas.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, extracted) {
		t.Fatal("openai-schemas.json is stale: run go test ./app/api/internal/oaschema -update")
	}
}

func TestValidate(t *testing.T) {
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, schema, body string
		ok                 bool
	}{
		{"error ok", "ErrorResponse", `{"error":{"message":"m","type":"t","param":null,"code":null}}`, true},
		{"error without code", "ErrorResponse", `{"error":{"message":"m","type":"t","param":null}}`, false},
		{"chunk with null finish", "CreateChatCompletionStreamResponse", `{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}`, true},
		{"chunk wrong object", "CreateChatCompletionStreamResponse", `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}`, false},
		{"model", "Model", `{"id":"a","object":"model","created":0,"owned_by":"perch"}`, true},
		{"list missing data", "ListModelsResponse", `{"object":"list"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Validate(tc.schema, []byte(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("valid=%v, want %v (%v)", err == nil, tc.ok, err)
			}
		})
	}
}
