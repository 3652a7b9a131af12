package chats

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchapp/perch/app/sqlitedb"
)

var update = flag.Bool("update", false, "rewrite golden files")

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "chats.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// A fixed clock that ticks a second per call makes the golden file stable.
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	n := 0
	s.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return base.Add(time.Duration(n) * time.Second)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

func TestPerchChatsConversationGolden(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, err := s.Create(ctx, NewChat{Model: "stories260k", System: "Be brief.", Params: Params{Temperature: ptr(0.2)}})
	if err != nil {
		t.Fatal(err)
	}
	u1, err := s.AddUserMessage(ctx, c.ID, "안녕하세요! Tell me a story\nabout a cat")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAnswer(ctx, c.ID, u1.ID, Message{Content: "Once upon a time", Model: "stories260k", FinishReason: "stop",
		Stats: &Stats{PromptTokens: 12, CompletionTokens: 5, TTFTMs: 3.5, TokensPerSecond: 120, TotalMs: 50}}); err != nil {
		t.Fatal(err)
	}
	// Regenerating replaces the answer; the stopped one is marked.
	if _, err := s.SaveAnswer(ctx, c.ID, u1.ID, Message{Content: "Once", Reasoning: "hmm", Model: "stories260k", Stopped: true, FinishReason: "cancelled",
		Stats: &Stats{PromptTokens: 12, CachedTokens: 11, CompletionTokens: 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(got, "", "  ")
	golden := filepath.Join("testdata", "conversation.golden.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, append(b, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(b)) {
		t.Errorf("chat differs from %s:\n%s", golden, b)
	}
}

// An answer saved without statistics (an error before the first token) reads back without
// them, not with zero tokens and zero speed.
func TestPerchChatsAnswerWithoutStats(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.Create(ctx, NewChat{Model: "m"})
	u, _ := s.AddUserMessage(ctx, c.ID, "hi")
	saved, err := s.SaveAnswer(ctx, c.ID, u.ID, Message{Content: "", Model: "m", FinishReason: "error"})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Stats != nil {
		t.Errorf("SaveAnswer returned stats %+v for an answer without them", *saved.Stats)
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a := got.Messages[len(got.Messages)-1]; a.Stats != nil {
		t.Errorf("answer read back with stats %+v; it was saved without", *a.Stats)
	}
}

func contents(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Content
	}
	return out
}

// Editing branches: the original turn and everything after it stay as an earlier version.
func TestPerchChatsEditBranchesAndKeepsLaterMessages(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.Create(ctx, NewChat{Model: "m"})
	u1, _ := s.AddUserMessage(ctx, c.ID, "one")
	s.SaveAnswer(ctx, c.ID, u1.ID, Message{Content: "a1"})
	u2, _ := s.AddUserMessage(ctx, c.ID, "two")
	s.SaveAnswer(ctx, c.ID, u2.ID, Message{Content: "a2"})

	edited, err := s.EditUserMessage(ctx, c.ID, u1.ID, "uno")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, c.ID)
	if want := []string{"uno"}; !slices.Equal(contents(got.Messages), want) {
		t.Fatalf("after edit: %q, want %q", contents(got.Messages), want)
	}
	if v := got.Messages[0].Versions; !slices.Equal(v, []int64{u1.ID, edited.ID}) {
		t.Errorf("versions of the edited turn = %v, want [%d %d]", v, u1.ID, edited.ID)
	}
	if got.Title != "one" {
		t.Errorf("title changed by the edit: %q", got.Title)
	}
	last, err := s.LastUserMessage(ctx, c.ID)
	if err != nil || last.ID != edited.ID {
		t.Fatalf("last user message = %+v, %v", last, err)
	}
	// The first version, with its four messages, is one step back.
	back, err := s.SelectVersion(ctx, c.ID, u1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"one", "a1", "two", "a2"}; !slices.Equal(contents(back.Messages), want) {
		t.Fatalf("first version: %q, want %q", contents(back.Messages), want)
	}
}

// Regenerating keeps the previous answer as version 1 of 2.
func TestPerchChatsRegenerateKeepsVersions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.Create(ctx, NewChat{Model: "m"})
	u, _ := s.AddUserMessage(ctx, c.ID, "q")
	a1, _ := s.SaveAnswer(ctx, c.ID, u.ID, Message{Content: "first"})
	a2, _ := s.SaveAnswer(ctx, c.ID, u.ID, Message{Content: "second"})
	got, _ := s.Get(ctx, c.ID)
	if want := []string{"q", "second"}; !slices.Equal(contents(got.Messages), want) {
		t.Fatalf("messages = %q, want %q", contents(got.Messages), want)
	}
	if v := got.Messages[1].Versions; !slices.Equal(v, []int64{a1.ID, a2.ID}) {
		t.Errorf("versions = %v", v)
	}
	back, _ := s.SelectVersion(ctx, c.ID, a1.ID)
	if want := []string{"q", "first"}; !slices.Equal(contents(back.Messages), want) {
		t.Fatalf("after select: %q", contents(back.Messages))
	}
	// A new question follows the version shown.
	u2, _ := s.AddUserMessage(ctx, c.ID, "more")
	if u2.ParentID != a1.ID {
		t.Errorf("new question follows %d, want %d", u2.ParentID, a1.ID)
	}
	if _, err := s.SelectVersion(ctx, c.ID, 99999); !errors.Is(err, ErrNotFound) {
		t.Errorf("select unknown: %v", err)
	}
}

// Continue appends to the same answer.
func TestPerchChatsExtendAnswer(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.Create(ctx, NewChat{Model: "m"})
	u, _ := s.AddUserMessage(ctx, c.ID, "q")
	a, _ := s.SaveAnswer(ctx, c.ID, u.ID, Message{Content: "Once upon", FinishReason: "length", Stats: &Stats{PromptTokens: 5, CompletionTokens: 2}})
	got, err := s.ExtendAnswer(ctx, c.ID, a.ID, Message{Content: " a time", FinishReason: "stop", Stats: &Stats{PromptTokens: 7, CompletionTokens: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != "Once upon a time" || got.FinishReason != "stop" || got.Stats.CompletionTokens != 5 || got.Stats.PromptTokens != 7 {
		t.Fatalf("extended = %+v %+v", got, got.Stats)
	}
	if _, err := s.ExtendAnswer(ctx, c.ID, u.ID, Message{Content: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("extend a question: %v", err)
	}
}

func TestPerchChatsBadInput(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, _ := s.Create(ctx, NewChat{})
	u, _ := s.AddUserMessage(ctx, c.ID, "hi")
	a, _ := s.SaveAnswer(ctx, c.ID, u.ID, Message{Content: "yo"})
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"empty message", func() error { _, err := s.AddUserMessage(ctx, c.ID, "  \n"); return err }(), ErrInvalid},
		{"invalid utf-8", func() error { _, err := s.AddUserMessage(ctx, c.ID, "\xff"); return err }(), ErrInvalid},
		{"huge message", func() error {
			_, err := s.AddUserMessage(ctx, c.ID, strings.Repeat("x", MaxContentBytes+1))
			return err
		}(), ErrInvalid},
		{"unknown chat", func() error { _, err := s.AddUserMessage(ctx, 999, "hi"); return err }(), ErrNotFound},
		{"long title", func() error { _, err := s.Update(ctx, c.ID, Patch{Title: ptr(strings.Repeat("가", 201))}); return err }(), ErrInvalid},
		{"bad temperature", func() error {
			_, err := s.Update(ctx, c.ID, Patch{Params: &Params{Temperature: ptr(3.0)}})
			return err
		}(), ErrInvalid},
		{"context too small", func() error { _, err := s.Create(ctx, NewChat{Params: Params{NumCtx: ptr(100)}}); return err }(), ErrInvalid},
		{"context too large", func() error {
			_, err := s.Update(ctx, c.ID, Patch{Params: &Params{NumCtx: ptr(MaxContext + 1)}})
			return err
		}(), ErrInvalid},
		{"bad max tokens", func() error { _, err := s.Create(ctx, NewChat{Params: Params{MaxTokens: ptr(0)}}); return err }(), ErrInvalid},
		{"edit an answer", func() error { _, err := s.EditUserMessage(ctx, c.ID, a.ID, "x"); return err }(), ErrInvalid},
		{"edit unknown", func() error { _, err := s.EditUserMessage(ctx, c.ID, 12345, "x"); return err }(), ErrNotFound},
		{"answer an answer", func() error { _, err := s.SaveAnswer(ctx, c.ID, a.ID, Message{Content: "x"}); return err }(), ErrInvalid},
		{"delete unknown", s.Delete(ctx, 999), ErrNotFound},
		{"update unknown", func() error { _, err := s.Update(ctx, 999, Patch{Title: ptr("x")}); return err }(), ErrNotFound},
		{"get unknown", func() error { _, err := s.Get(ctx, 999); return err }(), ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Fatalf("err = %v, want %v", tt.err, tt.want)
			}
		})
	}
	empty, _ := s.Create(ctx, NewChat{})
	if _, err := s.LastUserMessage(ctx, empty.ID); !errors.Is(err, ErrInvalid) {
		t.Errorf("regenerate in an empty chat: %v", err)
	}
}

func TestPerchChatsListSearchRenameDelete(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	mk := func(msg string) Chat {
		c, err := s.Create(ctx, NewChat{Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUserMessage(ctx, c.ID, msg); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := mk("How do I bake bread?")
	b := mk("한국어로 김치 만드는 법을 알려줘")
	c := mk("100% sure about _this_?")

	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{c.ID, b.ID, a.ID}},
		{"BREAD", []int64{a.ID}},
		{"김치", []int64{b.ID}},
		{"100%", []int64{c.ID}},
		{"_this_", []int64{c.ID}},
		{"nothing like it", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := s.List(ctx, ListOptions{Query: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, g := range got {
				ids = append(ids, g.ID)
				if tt.query != "" && g.Snippet == "" {
					t.Errorf("no snippet for %q", tt.query)
				}
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("ids = %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("ids = %v, want %v", ids, tt.want)
				}
			}
		})
	}
	if _, err := s.Update(ctx, a.ID, Patch{Title: ptr("  Bread   notes ")}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, a.ID)
	if got.Title != "Bread notes" {
		t.Errorf("title = %q", got.Title)
	}
	if err := s.Delete(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.QueryRow(`SELECT count(*) FROM messages WHERE chat_id = ?`, b.ID).Scan(&n)
	if n != 0 {
		t.Errorf("%d messages left after deleting the chat", n)
	}
}

func TestPerchChatsReopenKeepsHistory(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chats.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Create(ctx, NewChat{Title: "kept"})
	u, _ := s.AddUserMessage(ctx, c.ID, "hello")
	s.SaveAnswer(ctx, c.ID, u.ID, Message{Content: "hi", Model: "m1"})
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, c.ID)
	if err != nil || len(got.Messages) != 2 || got.Title != "kept" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	lu, err := s.LastUsed(ctx)
	if err != nil || lu["m1"].IsZero() {
		t.Fatalf("last used = %v, %v", lu, err)
	}
}

func TestPerchChatsOpenRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chats.db")
	os.WriteFile(path, []byte("this is not a database, just text that is long enough to look like a header......"), 0o644)
	if _, err := Open(context.Background(), path); err == nil {
		t.Fatal("opened a text file as the chats database")
	}
}

func TestPerchChatsSnippet(t *testing.T) {
	tests := []struct{ text, q, want string }{
		{"short text here", "text", "short text here"},
		{strings.Repeat("a ", 40) + "needle " + strings.Repeat("b ", 40), "needle", "…a a a a a a a a a a a a a a a needle b b b b b b b b b b b b b b b b b b b b b b…"},
	}
	for _, tt := range tests {
		if got := snippet(tt.text, tt.q); got != tt.want {
			t.Errorf("snippet(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestPerchChatsTitleFrom(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello\nworld", "hello"},
		{"  spaced   out  ", "spaced out"},
		{strings.Repeat("가", 70), strings.Repeat("가", 60) + "…"},
	}
	for _, tt := range tests {
		if got := titleFrom(tt.in); got != tt.want {
			t.Errorf("titleFrom(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPerchChatsDraftStatsAfterUpgrade: a history made before answers recorded speculative
// decoding is brought up to date in place: its answers read back as they were, and new ones
// keep their drafted and accepted counts.
func TestPerchChatsDraftStatsAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	s := upgradedFrom(t, 1, `INSERT INTO chats (title, created_at, updated_at) VALUES ('old', 1, 1);
		INSERT INTO messages (chat_id, role, content, created_at) VALUES (1, 'user', 'hi', 1);
		INSERT INTO messages (chat_id, role, content, completion_tokens, tokens_per_s, created_at) VALUES (1, 'assistant', 'hello', 3, 90, 2);`)
	c, err := s.Get(ctx, 1)
	if err != nil || len(c.Messages) != 2 || c.Messages[1].Stats == nil || c.Messages[1].Stats.CompletionTokens != 3 || c.Messages[1].Stats.DraftTokens != 0 {
		t.Fatalf("the old answer after the upgrade: %+v, %v", c, err)
	}
	answerWithStats(t, s, Stats{CompletionTokens: 40, TokensPerSecond: 200, DraftTokens: 32, DraftAccepted: 24})
}

// answerWithStats asks again in chat 1 and saves an answer with want, which it must read back.
func answerWithStats(t *testing.T, s *Store, want Stats) Message {
	t.Helper()
	ctx := context.Background()
	u, err := s.AddUserMessage(ctx, 1, "again")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.SaveAnswer(ctx, 1, u.ID, Message{Content: "hello hello", Model: "m", Stats: &want})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Messages[len(c.Messages)-1].Stats; got == nil || *got != want {
		t.Errorf("stats read back %+v; saved %+v", got, want)
	}
	return a
}

// TestPerchChatsDraftSourceAfterUpgrade: a history made before answers recorded what made
// their speculative guesses is brought up to date in place: its answers keep their draft
// counts with no source, and new answers keep theirs.
func TestPerchChatsDraftSourceAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	s := upgradedFrom(t, 4, `INSERT INTO chats (title, created_at, updated_at, leaf_id) VALUES ('old', 1, 1, 2);
		INSERT INTO messages (chat_id, role, content, created_at) VALUES (1, 'user', 'hi', 1);
		INSERT INTO messages (chat_id, role, content, completion_tokens, tokens_per_s, draft_tokens, draft_accepted, parent_id, created_at)
			VALUES (1, 'assistant', 'hello', 3, 90, 16, 12, 1, 2);`)
	c, err := s.Get(ctx, 1)
	if err != nil || len(c.Messages) != 2 {
		t.Fatalf("the old chat after the upgrade: %+v, %v", c, err)
	}
	if got := c.Messages[1].Stats; got == nil || got.DraftTokens != 16 || got.DraftAccepted != 12 || got.DraftSource != "" {
		t.Errorf("the old answer's stats after the upgrade: %+v", got)
	}
	for _, source := range []string{"model", "ngram"} {
		want := Stats{CompletionTokens: 40, TokensPerSecond: 200, DraftTokens: 32, DraftAccepted: 24, DraftSource: source}
		a := answerWithStats(t, s, want)
		imp, err := s.Import(ctx, NewChat{Model: "m"}, []Message{{Role: RoleUser, Content: "q"}, a})
		if err != nil {
			t.Fatal(err)
		}
		if got := imp.Messages[1].Stats; got == nil || *got != want {
			t.Errorf("imported stats %+v; exported %+v", got, want)
		}
	}
}

func TestPerchChatsImport(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c, err := s.Import(ctx, NewChat{Model: "m", System: "Be brief."}, []Message{
		{Role: RoleUser, Content: "q1"}, {Role: RoleAssistant, Content: "a1", Model: "m"}, {Role: RoleUser, Content: "q2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"q1", "a1", "q2"}; !slices.Equal(contents(c.Messages), want) || c.Title != "q1" || c.System != "Be brief." {
		t.Fatalf("imported %+v", c)
	}
	before, _ := s.List(ctx, ListOptions{})
	for _, bad := range [][]Message{nil, {{Role: "system", Content: "x"}}, {{Role: RoleUser, Content: " "}}} {
		if _, err := s.Import(ctx, NewChat{}, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("import %+v: %v, want ErrInvalid", bad, err)
		}
	}
	if after, _ := s.List(ctx, ListOptions{}); len(after) != len(before) {
		t.Errorf("bad imports left chats behind: %d → %d", len(before), len(after))
	}
}

// upgradedFrom opens a history made by the first steps of the schema, holding what seed
// inserts, as Open upgrades it in place.
func upgradedFrom(t *testing.T, steps int, seed string) *Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chats.db")
	old, err := sqlitedb.Open(ctx, path, schema[:steps], sqlitedb.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.ExecContext(ctx, seed); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
