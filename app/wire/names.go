package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxModelName bounds model names; real ones (hf.co/org/repo:QUANT) are far shorter.
const maxModelName = 256

// ValidateModelName refuses names that could escape the store or confuse a path: empty,
// too long, odd characters, absolute paths, "." or ".." segments. Library references such as
// "hf.co/org/repo:Q4_K_M" and "127.0.0.1:8080/library/name:tag" pass.
func ValidateModelName(field, name string) error {
	switch {
	case name == "":
		return BadRequest(field, "field %q is required: name a model (GET /v1/models or /api/tags lists them)", field)
	case len(name) > maxModelName:
		return BadRequest(field, "%s: the model name is %d bytes long; the limit is %d", field, len(name), maxModelName)
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, "~"):
		return BadRequest(field, "%s: model name %q looks like a file path; use a library name (import files with `perch pull`)", field, name)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-:/@+", c)
		if !ok {
			return BadRequest(field, "%s: model name %q contains %q; names use letters, digits and . _ - : / @ +", field, name, c)
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return BadRequest(field, "%s: model name %q has an empty, \".\" or \"..\" path segment", field, name)
		}
	}
	return nil
}

// ValidatePullRef accepts a model name or an http(s) URL of a GGUF file.
func ValidatePullRef(field, ref string) error {
	lower := strings.ToLower(ref)
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		if len(ref) > 2048 || strings.ContainsAny(ref, " \t\r\n\\") {
			return BadRequest(field, "model URL %q is not valid", ref)
		}
		return nil
	}
	return ValidateModelName(field, ref)
}

// ParseKeepAlive reads Ollama's keep_alive: a duration string ("5m", "1h30m"), a number of
// seconds, a numeric string, or a negative value for "forever". Absent or null gives nil (the
// configured default). The result follows the engine: negative keeps the model forever,
// zero unloads it after the request.
func ParseKeepAlive(raw json.RawMessage, field string) (*time.Duration, error) {
	if IsNull(raw) {
		return nil, nil
	}
	raw = bytes.TrimSpace(raw)
	bad := func() error {
		return BadRequest(field, "field %q must be a duration such as \"5m\" or \"1h\", a number of seconds, or -1 to keep the model loaded; got %s", field, raw)
	}
	var d time.Duration
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad()
		}
		s = strings.TrimSpace(s)
		if secs, err := strconv.ParseFloat(s, 64); err == nil {
			d = secondsToDuration(secs)
		} else if d, err = time.ParseDuration(s); err != nil {
			return nil, bad()
		}
	default:
		var secs float64
		if err := json.Unmarshal(raw, &secs); err != nil {
			return nil, bad()
		}
		d = secondsToDuration(secs)
	}
	if d < 0 {
		d = -1
	}
	return &d, nil
}

func secondsToDuration(secs float64) time.Duration {
	if secs < 0 {
		return -1
	}
	if secs*float64(time.Second) >= math.MaxInt64 {
		return -1 // too long to tell from forever
	}
	return time.Duration(secs * float64(time.Second))
}
