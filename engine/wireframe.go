package engine

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The completion stream on the worker wire is a sequence of frames, not JSON lines: a token
// step costs one small append to a buffer the worker writes once per decode step, and the
// parent reads frames in bulk without encoding/json. A frame is a kind byte, a uvarint payload
// length, and the payload:
//
//	'e' event: zigzag varint token, uvarint text length, text, then the Logprob as JSON if
//	    any bytes remain (only requests that asked for logprobs pay for JSON);
//	'd' the final CompletionResult, JSON (once per request);
//	'x' an Error, JSON (once per request).
const (
	frameEvent = 'e'
	frameDone  = 'd'
	frameError = 'x'
)

// QueryNoEvents on a /completion request asks the worker for the final frame only, carrying
// the text, tokens and logprobs: a request nobody streams costs no per-token work.
const QueryNoEvents = "events=0"

// StreamContentType is the worker's completion stream's media type.
const StreamContentType = "application/x-perch-frames"

// AppendFrame appends line's frame to buf.
func AppendFrame(buf []byte, line *StreamLine) []byte {
	switch {
	case line.Event != nil:
		ev := line.Event
		var lp []byte
		if ev.Logprob != nil {
			lp, _ = json.Marshal(ev.Logprob)
		}
		buf = append(buf, frameEvent)
		buf = binary.AppendUvarint(buf, uint64(frameLen(ev, len(lp))))
		buf = binary.AppendVarint(buf, int64(ev.Token))
		buf = binary.AppendUvarint(buf, uint64(len(ev.Text)))
		buf = append(buf, ev.Text...)
		return append(buf, lp...)
	case line.Done != nil:
		b, _ := json.Marshal(line.Done)
		return appendJSONFrame(buf, frameDone, b)
	default:
		e := line.Error
		if e == nil {
			e = Errorf(KindWorker, "empty stream line")
		}
		b, _ := json.Marshal(e)
		return appendJSONFrame(buf, frameError, b)
	}
}

// frameLen is an event payload's length, so the length prefix is written before it.
func frameLen(ev *Event, lpLen int) int {
	var tmp [binary.MaxVarintLen64]byte
	n := binary.PutVarint(tmp[:], int64(ev.Token))
	n += binary.PutUvarint(tmp[:], uint64(len(ev.Text)))
	return n + len(ev.Text) + lpLen
}

func appendJSONFrame(buf []byte, kind byte, b []byte) []byte {
	buf = append(buf, kind)
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// maxFrame bounds a frame's payload: a final result carries at most a whole context's text.
const maxFrame = 256 << 20

// frameReader reads frames from a worker's completion stream.
type frameReader struct {
	r   *bufio.Reader
	buf []byte
}

// NewFrameReader reads a worker's completion stream (for tests of the worker).
func NewFrameReader(r io.Reader) interface{ Next(*StreamLine) error } { return newFrameReader(r) }

// Next reads one frame into line.
func (f *frameReader) Next(line *StreamLine) error { return f.next(line) }

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 32<<10)}
}

// buffered says whether another frame's first byte is already read, so a caller can merge
// the events of one step before handing them on.
func (f *frameReader) buffered() bool { return f.r.Buffered() > 0 }

// next reads one frame into line. The event's text is a fresh string; nothing aliases the
// reader's buffer.
func (f *frameReader) next(line *StreamLine) error {
	*line = StreamLine{}
	kind, err := f.r.ReadByte()
	if err != nil {
		return err
	}
	n, err := binary.ReadUvarint(f.r)
	if err != nil {
		return unexpected(err)
	}
	if n > maxFrame {
		return fmt.Errorf("worker frame of %d bytes is too large", n)
	}
	if cap(f.buf) < int(n) {
		f.buf = make([]byte, n)
	}
	p := f.buf[:n]
	if _, err := io.ReadFull(f.r, p); err != nil {
		return unexpected(err)
	}
	switch kind {
	case frameEvent:
		return decodeEvent(p, line)
	case frameDone:
		line.Done = new(CompletionResult)
		return json.Unmarshal(p, line.Done)
	case frameError:
		line.Error = new(Error)
		return json.Unmarshal(p, line.Error)
	}
	return fmt.Errorf("unknown worker frame kind %q", kind)
}

func decodeEvent(p []byte, line *StreamLine) error {
	tok, n := binary.Varint(p)
	if n <= 0 {
		return errors.New("bad event frame: token")
	}
	p = p[n:]
	tl, n := binary.Uvarint(p)
	if n <= 0 || uint64(len(p)-n) < tl {
		return errors.New("bad event frame: text")
	}
	p = p[n:]
	ev := &Event{Token: int32(tok), Text: string(p[:tl])}
	if rest := p[tl:]; len(rest) > 0 {
		ev.Logprob = new(Logprob)
		if err := json.Unmarshal(rest, ev.Logprob); err != nil {
			return fmt.Errorf("bad event frame: logprob: %w", err)
		}
	}
	line.Event = ev
	return nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
