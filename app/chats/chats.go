// Package chats keeps the UI's conversation history in SQLite (chats.db in the data dir):
// chats with their model, system prompt and sampling parameters, and their messages with the
// statistics of each answer.
//
// A generated answer is written once, when it is finished or stopped, in the same
// transaction that drops the answers it replaces, so the history never holds half of an
// answer or two versions of one.
package chats

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotFound is wrapped by errors about a chat or message that does not exist.
var ErrNotFound = errors.New("not found")

// ErrInvalid is wrapped by errors about bad input (an empty message, a title too long).
var ErrInvalid = errors.New("invalid")

// Limits on what a chat holds; they keep one careless paste from bloating the database.
const (
	MaxTitleRunes   = 200
	MaxSystemBytes  = 64 << 10
	MaxContentBytes = 1 << 20
)

// Params are a chat's sampling and generation parameters. Nil fields take the model's or
// the server's defaults.
type Params struct {
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"top_p,omitempty"`
	TopK          *int     `json:"top_k,omitempty"`
	MinP          *float64 `json:"min_p,omitempty"`
	RepeatPenalty *float64 `json:"repeat_penalty,omitempty"`
	MaxTokens     *int     `json:"max_tokens,omitempty"`
	Seed          *int64   `json:"seed,omitempty"`
	// Think asks reasoning models to think (true) or not (false); nil leaves it to the model.
	Think *bool `json:"think,omitempty"`
	// NumCtx is the chat's own context length: its answers load the model with it (a larger
	// context than the loaded one reloads the model); nil takes the model's.
	NumCtx *int `json:"num_ctx,omitempty"`
}

// MinContext is the smallest context a model loads with (engine.MinContext), and MaxContext
// the largest a request may ask for.
const (
	MinContext = 256
	MaxContext = 1 << 22
)

// Validate says what is out of range.
func (p Params) Validate() error {
	check := func(name string, v *float64, lo, hi float64) error {
		if v != nil && (*v < lo || *v > hi || *v != *v) {
			return fmt.Errorf("%w: %s must be from %g to %g, got %g", ErrInvalid, name, lo, hi, *v)
		}
		return nil
	}
	if err := errors.Join(
		check("temperature", p.Temperature, 0, 2),
		check("top_p", p.TopP, 0, 1),
		check("min_p", p.MinP, 0, 1),
		check("repeat_penalty", p.RepeatPenalty, 0, 2),
	); err != nil {
		return err
	}
	if p.TopK != nil && (*p.TopK < 0 || *p.TopK > 1000) {
		return fmt.Errorf("%w: top_k must be from 0 to 1000, got %d", ErrInvalid, *p.TopK)
	}
	if p.MaxTokens != nil && (*p.MaxTokens < 1 || *p.MaxTokens > 1<<20) {
		return fmt.Errorf("%w: max_tokens must be from 1 to %d, got %d", ErrInvalid, 1<<20, *p.MaxTokens)
	}
	if p.NumCtx != nil && (*p.NumCtx < 0 || (*p.NumCtx > 0 && *p.NumCtx < MinContext) || *p.NumCtx > MaxContext) {
		return fmt.Errorf("%w: num_ctx must be 0 (the model's context) or from %d to %d, got %d", ErrInvalid, MinContext, MaxContext, *p.NumCtx)
	}
	return nil
}

// Chat is a conversation. Messages is filled by Get only.
type Chat struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Model     string    `json:"model"`
	System    string    `json:"system"`
	Params    Params    `json:"params"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Pinned chats sort first in the history.
	Pinned   bool      `json:"pinned,omitempty"`
	Messages []Message `json:"messages,omitempty"`
	// leaf is the last message of the path the chat shows.
	leaf int64
}

// Summary is a chat as the history list shows it.
type Summary struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Model     string    `json:"model"`
	UpdatedAt time.Time `json:"updated_at"`
	Messages  int       `json:"message_count"`
	Pinned    bool      `json:"pinned,omitempty"`
	// Snippet is the matching text around a search hit, when the list was searched.
	Snippet string `json:"snippet,omitempty"`
}

