package perch

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
)

// MaxContext is the largest num_ctx a request may ask for.
const MaxContext = 1 << 22

// CheckContext checks a request's num_ctx: 0 (automatic) or a context the engine can make.
func CheckContext(n int) error {
	if n < 0 || (n > 0 && n < engine.MinContext) || n > MaxContext {
		return wire.BadRequest("num_ctx", "num_ctx must be 0 (automatic) or from %d to %d, got %d", engine.MinContext, MaxContext, n)
	}
	return nil
}

// Check refuses a fit query a client must fix, naming the field.
func (q FitQuery) Check() error {
	switch {
	case q.Model != "" && q.Ref != "":
		return wire.BadRequest("model", "give either model (installed) or ref (to download), not both")
	case q.Model != "":
		if err := wire.ValidateModelName("model", q.Model); err != nil {
			return err
		}
	case q.Ref != "":
		if err := wire.ValidatePullRef("ref", q.Ref); err != nil {
			return err
		}
	default:
		return wire.BadRequest("model", "give model (an installed model) or ref (one to download)")
	}
	if err := CheckContext(q.ContextLength); err != nil {
		return err
	}
	if q.Slots < 0 || q.Slots > 64 {
		return wire.BadRequest("slots", "slots must be from 0 (default) to 64, got %d", q.Slots)
	}
	switch q.KVType {
	case "", "f16", "q8_0", "q4_0":
	default:
		return wire.BadRequest("kv_type", "kv_type must be f16, q8_0 or q4_0, got %q", q.KVType)
	}
	return nil
}

// LibraryModelOf describes a loaded model from what the engine says of it, for a model that
// is not in the library (a file path) or a server without one.
func LibraryModelOf(st engine.Status) LibraryModel {
	return LibraryModel{Name: st.Name, Digest: st.Digest, Path: st.Path, Size: int64(st.Info.SizeBytes), Architecture: st.Info.Architecture,
		ParameterCount: st.Info.Parameters, Quantization: st.Info.FileType, ContextLength: st.Info.ContextLength,
		EmbeddingSize: st.Info.EmbeddingSize, ModifiedAt: st.LoadedAt, Template: st.Info.ChatTemplate, FIM: st.Info.FIM}
}

// LoadedOf is what a resident model holds, for the Models view.
func LoadedOf(st engine.Status) *LoadedModel {
	l := &LoadedModel{SlotCtx: st.SlotCtx, Slots: st.Slots, Busy: st.Busy, Generating: st.Generating,
		Memory: st.Memory, LoadedAt: st.LoadedAt}
	if !st.ExpiresAt.IsZero() {
		t := st.ExpiresAt
		l.ExpiresAt = &t
	}
	return l
}

// ModelList is the Models view's list, sorted by name: the library's models and the loaded
// ones outside it, each marked default, last used (from the chat history) and loaded. where
// says where a remote model runs (nil for none).
func ModelList(lib []LibraryModel, loaded []engine.Status, def string, used map[string]time.Time, where func(LibraryModel) *RemoteWhere) []Model {
	out := make([]Model, 0, len(lib))
	seen := map[string]bool{}
	for _, m := range lib {
		seen[m.Name] = true
		out = append(out, Model{Name: m.Name, DisplayName: m.DisplayName, Size: m.Size, Quantization: m.Quantization, Architecture: m.Architecture,
			Parameters: m.ParameterCount, ContextLength: m.ContextLength, ModifiedAt: m.ModifiedAt, Embedding: m.Embedding,
			External: m.External, Remote: where(m)})
	}
	for _, st := range loaded {
		if !seen[st.Name] {
			m := LibraryModelOf(st)
			out = append(out, Model{Name: m.Name, Size: m.Size, Quantization: m.Quantization, Architecture: m.Architecture,
				Parameters: m.ParameterCount, ContextLength: m.ContextLength, ModifiedAt: m.ModifiedAt})
		}
	}
	for i := range out {
		m := &out[i]
		m.Default = m.Name == def
		if t, ok := used[m.Name]; ok {
			m.LastUsed = &t
		}
		if j := slices.IndexFunc(loaded, func(st engine.Status) bool { return st.Name == m.Name }); j >= 0 {
			m.Loaded = LoadedOf(loaded[j])
		}
	}
	slices.SortStableFunc(out, func(x, y Model) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// ModelsMemory is what each loaded model holds, for the Memory view.
func ModelsMemory(loaded []engine.Status) []ModelMemory {
	out := make([]ModelMemory, 0, len(loaded))
	for _, st := range loaded {
		m := st.Memory
		mm := ModelMemory{Name: st.Name, WeightsBytes: m.WeightsBytes, KVBytes: m.KVBytes, KVUsedBytes: m.KVUsedBytes,
			ComputeBytes: m.ComputeBytes, OtherBytes: m.OutputBytes, RSSBytes: m.RSSBytes, Device: m.Device,
			Generating: st.Generating || st.Busy > 0, ContextTokens: st.SlotCtx,
			KVType: cmp.Or(strings.ToLower(st.Options.KVType), "f16"), FlashAttn: cmp.Or(st.Options.FlashAttn, "auto"),
			FlashAttnUsed: st.FlashAttnUsed}
		if !st.ExpiresAt.IsZero() {
			at := st.ExpiresAt.UTC()
			mm.ExpiresAt = &at
		}
		out = append(out, mm)
	}
	return out
}

// Tokenized is the Tokens view's answer for text split into pieces.
func Tokenized(model, text string, pieces []engine.TokenPiece) TokenizeResponse {
	resp := TokenizeResponse{Model: model, Tokens: []TokenPiece{}, Characters: utf8.RuneCountInString(text), Bytes: len(text)}
	for _, p := range pieces {
		resp.Tokens = append(resp.Tokens, PieceOf(p.ID, p.Piece, p.Bytes))
	}
	resp.Count = len(resp.Tokens)
	if resp.Characters > 0 {
		resp.TokensPerChar = float64(resp.Count) / float64(resp.Characters)
	}
	return resp
}

// PieceOf is a token as the Tokens view shows it: its text, or, for a piece that is only
// part of a UTF-8 character, the valid runs as text and each stray byte as <0xNN>, with the
// bytes themselves.
func PieceOf(id int32, piece string, raw []byte) TokenPiece {
	if raw == nil {
		raw = []byte(piece)
	}
	if utf8.Valid(raw) {
		return TokenPiece{ID: id, Piece: string(raw)}
	}
	tp := TokenPiece{ID: id}
	for _, b := range raw {
		tp.Bytes = append(tp.Bytes, int(b))
	}
	out := make([]byte, 0, len(raw)*2)
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		if r == utf8.RuneError && n <= 1 {
			out = append(out, []byte("<0x")...)
			out = append(out, "0123456789ABCDEF"[raw[0]>>4], "0123456789ABCDEF"[raw[0]&15], '>')
			raw = raw[1:]
			continue
		}
		out = append(out, raw[:n]...)
		raw = raw[n:]
	}
	tp.Piece = string(out)
	return tp
}
