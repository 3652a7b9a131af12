package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/perchapp/perch/app/wire"
)

// decodeBody reads the request body as one JSON object into dst, with errors that name the
// offending field and say what was expected. Unknown fields are ignored, as clients send
// fields of newer API versions.
func decodeBody(r *http.Request, dst any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

// readBody reads the whole request body; one over the server's limit is a 413.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, badRequest("", "could not read the request body: %v", err)
	}
	return body, nil
}

func decodeJSON(body []byte, dst any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return badRequest("", "the request body is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return badRequest("", "the request body must be a JSON object, got %s", wire.JSONKind(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, trimmed)
	}
	if dec.More() {
		return badRequest("", "malformed JSON: unexpected data after the top-level object")
	}
	return nil
}

// jsonError turns encoding/json's errors into messages a client can act on.
func jsonError(err error, body []byte) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var ae *apiError
	var pe *wire.ParamError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &se):
		line, col := position(body, se.Offset)
		return badRequest("", "malformed JSON at line %d, column %d: %v", line, col, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		if want := goTypeName(te.Type.String()); strings.HasPrefix(te.Value, "number") && (want == "a number" || want == "an integer") {
			// The right type, too large for the field (1e39 in a 32-bit float).
			return badRequest(field, "field %q is out of range: %s does not fit in %s of this field's size", field, te.Value, want)
		}
		return badRequest(field, "field %q has the wrong type: expected %s, got %s", field, goTypeName(te.Type.String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends before the object is complete")
	}
	return badRequest("", "malformed JSON: %v", err)
}

func position(body []byte, off int64) (line, col int) {
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	before := body[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// goTypeName says a Go type in JSON words.
func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "api."), strings.HasPrefix(t, "struct"):
		return "an object"
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return t
}
