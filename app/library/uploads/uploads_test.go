package uploads

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clock is a settable time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func kindOf(err error) (Kind, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind, true
	}
	return 0, false
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		filename string
		size     int64
		param    string
	}{
		{"model.gguf", 100, ""},
		{"MODEL.GGUF", 4, ""},
		{"model.bin", 100, "filename"},
		{"model.gguf", 3, "size"},
	} {
		err := Check(tc.filename, tc.size)
		var e *Error
		if tc.param == "" {
			if err != nil {
				t.Errorf("%s %d: %v", tc.filename, tc.size, err)
			}
			continue
		}
		if !errors.As(err, &e) || e.Kind != Invalid || e.Param != tc.param {
			t.Errorf("%s %d: %v, want an Invalid error on %s", tc.filename, tc.size, err, tc.param)
		}
	}
	if k, _ := kindOf(checkSpace(t.TempDir(), MaxSize+1)); k != Invalid {
		t.Errorf("a file over MaxSize: kind %v", k)
	}
}

func TestUploadChunksThenFinish(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := New(dir, nil)
	file := append([]byte("GGUF"), bytes.Repeat([]byte{7}, 96)...)
	up, err := s.Start("m.gguf", int64(len(file)), "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chunk(ctx, up.ID, 10, bytes.NewReader(file)); !isKind(err, Conflict) {
		t.Errorf("chunk at the wrong offset: %v", err)
	}
	if v, err := s.Chunk(ctx, up.ID, 0, bytes.NewReader(file[:60])); err != nil || v.Received != 60 {
		t.Fatalf("chunk 1: %+v %v", v, err)
	}
	if err := s.Finish(ctx, up.ID, nil); !isKind(err, Conflict) {
		t.Errorf("finish with 60 of 100 bytes: %v", err)
	}
	if _, err := s.Chunk(ctx, up.ID, 60, bytes.NewReader(file[60:])); err != nil {
		t.Fatal(err)
	}
	var got []byte
	err = s.Finish(ctx, up.ID, func(ctx context.Context, path, name string) error {
		got, _ = os.ReadFile(path)
		if name != "m" {
			t.Errorf("name %q", name)
		}
		return nil
	})
	if err != nil || !bytes.Equal(got, file) {
		t.Fatalf("finish: %v; imported %d bytes", err, len(got))
	}
	if _, err := s.Get(up.ID); !isKind(err, NotFound) {
		t.Errorf("the upload is still there after finish: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left: %v", ents)
	}
}

func isKind(err error, k Kind) bool { got, ok := kindOf(err); return ok && got == k }

func TestChunkRefusalsKeepWholeChunks(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir(), nil)
	up, err := s.Start("m.gguf", MaxChunk*2, "m")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Chunk(ctx, up.ID, 0, strings.NewReader("PK\x03\x04 a zip")); !isKind(err, Invalid) {
		t.Errorf("a zip's first chunk: %v", err)
	}
	big := append([]byte("GGUF"), make([]byte, MaxChunk)...)
	if _, err := s.Chunk(ctx, up.ID, 0, bytes.NewReader(big)); !isKind(err, Invalid) {
		t.Errorf("a chunk over MaxChunk: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Chunk(cancelled, up.ID, 0, bytes.NewReader(big[:100])); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled chunk: %v", err)
	}
	v, _ := s.Get(up.ID)
	info, _ := os.Stat(s.all[up.ID].path)
	if v.Received != 0 || info.Size() != 0 {
		t.Errorf("after refused chunks: received %d, file %d bytes; want both 0", v.Received, info.Size())
	}
}

func TestSweepAndClose(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	s := New(dir, c.now)
	old, _ := s.Start("old.gguf", 10, "old")
	leftover := filepath.Join(dir, "left.upload")
	os.WriteFile(leftover, nil, 0o644)
	os.Chtimes(leftover, c.t.Add(-2*Idle), c.t.Add(-2*Idle))
	c.t = c.t.Add(Idle + time.Minute)
	fresh, err := s.Start("new.gguf", 10, "new") // starting sweeps
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(old.ID); !isKind(err, NotFound) {
		t.Errorf("an upload idle for over an hour survived: %v", err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("a previous run's file survived: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(fresh.ID); !isKind(err, NotFound) {
		t.Errorf("an upload survived Close: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left after Close: %v", ents)
	}
	if _, err := s.Start("late.gguf", 10, "late"); !errors.Is(err, ErrClosed) {
		t.Errorf("start after Close: %v", err)
	}
}

func TestFinishRefusesATruncatedHeader(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir(), nil)
	file := []byte("GGUF\x03\x00") // the magic, but shorter than a header
	up, _ := s.Start("m.gguf", int64(len(file)), "m")
	if _, err := s.Chunk(ctx, up.ID, 0, bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	called := false
	err := s.Finish(ctx, up.ID, func(context.Context, string, string) error { called = true; return nil })
	if !isKind(err, Invalid) || called {
		t.Errorf("finish of a broken GGUF: %v (import called: %v)", err, called)
	}
	if _, err := s.Get(up.ID); !isKind(err, NotFound) {
		t.Errorf("a refused upload is kept: %v", err)
	}
}