// Roles of messages.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Stats are what an answer cost.
type Stats struct {
	PromptTokens     int     `json:"prompt_tokens"`
	CachedTokens     int     `json:"cached_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	TTFTMs           float64 `json:"ttft_ms"`
	TokensPerSecond  float64 `json:"tokens_per_s"`
	TotalMs          float64 `json:"total_ms"`
	// DraftTokens were guessed by speculative decoding, DraftAccepted of them right.
	DraftTokens   int `json:"draft_tokens,omitempty"`
	DraftAccepted int `json:"draft_accepted,omitempty"`
	// DraftSource says what guessed: "ngram" (prompt lookup) or "model" (a draft model);
	// empty for answers saved before it was recorded.
	DraftSource string `json:"draft_source,omitempty"`
}

// Message is one turn. Assistant messages carry the model that wrote them and their stats.
type Message struct {
	ID        int64  `json:"id"`
	ChatID    int64  `json:"chat_id"`
	Role      string `json:"role"`
	Content   string `json:"content"`
	Reasoning string `json:"reasoning,omitempty"`
	Model     string `json:"model,omitempty"`
	// Stopped is true when the user stopped the answer before the model finished it.
	Stopped      bool      `json:"stopped,omitempty"`
	FinishReason string    `json:"finish_reason,omitempty"`
	Stats        *Stats    `json:"stats,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// ParentID is the message this one follows (0 for the first).
	ParentID int64 `json:"parent_id,omitempty"`
	// Versions are the ids of this turn's versions, oldest first, when it has more than one
	// (regenerated answers, edited questions).
	Versions []int64 `json:"versions,omitempty"`
	// Dropped counts the earliest messages left out of this answer's request so the chat
	// fits the model's context.
	Dropped int `json:"dropped,omitempty"`
}

// NewChat are the fields a chat starts with.
type NewChat struct {
	Title  string `json:"title"`
	Model  string `json:"model"`
	System string `json:"system"`
	Params Params `json:"params"`
}

// Patch changes the fields that are set.
type Patch struct {
	Title  *string `json:"title,omitempty"`
	Model  *string `json:"model,omitempty"`
	System *string `json:"system,omitempty"`
	Params *Params `json:"params,omitempty"`
}

func validTitle(t string) (string, error) {
	t = strings.TrimSpace(strings.Join(strings.Fields(t), " "))
	if !utf8.ValidString(t) {
		return "", fmt.Errorf("%w: the title is not valid UTF-8", ErrInvalid)
	}
	if n := utf8.RuneCountInString(t); n > MaxTitleRunes {
		return "", fmt.Errorf("%w: the title has %d characters; the limit is %d", ErrInvalid, n, MaxTitleRunes)
	}
	return t, nil
}

func validSystem(s string) error {
	if len(s) > MaxSystemBytes {
		return fmt.Errorf("%w: the system prompt has %d bytes; the limit is %d", ErrInvalid, len(s), MaxSystemBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: the system prompt is not valid UTF-8", ErrInvalid)
	}
	return nil
}

// ValidateContent checks a message's text.
func ValidateContent(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: the message is empty", ErrInvalid)
	}
	if len(s) > MaxContentBytes {
		return fmt.Errorf("%w: the message has %d bytes; the limit is %d", ErrInvalid, len(s), MaxContentBytes)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: the message is not valid UTF-8", ErrInvalid)
	}
	return nil
}

// titleFrom makes a title from the first user message: its first line, shortened.
func titleFrom(content string) string {
	line := strings.TrimSpace(content)
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = strings.Join(strings.Fields(line), " ")
	const max = 60
	if utf8.RuneCountInString(line) <= max {
		return line
	}
	r := []rune(line)
	return strings.TrimSpace(string(r[:max])) + "…"
}

func encodeParams(p Params) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode params: %w", err)
	}
	return string(b), nil
}

func decodeParams(s string) Params {
	var p Params
	// A row written by a newer version may carry fields this one does not know; they are
	// dropped rather than failing the whole chat.
	_ = json.Unmarshal([]byte(s), &p)
	return p
}
