package worker

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/engine/llama"
)

// stateMagic starts every saved-state file; the version is part of it.
const stateMagic = "PERCHKV1"

// stateStore keeps conversations' KV state on disk, keyed by the model (digest and cache type)
// and a hash of the tokens, so a conversation resumes without a prefill after the model was
// unloaded or the app restarted. Files that are corrupt, truncated or for another model are
// deleted, never loaded.
type stateStore struct {
	log    *slog.Logger
	dir    string
	budget int64

	mu      sync.Mutex
	entries map[string]*stateEntry // by file name

	writes chan stateWrite
	wg     sync.WaitGroup
}

type stateEntry struct {
	name     string
	nTokens  int
	hash     string // of the tokens
	size     int64
	lastUsed time.Time
}

type stateHeader struct {
	Model     string `json:"model"`
	NTokens   int    `json:"n_tokens"`
	StateSize int    `json:"state_size"`
	Sum       string `json:"sha256"` // of tokens and state
}

type stateWrite struct {
	tokens []llama.Token
	data   []byte
}

// openStateStore scans dir/<key> for saved states of this model.
func openStateStore(log *slog.Logger, root, model string, budget int64) (*stateStore, error) {
	dir := filepath.Join(root, model)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("saved state folder: %w", err)
	}
	s := &stateStore{log: log, dir: dir, budget: budget, entries: map[string]*stateEntry{}, writes: make(chan stateWrite, 4)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("saved state folder: %w", err)
	}
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".kv") {
			if strings.HasPrefix(name, ".tmp") {
				os.Remove(filepath.Join(dir, name)) // left by a crash mid-write
			}
			continue
		}
		h, _, err := readStateHeader(filepath.Join(dir, name))
		info, ierr := de.Info()
		if err != nil || ierr != nil || strings.TrimSuffix(name, ".kv") == "" {
			log.Warn("deleting unreadable saved state", "file", name, "err", err)
			os.Remove(filepath.Join(dir, name))
			continue
		}
		s.entries[name] = &stateEntry{name: name, nTokens: h.NTokens, hash: strings.TrimSuffix(name, ".kv"), size: info.Size(), lastUsed: info.ModTime()}
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// tokenBytes is how tokens are stored and hashed: little-endian int32s.
func tokenBytes(toks []llama.Token) []byte {
	b, _ := binary.Append(make([]byte, 0, 4*len(toks)), binary.LittleEndian, toks)
	return b
}

// hashName is the name a state's tokens are filed under: the start of their SHA-256.
func hashName(sum []byte) string { return hex.EncodeToString(sum)[:40] }

// prefixHashes returns the hashes of toks[:n] for each n of lens (ascending), hashing toks
// once.
func prefixHashes(toks []llama.Token, lens []int) []string {
	h := sha256.New()
	out := make([]string, len(lens))
	done := 0
	for i, n := range lens {
		h.Write(tokenBytes(toks[done:n]))
		done = n
		out[i] = hashName(h.Sum(nil))
	}
	return out
}

// matching returns the entries whose hash is that of the same-length prefix of toks, sorted
// by length, shortest first.
func matching(ents []*stateEntry, toks []llama.Token) []*stateEntry {
	sort.Slice(ents, func(i, j int) bool { return ents[i].nTokens < ents[j].nTokens })
	lens := make([]int, len(ents))
	for i, e := range ents {
		lens[i] = e.nTokens
	}
	var out []*stateEntry
	for i, h := range prefixHashes(toks, lens) {
		if h == ents[i].hash {
			out = append(out, ents[i])
		}
	}
	return out
}

// restore loads into seq the saved state covering the longest prefix of prompt longer than
// have tokens. When it changed the sequence (touched), the sequence now holds prompt[:n]:
// the state loaded, or nothing (n = 0) when llama.cpp refused the state. Otherwise the
// sequence is as it was.
func (s *stateStore) restore(c *llama.Context, seq int, prompt []llama.Token, have int) (n int, touched bool) {
	s.mu.Lock()
	var cands []*stateEntry
	for _, e := range s.entries {
		if e.nTokens > have && e.nTokens <= len(prompt) {
			cands = append(cands, e)
		}
	}
	s.mu.Unlock()
	cands = matching(cands, prompt)
	for i := len(cands) - 1; i >= 0; i-- { // the longest first
		e := cands[i]
		path := filepath.Join(s.dir, e.name)
		toks, data, err := readState(path)
		if err == nil && !slices.Equal(toks, prompt[:e.nTokens]) {
			err = errors.New("tokens differ from the file name's hash")
		}
		if err == nil {
			// Only now is the sequence changed; a file rejected above leaves it intact.
			touched = true
			c.SeqRm(seq, -1, -1)
			if err = c.SetSeqState(seq, data); err != nil {
				c.SeqRm(seq, -1, -1) // a half-loaded state is no state
			}
		}
		if err != nil {
			s.log.Warn("deleting saved state that cannot be loaded", "file", e.name, "err", err)
			s.remove(e.name)
			continue
		}
		now := time.Now()
		_ = os.Chtimes(path, now, now)
		s.mu.Lock()
		e.lastUsed = now
		s.mu.Unlock()
		return e.nTokens, true
	}
	return 0, touched
}

