package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseKeepAlive(t *testing.T) {
	d := func(x time.Duration) *time.Duration { return &x }
	tests := []struct {
		in   string
		want *time.Duration
		err  bool
	}{
		{``, nil, false}, {`null`, nil, false},
		{`"5m"`, d(5 * time.Minute), false}, {`"1h30m"`, d(90 * time.Minute), false},
		{`300`, d(300 * time.Second), false}, {`"300"`, d(300 * time.Second), false}, {`1.5`, d(1500 * time.Millisecond), false},
		{`0`, d(0), false}, {`"0"`, d(0), false}, {`"0s"`, d(0), false},
		{`-1`, d(-1), false}, {`"-1"`, d(-1), false}, {`"-5m"`, d(-1), false}, {`1e300`, d(-1), false},
		{`"soon"`, nil, true}, {`true`, nil, true}, {`[1]`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseKeepAlive(json.RawMessage(tc.in), "keep_alive")
			if (err != nil) != tc.err {
				t.Fatalf("err %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", deref(got), deref(tc.want))
			}
		})
	}
}

func deref(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return *d
}

func TestValidateModelName(t *testing.T) {
	for _, ok := range []string{"tiny", "llama3.2:3b", "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M", "127.0.0.1:8080/library/x:latest", "org/name@sha256:abc", "a+b"} {
		if err := ValidateModelName("model", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../x", "a/../b", "a//b", "/etc/passwd", "~/x", "a b", "a\\b", "x\x00", "a/./b", "é", strings.Repeat("a", 300), "trailing/"} {
		if err := ValidateModelName("model", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if ValidatePullRef("model", "https://example.com/x.gguf") != nil || ValidatePullRef("model", "https://x/a b") == nil {
		t.Error("pull URLs")
	}
}
