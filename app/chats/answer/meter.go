package answer

import (
	"context"
	"time"

	"github.com/perchapp/perch/app/chats"
)

// Meter says how much of the model's context a chat fills, and the KV memory that takes:
// tokens × (the loaded model's KV bytes ÷ its KV cells).
type Meter struct {
	Model           string `json:"model"`
	UsedTokens      int    `json:"used_tokens"`
	ContextTokens   int    `json:"context_tokens"`
	KVBytesPerToken int64  `json:"kv_bytes_per_token"`
	KVBytes         int64  `json:"kv_bytes"`
	// Loaded is false when the model is not in memory; ContextTokens is then the model's
	// trained context, not the slot it will get.
	Loaded bool `json:"loaded"`
}

// Library tells the context a model was trained for, for a model not in memory.
type Library interface {
	ContextLength(ctx context.Context, model string) (int, error)
}

// Meter computes a chat's meter from its last answer's usage and the loaded model.
func (s *Service) Meter(c chats.Chat) *Meter {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; m.Role == chats.RoleAssistant && m.Stats != nil {
			return s.MeterOf(c.Model, m)
		}
	}
	return s.MeterOf(c.Model, chats.Message{})
}

// MeterOf computes the meter from one answer: its usage and its model (else chatModel). It
// is nil when neither names a model.
func (s *Service) MeterOf(chatModel string, ans chats.Message) *Meter {
	model, used := chatModel, 0
	if ans.Stats != nil {
		used = ans.Stats.PromptTokens + ans.Stats.CompletionTokens
		if ans.Model != "" {
			model = ans.Model
		}
	}
	if model == "" {
		return nil
	}
	cm := &Meter{Model: model, UsedTokens: used}
	for _, st := range s.o.Engine.Loaded() {
		if st.Name != model {
			continue
		}
		cm.Loaded = true
		cm.ContextTokens = st.SlotCtx
		if st.Memory.KVCells > 0 {
			cm.KVBytesPerToken = st.Memory.KVBytes / int64(st.Memory.KVCells)
		}
		cm.KVBytes = cm.KVBytesPerToken * int64(used)
		return cm
	}
	if s.o.Library != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if n, err := s.o.Library.ContextLength(ctx, model); err == nil {
			cm.ContextTokens = n
		}
	}
	return cm
}
