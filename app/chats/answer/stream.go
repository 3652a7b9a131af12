package answer

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// Sink receives an answer as it is written. An error from it (the reader is gone) ends
// the answer.
type Sink interface {
	// Reasoning and Content are the next pieces of the answer's thinking and text.
	Reasoning(text string) error
	Content(text string) error
	// Trimmed says that the oldest messages were left out to fit the context; dropped is
	// the running total.
	Trimmed(dropped int) error
}

// Written is what Stream wrote: the engine's result, or as far as the answer got.
type Written struct {
	// Req is the request as last sent: without the messages Trim left out.
	Req    engine.ChatRequest
	Result *engine.ChatResult
	Err    error
	// Content and Reasoning are the streamed text (the result has the final one).
	Content, Reasoning string
	// Dropped is how many of the oldest messages were left out; Pieces how many events came.
	Dropped, Pieces int
	// Start is when the answer was asked for, First when its first piece came (zero: none).
	Start, First time.Time
}

// maxTrims bounds the retries that drop more of the oldest turns when the prompt is still
// over the context.
const maxTrims = 4

// Stream streams the model's answer to req into sink. When the conversation no longer fits
// the context, the oldest turns are left out (the system prompt and the newest question
// stay) and sink hears how many, rather than every later message failing.
func Stream(ctx context.Context, eng Chatter, req engine.ChatRequest, sink Sink, now func() time.Time) Written {
	var content, reasoning strings.Builder
	w := Written{Start: now()}
	for try := 0; ; try++ {
		w.Result, w.Err = eng.Chat(ctx, req, func(ev engine.ChatEvent) error {
			if w.First.IsZero() {
				w.First = now()
			}
			w.Pieces++
			if ev.Reasoning != "" {
				reasoning.WriteString(ev.Reasoning)
				if err := sink.Reasoning(ev.Reasoning); err != nil {
					return err
				}
			}
			if ev.Content != "" {
				content.WriteString(ev.Content)
				if err := sink.Content(ev.Content); err != nil {
					return err
				}
			}
			return nil
		})
		var ee *engine.Error
		if w.Pieces > 0 || try >= maxTrims || !errors.As(w.Err, &ee) || ee.Kind != engine.KindContextExceeded {
			break
		}
		n := Trim(&req, ee.PromptTokens, ee.ContextLength)
		if n == 0 {
			break
		}
		w.Dropped += n
		if err := sink.Trimmed(w.Dropped); err != nil {
			break
		}
	}
	w.Req, w.Content, w.Reasoning = req, content.String(), reasoning.String()
	return w
}

// Trim leaves out the oldest turns of req (after a system prompt; never the last message)
// until, by a share-of-characters estimate, the prompt fits in ctxLen with a quarter of it
// (at most 1024 tokens) left for the answer. It drops whole turns, so the history still
// starts with a question, and returns how many messages it dropped.
func Trim(req *engine.ChatRequest, promptTokens, ctxLen int) int {
	msgs := req.Messages
	head := 0
	if len(msgs) > 0 && msgs[0].Role == "system" {
		head = 1
	}
	if len(msgs)-head < 2 || promptTokens <= 0 || ctxLen <= 0 {
		return 0
	}
	chars := 0
	for _, m := range msgs {
		chars += len(m.Content) + 16
	}
	perChar := float64(promptTokens) / float64(max(chars, 1))
	need := float64(promptTokens - ctxLen + min(ctxLen/4, 1024))
	cut := head
	for cut < len(msgs)-1 && need > 0 {
		need -= perChar * float64(len(msgs[cut].Content)+16)
		cut++
		// Keep going to the next question, so no answer is left without its question.
		for cut < len(msgs)-1 && msgs[cut].Role != "user" {
			need -= perChar * float64(len(msgs[cut].Content)+16)
			cut++
		}
	}
	if cut == head {
		return 0
	}
	req.Messages = append(append([]chat.Message(nil), msgs[:head]...), msgs[cut:]...)
	return cut - head
}
