package engine_test

import (
	"context"
	"testing"
	"unicode/utf8"

	"github.com/perchapp/perch/engine"
)

// TestBadInputInvalidUTF8Answer: byte tokens that make no character (here a lone continuation
// byte, <0x80>, forced by a logit bias) reach callers as U+FFFD, never as invalid UTF-8: the
// chat history refused to save such an answer after the binary worker wire landed.
func TestBadInputInvalidUTF8Answer(t *testing.T) {
	e := newEngine(t, engine.Config{Slots: 1})
	req := greedy("stories", "Once upon a time", 4)
	req.Sampling.LogitBias = map[int32]float32{3 + 0x80: 100} // SPM byte tokens start at id 3
	var streamed string
	res, err := e.Complete(context.Background(), req, func(ev engine.Event) error {
		streamed += ev.Text
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(res.Text) || !utf8.ValidString(streamed) || res.Text == "" {
		t.Fatalf("text %q, streamed %q: want valid UTF-8", res.Text, streamed)
	}
	req.Sampling.LogitBias = map[int32]float32{3 + 0x80: 100}
	plain, err := e.Complete(context.Background(), req, nil)
	if err != nil || !utf8.ValidString(plain.Text) {
		t.Fatalf("unstreamed text %q (%v): want valid UTF-8", plain.Text, err)
	}
}
