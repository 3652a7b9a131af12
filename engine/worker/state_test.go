package worker

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"github.com/perchapp/perch/engine/llama"
)

// TestPrefixHashes: one pass gives each prefix the hash its file is named by (SHA-256 of the
// tokens as little-endian int32s), so files saved by earlier versions are still found.
func TestPrefixHashes(t *testing.T) {
	toks := make([]llama.Token, 5000)
	for i := range toks {
		toks[i] = llama.Token(i*7919%32000 - 3)
	}
	lens := []int{0, 1, 100, 4096, 4097, 5000}
	got := prefixHashes(toks, lens)
	for i, n := range lens {
		var b bytes.Buffer
		for _, tok := range toks[:n] {
			binary.Write(&b, binary.LittleEndian, tok)
		}
		sum := sha256.Sum256(b.Bytes())
		if want := hex.EncodeToString(sum[:])[:40]; got[i] != want {
			t.Errorf("prefix %d: hash %s, want %s", n, got[i], want)
		}
	}
}

// TestStateStoreKeepsLatestTurn: a state whose tokens continue a saved one replaces it; the
// file reads back as written; an unrelated conversation's file stays.
func TestStateStoreKeepsLatestTurn(t *testing.T) {
	dir := t.TempDir()
	s, err := openStateStore(slog.New(slog.NewTextHandler(io.Discard, nil)), dir, "m", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	turn1 := []llama.Token{1, 10, 11, 12}
	turn2 := append(slices.Clone(turn1), 13, 14, 15)
	other := []llama.Token{1, 20, 21}
	for _, w := range []stateWrite{{turn1, []byte("state one")}, {other, []byte("other")}, {turn2, []byte("state two")}} {
		if err := s.write(w); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "m", "*.kv"))
	if len(files) != 2 || len(s.entries) != 2 {
		t.Fatalf("files %v, entries %d; want the second turn and the other conversation", files, len(s.entries))
	}
	name := prefixHashes(turn2, []int{len(turn2)})[0] + ".kv"
	toks, data, err := readState(filepath.Join(dir, "m", name))
	if err != nil || !slices.Equal(toks, turn2) || string(data) != "state two" {
		t.Errorf("read back %v %q (%v); want %v %q", toks, data, err, turn2, "state two")
	}
}
