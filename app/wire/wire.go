// Package wire has what the wire-format packages (openai, ollama) share: the typed error a
// pure conversion returns for a bad request field, and small JSON helpers for its messages.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ParamError is a request field a client must fix. app/api maps it to a 400
// invalid_request_error naming Param.
type ParamError struct {
	Param   string
	Message string
}

func (e *ParamError) Error() string { return e.Message }

// BadRequest is a ParamError with a formatted message.
func BadRequest(param, format string, args ...any) *ParamError {
	return &ParamError{Param: param, Message: fmt.Sprintf(format, args...)}
}

// JSONKind names the JSON type of a raw value, for messages.
func JSONKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// IsNull says whether raw is absent or JSON null.
func IsNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// StringOrList decodes a field that may be one string or a list of strings (stop, input).
func StringOrList(raw json.RawMessage, field string) ([]string, error) {
	if IsNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, BadRequest(field, "field %q must be a string or an array of strings, got %s", field, JSONKind(raw))
	}
	return list, nil
}
