package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
)

// savedStates lists the saved-state files under dir.
func savedStates(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.kv"))
	return files
}

func waitForState(t *testing.T, dir string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if f := savedStates(t, dir); len(f) >= n {
			return f
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no saved state appeared in %s", dir)
	return nil
}

func tokensOf(t *testing.T, e *engine.Engine, text string) []int32 {
	t.Helper()
	toks, err := e.Tokenize(context.Background(), "stories", text, true, true)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, len(toks))
	for i, tp := range toks {
		ids[i] = tp.ID
	}
	return ids
}

// TestSavedStateResumes: a conversation written to disk after an answer is restored instead
// of prefilled once the model was unloaded, and gives the same answer as a full prefill.
func TestSavedStateResumes(t *testing.T) {
	stateDir := t.TempDir()
	e := newEngine(t, engine.Config{StateDir: stateDir, Slots: 1})
	ctx := context.Background()
	prompt := tokensOf(t, e, "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.")
	first, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: prompt, RequestOptions: engine.RequestOptions{MaxTokens: 40, SaveState: true, Sampling: engine.Sampling{Temperature: 0}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitForState(t, stateDir, 1)
	next := append(append(append([]int32(nil), prompt...), first.Tokens...), tokensOf(t, e, " One day")[1:]...)

	if err := e.Unload(ctx, "stories"); err != nil {
		t.Fatal(err)
	}
	resumed, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: next, RequestOptions: engine.RequestOptions{MaxTokens: 20, Sampling: engine.Sampling{Temperature: 0}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !resumed.Timings.Restored || resumed.Usage.CachedTokens != len(prompt)+len(first.Tokens)-1 {
		t.Fatalf("restored=%v cached=%d; want the saved %d tokens restored", resumed.Timings.Restored, resumed.Usage.CachedTokens, len(prompt)+len(first.Tokens)-1)
	}
	e.Unload(ctx, "stories")
	fresh, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: next, NoCache: true, RequestOptions: engine.RequestOptions{MaxTokens: 20, Sampling: engine.Sampling{Temperature: 0}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Timings.Restored || fresh.Text != resumed.Text {
		t.Errorf("prefilled %q (restored=%v), restored %q; want the same text", fresh.Text, fresh.Timings.Restored, resumed.Text)
	}
}

// TestBadSavedStateIsDeleted: corrupt, truncated or foreign files are deleted, never loaded.
func TestBadSavedStateIsDeleted(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"flipped byte", func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-10] ^= 0xFF
			os.WriteFile(p, b, 0o644)
		}},
		{"truncated", func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}},
		{"not a state file", func(t *testing.T, p string) { os.WriteFile(p, []byte("garbage"), 0o644) }},
		{"another model's", func(t *testing.T, p string) {
			// The same bytes filed under another model (same weights, another identity): the
			// header names the model it was saved for.
			sum := sha256.Sum256([]byte("stories-copy"))
			other := filepath.Join(filepath.Dir(filepath.Dir(p)), hex.EncodeToString(sum[:])[:32]+"-f16")
			os.MkdirAll(other, 0o755)
			b, _ := os.ReadFile(p)
			os.WriteFile(filepath.Join(other, filepath.Base(p)), b, 0o644)
			os.Remove(p)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stateDir := t.TempDir()
			stories := sharedtest.Model(t, "stories260K.gguf")
			e := newEngine(t, engine.Config{StateDir: stateDir, Slots: 1, Resolver: enginetest.Files{"stories": stories, "stories-copy": stories}})
			ctx := context.Background()
			prompt := tokensOf(t, e, "Once upon a time, there was a dog who liked to run in the park every day.")
			first, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: prompt, RequestOptions: engine.RequestOptions{MaxTokens: 20, SaveState: true, Sampling: engine.Sampling{Temperature: 0}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			files := waitForState(t, stateDir, 1)
			e.Unload(ctx, "stories")
			c.damage(t, files[0])
			model := "stories"
			if c.name == "another model's" {
				model = "stories-copy"
			}
			next := append(append([]int32(nil), prompt...), first.Tokens...)
			res, err := e.Complete(ctx, engine.CompletionRequest{Model: model, Tokens: next, RequestOptions: engine.RequestOptions{MaxTokens: 10, Sampling: engine.Sampling{Temperature: 0}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Timings.Restored {
				t.Fatal("a damaged state file was loaded")
			}
			if left := savedStates(t, stateDir); len(left) != 0 {
				t.Errorf("damaged file kept: %v", left)
			}
		})
	}
}

// refusedState rewrites a saved-state file so that it passes every check of its own (header,
// checksum) but holds half a KV state, which llama.cpp refuses while loading it.
func refusedState(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const magic = "PERCHKV1"
	n := int(binary.LittleEndian.Uint32(b[len(magic):]))
	var h map[string]any
	if err := json.Unmarshal(b[len(magic)+4:len(magic)+4+n], &h); err != nil {
		t.Fatal(err)
	}
	body := b[len(magic)+4+n:]
	toks := int(h["n_tokens"].(float64)) * 4
	body = body[:toks+(len(body)-toks)/2]
	sum := sha256.Sum256(body)
	h["state_size"], h["sha256"] = len(body)-toks, hex.EncodeToString(sum[:])
	hb, _ := json.Marshal(h)
	out := binary.LittleEndian.AppendUint32([]byte(magic), uint32(len(hb)))
	out = append(append(out, hb...), body...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadSavedStateKeepsCache: a damaged file found while another conversation's prefix sits
// in the slot must leave that prefix usable (or cleared), never half-trusted: the answer is
// the one a full prefill gives.
func TestBadSavedStateKeepsCache(t *testing.T) {
	t.Run("checksum", func(t *testing.T) {
		badStateAfterOtherPrompt(t, func(t *testing.T, p string) {
			b, _ := os.ReadFile(p)
			b[len(b)-10] ^= 0xFF
			os.WriteFile(p, b, 0o644)
		})
	})
	t.Run("refused by llama.cpp", func(t *testing.T) { badStateAfterOtherPrompt(t, refusedState) })
}

func badStateAfterOtherPrompt(t *testing.T, damage func(t *testing.T, path string)) {
	stateDir := t.TempDir()
	e := newEngine(t, engine.Config{StateDir: stateDir, Slots: 1})
	ctx := context.Background()
	g := engine.Sampling{Temperature: 0}
	p := tokensOf(t, e, "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.")
	first, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: p, RequestOptions: engine.RequestOptions{MaxTokens: 20, SaveState: true, Sampling: g}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	damage(t, waitForState(t, stateDir, 1)[0])
	// Another prompt sharing the first tokens fills the slot's cache.
	q := append(append([]int32(nil), p[:10]...), tokensOf(t, e, " a big red dog ran fast")[1:]...)
	if _, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: q, RequestOptions: engine.RequestOptions{MaxTokens: 5, Sampling: g}}, nil); err != nil {
		t.Fatal(err)
	}
	next := append(append(append([]int32(nil), p...), first.Tokens...), tokensOf(t, e, " One day")[1:]...)
	got, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: next, RequestOptions: engine.RequestOptions{MaxTokens: 10, Sampling: g}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.Complete(ctx, engine.CompletionRequest{Model: "stories", Tokens: next, NoCache: true, RequestOptions: engine.RequestOptions{MaxTokens: 10, Sampling: g}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Timings.Restored || got.Text != want.Text {
		t.Errorf("after a damaged state: %q (restored=%v, cached=%d); a full prefill gives %q", got.Text, got.Timings.Restored, got.Usage.CachedTokens, want.Text)
	}
	if left := savedStates(t, stateDir); len(left) != 0 {
		t.Errorf("damaged file kept: %v", left)
	}
}
