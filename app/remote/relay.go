package remote

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// Reading a remote's answers as they are relayed to the client (app/api's remote_forward.go):
// the model name to put back, where a stream ends, whether an error is in the client's shape.

// ModelRewriter puts the Perch-side name (NAME/model) back into a remote's answers, which name
// the model as the remote knows it.
func ModelRewriter(remoteName, localName string) func([]byte) []byte {
	q, _ := json.Marshal(remoteName)
	re := regexp.MustCompile(`"model"\s*:\s*` + regexp.QuoteMeta(string(q)))
	l, _ := json.Marshal(localName)
	repl := append([]byte(`"model":`), l...)
	return func(b []byte) []byte { return re.ReplaceAllLiteral(b, repl) }
}

// EndsStream tells whether a line is a stream's last: "data: [DONE]" (SSE) or {"done": true}
// (NDJSON).
func EndsStream(line []byte, sse bool) bool {
	line = bytes.TrimSpace(line)
	if sse {
		return bytes.Equal(line, []byte("data: [DONE]")) || bytes.Equal(line, []byte("data:[DONE]"))
	}
	var v struct {
		Done bool `json:"done"`
	}
	return json.Unmarshal(line, &v) == nil && v.Done
}

// InErrorShape tells whether an error body is already in the route's error shape (another
// Perch, Ollama, llama-server), so it can go through as it is: Ollama's {"error": "…"} when
// ollama is true, else OpenAI's {"error": {"message": "…"}}.
func InErrorShape(b []byte, ollama bool) bool {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil || len(v.Error) == 0 {
		return false
	}
	if ollama {
		var s string
		return json.Unmarshal(v.Error, &s) == nil
	}
	var o struct {
		Message string `json:"message"`
	}
	return json.Unmarshal(v.Error, &o) == nil && o.Message != ""
}

// RefusalText is the message of a remote's error in another shape (vLLM's {"object": "error",
// …}, FastAPI's {"detail": …}, plain text), at most 500 bytes and an ellipsis.
func RefusalText(b []byte) string {
	var v struct {
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
		Error   json.RawMessage `json:"error"`
	}
	msg := string(bytes.TrimSpace(b))
	if json.Unmarshal(b, &v) == nil {
		switch {
		case v.Message != "":
			msg = v.Message
		case len(v.Detail) > 0:
			msg = string(v.Detail)
		case len(v.Error) > 0:
			msg = string(v.Error)
		}
	}
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}