// save copies the sequence's state now (the loop goes on using the slot) and writes it in the
// background.
func (s *stateStore) save(c *llama.Context, seq int, toks []llama.Token) {
	// The loop is the only sender: a queue with room now still has room below.
	if len(s.writes) == cap(s.writes) {
		s.log.Warn("saved-state writer is busy; skipping this save")
		return
	}
	data := c.SeqState(seq)
	if len(data) == 0 {
		return
	}
	w := stateWrite{tokens: append([]llama.Token(nil), toks...), data: data}
	select {
	case s.writes <- w:
	default:
		s.log.Warn("saved-state writer is busy; skipping this save")
	}
}

func (s *stateStore) writer() {
	defer s.wg.Done()
	for w := range s.writes {
		if err := s.write(w); err != nil {
			s.log.Warn("could not save conversation state", "err", err)
		}
	}
}

func (s *stateStore) write(w stateWrite) error {
	toks := tokenBytes(w.tokens)
	nameSum := sha256.Sum256(toks)
	hash := hashName(nameSum[:])
	name := hash + ".kv"
	sum := sha256.New()
	sum.Write(toks)
	sum.Write(w.data)
	hdr, _ := json.Marshal(stateHeader{Model: filepath.Base(s.dir), NTokens: len(w.tokens), StateSize: len(w.data), Sum: hex.EncodeToString(sum.Sum(nil))})
	pre := binary.LittleEndian.AppendUint32([]byte(stateMagic), uint32(len(hdr)))
	pre = append(pre, hdr...)
	if err := s.writeFile(name, pre, toks, w.data); err != nil {
		return err
	}
	s.mu.Lock()
	// An earlier turn of the same conversation is a prefix of this one: its file is no longer
	// needed.
	var shorter []*stateEntry
	for _, e := range s.entries {
		if e.nTokens < len(w.tokens) {
			shorter = append(shorter, e)
		}
	}
	s.entries[name] = &stateEntry{name: name, nTokens: len(w.tokens), hash: hash, size: int64(len(pre) + len(toks) + len(w.data)), lastUsed: time.Now()}
	s.mu.Unlock()
	for _, e := range matching(shorter, w.tokens) {
		s.remove(e.name)
	}
	s.evict()
	return nil
}

// writeFile writes the parts to dir/name through a synced temporary file, so a crash leaves
// the old file or the new one, never half of one.
func (s *stateStore) writeFile(name string, parts ...[]byte) error {
	f, err := os.CreateTemp(s.dir, ".tmp*")
	if err != nil {
		return fmt.Errorf("saved state: %w", err)
	}
	defer os.Remove(f.Name())
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			f.Close()
			return fmt.Errorf("saved state: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saved state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saved state: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("saved state: %w", err)
	}
	return nil
}

// evict deletes the least recently used files until the folder is within its budget.
func (s *stateStore) evict() {
	s.mu.Lock()
	var total int64
	list := make([]*stateEntry, 0, len(s.entries))
	for _, e := range s.entries {
		total += e.size
		list = append(list, e)
	}
	s.mu.Unlock()
	if total <= s.budget {
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].lastUsed.Before(list[j].lastUsed) })
	for _, e := range list {
		if total <= s.budget {
			break
		}
		s.remove(e.name)
		total -= e.size
	}
}

func (s *stateStore) remove(name string) {
	s.mu.Lock()
	delete(s.entries, name)
	s.mu.Unlock()
	os.Remove(filepath.Join(s.dir, name))
}

// close waits for pending writes.
func (s *stateStore) close() {
	close(s.writes)
	s.wg.Wait()
}

func readStateHeader(path string) (stateHeader, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return stateHeader{}, 0, err
	}
	defer f.Close()
	return readHeader(f)
}

func readHeader(r io.Reader) (stateHeader, int64, error) {
	var h stateHeader
	magic := make([]byte, len(stateMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != stateMagic {
		return h, 0, errors.New("not a Perch saved-state file")
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<16 {
		return h, 0, errors.New("bad saved-state header")
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(r, hb); err != nil {
		return h, 0, errors.New("truncated saved-state header")
	}
	if err := json.Unmarshal(hb, &h); err != nil || h.NTokens <= 0 || h.StateSize <= 0 {
		return h, 0, errors.New("bad saved-state header")
	}
	return h, int64(len(stateMagic) + 4 + int(n)), nil
}

func readState(path string) ([]llama.Token, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	r := bytes.NewReader(b)
	h, off, err := readHeader(r)
	if err != nil {
		return nil, nil, err
	}
	body := b[off:]
	if len(body) != h.NTokens*4+h.StateSize {
		return nil, nil, fmt.Errorf("truncated: %d bytes, header says %d", len(body), h.NTokens*4+h.StateSize)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != h.Sum {
		return nil, nil, errors.New("checksum mismatch")
	}
	if h.Model != filepath.Base(filepath.Dir(path)) {
		return nil, nil, errors.New("saved for another model")
	}
	toks := make([]llama.Token, h.NTokens)
	for i := range toks {
		toks[i] = llama.Token(int32(binary.LittleEndian.Uint32(body[i*4:])))
	}
	return toks, body[h.NTokens*4:], nil
}
