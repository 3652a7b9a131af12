package perch

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
)

func TestPieceOf(t *testing.T) {
	tests := []struct {
		raw  []byte
		want string
	}{
		{[]byte("hello"), "hello"},
		{[]byte{0xED, 0x95}, "<0xED><0x95>"},
		{append([]byte("a"), 0xFF), "a<0xFF>"},
	}
	for _, tt := range tests {
		if got := PieceOf(1, "", tt.raw).Piece; got != tt.want {
			t.Errorf("PieceOf(%x) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestCheckContext(t *testing.T) {
	for _, tt := range []struct {
		n  int
		ok bool
	}{{0, true}, {256, true}, {1 << 22, true}, {-1, false}, {255, false}, {1<<22 + 1, false}} {
		err := CheckContext(tt.n)
		var pe *wire.ParamError
		if tt.ok != (err == nil) || err != nil && (!errors.As(err, &pe) || pe.Param != "num_ctx") {
			t.Errorf("CheckContext(%d) = %v", tt.n, err)
		}
	}
}

func TestFitQueryCheck(t *testing.T) {
	tests := []struct {
		q     FitQuery
		param string
	}{
		{FitQuery{Model: "qwen3:8b"}, ""},
		{FitQuery{Ref: "hf.co/org/repo:Q4_K_M", ContextLength: 8192, Slots: 4, KVType: "q8_0"}, ""},
		{FitQuery{}, "model"},
		{FitQuery{Model: "a", Ref: "b"}, "model"},
		{FitQuery{Model: "bad name!"}, "model"},
		{FitQuery{Ref: "not a ref"}, "ref"},
		{FitQuery{Model: "a", ContextLength: 100}, "num_ctx"},
		{FitQuery{Model: "a", Slots: 65}, "slots"},
		{FitQuery{Model: "a", KVType: "q5_1"}, "kv_type"},
	}
	for _, tt := range tests {
		err := tt.q.Check()
		var pe *wire.ParamError
		switch {
		case tt.param == "" && err != nil:
			t.Errorf("%+v: %v", tt.q, err)
		case tt.param != "" && (!errors.As(err, &pe) || pe.Param != tt.param):
			t.Errorf("%+v: %v, want a ParamError for %s", tt.q, err, tt.param)
		}
	}
}

func TestModelList(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lib := []LibraryModel{
		{Name: "zeta", Size: 10, Quantization: "Q4_K_M", ParameterCount: 8e9, ContextLength: 4096, Embedding: true},
		{Name: "alpha", DisplayName: "Alpha 1B", External: true},
		{Name: "box/qwen", Remote: "box"},
	}
	loaded := []engine.Status{
		{Name: "alpha", SlotCtx: 2048, Slots: 2, Busy: 1, LoadedAt: at, ExpiresAt: at.Add(time.Minute)},
		{Name: "/tmp/file.gguf", Info: engine.ModelInfo{SizeBytes: 7, Architecture: "llama"}, LoadedAt: at},
	}
	used := map[string]time.Time{"zeta": at}
	where := func(m LibraryModel) *RemoteWhere {
		if m.Remote == "" {
			return nil
		}
		return &RemoteWhere{Endpoint: m.Remote}
	}
	got := ModelList(lib, loaded, "zeta", used, where)
	var names []string
	for _, m := range got {
		names = append(names, m.Name)
	}
	if want := []string{"/tmp/file.gguf", "alpha", "box/qwen", "zeta"}; !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	file, alpha, remote, zeta := got[0], got[1], got[2], got[3]
	if file.Size != 7 || file.Architecture != "llama" || file.Loaded == nil || file.Loaded.ExpiresAt != nil {
		t.Errorf("the loaded file: %+v", file)
	}
	if alpha.Loaded == nil || alpha.Loaded.Busy != 1 || alpha.Loaded.ExpiresAt == nil || !alpha.External || alpha.DisplayName != "Alpha 1B" || alpha.Default {
		t.Errorf("alpha: %+v", alpha)
	}
	if remote.Remote == nil || remote.Remote.Endpoint != "box" || remote.Loaded != nil {
		t.Errorf("the remote model: %+v", remote)
	}
	if !zeta.Default || zeta.LastUsed == nil || !zeta.LastUsed.Equal(at) || !zeta.Embedding || zeta.Parameters != 8e9 {
		t.Errorf("zeta: %+v", zeta)
	}
}

func TestModelsMemory(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("KST", 9*3600))
	got := ModelsMemory([]engine.Status{
		{Name: "a", SlotCtx: 4096, Busy: 1, ExpiresAt: at, Memory: engine.MemoryUsage{WeightsBytes: 1, KVBytes: 2, KVUsedBytes: 3, ComputeBytes: 4, OutputBytes: 5, RSSBytes: 6, Device: "Metal"}},
		{Name: "b"},
	})
	want := []ModelMemory{
		{Name: "a", WeightsBytes: 1, KVBytes: 2, KVUsedBytes: 3, ComputeBytes: 4, OtherBytes: 5, RSSBytes: 6, Device: "Metal", Generating: true, ContextTokens: 4096, KVType: "f16", FlashAttn: "auto"},
		{Name: "b", KVType: "f16", FlashAttn: "auto"},
	}
	if len(got) != 2 || got[0].ExpiresAt == nil || got[0].ExpiresAt.Location() != time.UTC || !got[0].ExpiresAt.Equal(at) || got[1].ExpiresAt != nil {
		t.Fatalf("ModelsMemory: %+v", got)
	}
	got[0].ExpiresAt = nil
	if !slices.Equal(got, want) {
		t.Errorf("ModelsMemory = %+v, want %+v", got, want)
	}
}

func TestTokenized(t *testing.T) {
	got := Tokenized("tiny", "a한", []engine.TokenPiece{{ID: 1, Piece: "a"}, {ID: 2, Bytes: []byte{0xED, 0x95}}, {ID: 3, Bytes: []byte{0x9C}}})
	if got.Model != "tiny" || got.Count != 3 || got.Characters != 2 || got.Bytes != 4 || got.TokensPerChar != 1.5 {
		t.Errorf("Tokenized: %+v", got)
	}
	if got.Tokens[1].Piece != "<0xED><0x95>" || !slices.Equal(got.Tokens[1].Bytes, []int{0xED, 0x95}) {
		t.Errorf("a split character: %+v", got.Tokens[1])
	}
	if empty := Tokenized("tiny", "", nil); empty.Tokens == nil || empty.Count != 0 || empty.TokensPerChar != 0 {
		t.Errorf("empty text: %+v", empty)
	}
}
