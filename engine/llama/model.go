package llama

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	yz "github.com/hybridgroup/yzma/pkg/llama"
)

// Token is a vocabulary id.
type Token = int32

// ModelOptions control how a GGUF is loaded.
type ModelOptions struct {
	// GPULayers is the number of layers offloaded to the GPU; negative means all of them.
	GPULayers int
	// NoMmap reads the weights into memory instead of mapping the file.
	NoMmap bool
	// VocabOnly loads only the tokenizer (for tokenizer tests and quick facts).
	VocabOnly bool
	// NoExtraBuffers keeps the weights in plain buffers: no CPU repacked or AMX copies
	// (the memory calibration measures what a Mac allocates).
	NoExtraBuffers bool
}

// Model is a loaded GGUF model and its vocabulary.
type Model struct {
	m      yz.Model
	v      yz.Vocab
	nVocab int
	path   string
}

// ggufMagic is the first four bytes of every GGUF file.
var ggufMagic = []byte("GGUF")

// CheckGGUF returns a clear error when path is not a readable GGUF file. llama.cpp itself only
// says "failed to load model", so the common mistakes are caught before it runs.
func CheckGGUF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open model: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open model: %w", err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a folder, not a GGUF file", path)
	}
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil || string(head) != string(ggufMagic) {
		return fmt.Errorf("%s is not a GGUF file (it does not start with the GGUF magic); Perch runs llama.cpp GGUF models", path)
	}
	return nil
}

// LoadModel loads a GGUF file. Weights are memory-mapped unless NoMmap is set.
func LoadModel(path string, opts ModelOptions) (*Model, error) {
	if libDir == "" {
		return nil, ErrNotInitialized
	}
	if err := checkCString("the model path", path); err != nil {
		return nil, err
	}
	if err := CheckGGUF(path); err != nil {
		return nil, err
	}
	p := yz.ModelDefaultParams()
	if opts.GPULayers >= 0 {
		p.NGpuLayers = int32(opts.GPULayers)
	} else {
		p.NGpuLayers = 999
	}
	if opts.NoMmap {
		p.LoadMode = yz.LoadModeNone
	}
	if opts.VocabOnly {
		p.VocabOnly = 1
	}
	if opts.NoExtraBuffers {
		p.UseExtraBufts = 0
	}
	m, err := yz.ModelLoadFromFile(path, p)
	if err != nil {
		return nil, fmt.Errorf("llama.cpp could not load %s (truncated or unsupported GGUF?): %w", path, err)
	}
	v := yz.ModelGetVocab(m)
	return &Model{m: m, v: v, nVocab: int(yz.VocabNTokens(v)), path: path}, nil
}

// Close frees the model.
func (m *Model) Close() {
	if m != nil && m.m != 0 {
		_ = yz.ModelFree(m.m)
		m.m = 0
	}
}

// NVocab is the vocabulary size.
func (m *Model) NVocab() int { return m.nVocab }

// NEmbd is the embedding size of the model's output.
func (m *Model) NEmbd() int { return int(yz.ModelNEmbd(m.m)) }

// Info are the model's facts as llama.cpp read them.
type Info struct {
	Architecture  string `json:"architecture"`
	Name          string `json:"name,omitempty"`
	Description   string `json:"description"`
	Parameters    uint64 `json:"parameters"`
	FileType      string `json:"file_type"`
	SizeBytes     uint64 `json:"size_bytes"`
	ContextLength int    `json:"context_length"`
	Layers        int    `json:"layers"`
	Heads         int    `json:"heads"`
	KVHeads       int    `json:"kv_heads"`
	EmbeddingSize int    `json:"embedding_size"`
	HeadDimK      int    `json:"head_dim_k"`
	HeadDimV      int    `json:"head_dim_v"`
	SlidingWindow int    `json:"sliding_window,omitempty"`
	VocabSize     int    `json:"vocab_size"`
	VocabType     string `json:"vocab_type"`
	Recurrent     bool   `json:"recurrent,omitempty"`
	Hybrid        bool   `json:"hybrid,omitempty"`
	HasEncoder    bool   `json:"has_encoder,omitempty"`
	HasDecoder    bool   `json:"has_decoder"`
	ChatTemplate  string `json:"chat_template,omitempty"`
	BOS           string `json:"bos_token,omitempty"`
	EOS           string `json:"eos_token,omitempty"`
	AddBOS        bool   `json:"add_bos"`
	AddEOS        bool   `json:"add_eos"`
	// Pooling is the GGUF's pooling type for embedding models (none, mean, cls, last, rank).
	Pooling string `json:"pooling,omitempty"`
	// FIM is true when the vocabulary has fill-in-the-middle tokens.
	FIM bool `json:"fim,omitempty"`
}

// Info returns the model's facts.
func (m *Model) Info() Info {
	arch, _ := m.Meta("general.architecture")
	name, _ := m.Meta("general.name")
	in := Info{
		Architecture:  arch,
		Name:          name,
		Description:   yz.ModelDesc(m.m),
		Parameters:    yz.ModelNParams(m.m),
		FileType:      ftypeName(m),
		SizeBytes:     yz.ModelSize(m.m),
		ContextLength: int(yz.ModelNCtxTrain(m.m)),
		Layers:        int(yz.ModelNLayer(m.m)),
		Heads:         int(yz.ModelNHead(m.m)),
		KVHeads:       int(yz.ModelNHeadKV(m.m)),
		EmbeddingSize: int(yz.ModelNEmbd(m.m)),
		SlidingWindow: int(yz.ModelNSWA(m.m)),
		VocabSize:     m.nVocab,
		VocabType:     vocabTypeName(yz.GetVocabType(m.v)),
		Recurrent:     yz.ModelIsRecurrent(m.m),
		Hybrid:        yz.ModelIsHybrid(m.m),
		HasEncoder:    yz.ModelHasEncoder(m.m),
		HasDecoder:    yz.ModelHasDecoder(m.m),
		ChatTemplate:  yz.ModelChatTemplate(m.m, ""),
		AddBOS:        yz.VocabGetAddBOS(m.v),
		AddEOS:        yz.VocabGetAddEOS(m.v),
		FIM:           yz.VocabFIMPre(m.v) >= 0 && yz.VocabFIMSuf(m.v) >= 0 && yz.VocabFIMMid(m.v) >= 0,
	}
	if in.Heads > 0 {
		in.HeadDimK = in.EmbeddingSize / in.Heads
		in.HeadDimV = in.HeadDimK
	}
	if v, ok := m.metaInt(arch + ".attention.key_length"); ok {
		in.HeadDimK = v
	}
	if v, ok := m.metaInt(arch + ".attention.value_length"); ok {
		in.HeadDimV = v
	}
	if v, ok := m.metaInt(arch + ".pooling_type"); ok {
		in.Pooling = poolingName(v)
	}
	if t := yz.VocabBOS(m.v); t >= 0 {
		in.BOS = m.TokenText(Token(t))
	}
	if t := yz.VocabEOS(m.v); t >= 0 {
		in.EOS = m.TokenText(Token(t))
	}
	return in
}

// Meta returns a GGUF metadata value rendered as a string.
func (m *Model) Meta(key string) (string, bool) { return yz.ModelMetaValStr(m.m, key) }

func (m *Model) metaInt(key string) (int, bool) {
	s, ok := m.Meta(key)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

func ftypeName(m *Model) string {
	return yz.FtypeName(yz.ModelFtype(m.m))
}

func vocabTypeName(t yz.VocabType) string {
	switch t {
	case yz.VocabTypeSPM:
		return "spm"
	case yz.VocabTypeBPE:
		return "bpe"
	case yz.VocabTypeWPM:
		return "wpm"
	case yz.VocabTypeUGM:
		return "ugm"
	case yz.VocabTypeRWKV:
		return "rwkv"
	case yz.VocabTypePLAMO2:
		return "plamo2"
	default:
		return "none"
	}
}

func poolingName(v int) string {
	switch yz.PoolingType(v) {
	case yz.PoolingTypeNone:
		return "none"
	case yz.PoolingTypeMean:
		return "mean"
	case yz.PoolingTypeCLS:
		return "cls"
	case yz.PoolingTypeLast:
		return "last"
	case yz.PoolingTypeRank:
		return "rank"
	default:
		return ""
	}
}

// Piece returns the bytes of one token. A multi-byte character can be split across tokens,
// so the bytes need not be valid UTF-8 on their own. special renders control tokens as text.
func (m *Model) Piece(t Token, special bool) []byte {
	var buf [64]byte
	n := yz.TokenToPiece(m.v, yz.Token(t), buf[:], 0, special)
	if n < 0 {
		big := make([]byte, -n)
		n = yz.TokenToPiece(m.v, yz.Token(t), big, 0, special)
		if n < 0 {
			return nil
		}
		return big[:n]
	}
	return append([]byte(nil), buf[:n]...)
}

// TokenText is the vocabulary's stored text of a token (for special tokens such as "<s>").
func (m *Model) TokenText(t Token) string { return yz.VocabGetText(m.v, yz.Token(t)) }

// ValidToken reports whether t is an id of this vocabulary.
func (m *Model) ValidToken(t Token) bool { return t >= 0 && int(t) < m.nVocab }

// IsEOG reports whether t ends generation (EOS, EOT, ...).
func (m *Model) IsEOG(t Token) bool { return yz.VocabIsEOG(m.v, yz.Token(t)) }

// IsSpecial reports whether t is a control or user-defined token: one that tokenization
// matches whole and never merges with the text around it.
func (m *Model) IsSpecial(t Token) bool {
	a := yz.VocabGetAttr(m.v, yz.Token(t))
	return a&(yz.TokenAttrControl|yz.TokenAttrUserDef) != 0
}

// IsControl reports whether t is a control token.
func (m *Model) IsControl(t Token) bool { return yz.VocabIsControl(m.v, yz.Token(t)) }

// BOS, EOS and the fill-in-the-middle tokens; -1 when the vocabulary has none.
func (m *Model) BOS() Token    { return Token(yz.VocabBOS(m.v)) }
func (m *Model) EOS() Token    { return Token(yz.VocabEOS(m.v)) }
func (m *Model) FIMPre() Token { return Token(yz.VocabFIMPre(m.v)) }
func (m *Model) FIMSuf() Token { return Token(yz.VocabFIMSuf(m.v)) }
func (m *Model) FIMMid() Token { return Token(yz.VocabFIMMid(m.v)) }

// AddBOS reports whether the tokenizer prepends BOS when asked to add special tokens.
// SlidingWindow is the window of the model's sliding-window attention layers (0: none).
func (m *Model) SlidingWindow() int { return int(yz.ModelNSWA(m.m)) }

// AddBOS reports whether the tokenizer adds a beginning-of-sequence token.
func (m *Model) AddBOS() bool { return yz.VocabGetAddBOS(m.v) }

// ErrQuantize is returned when llama.cpp could not quantize a file.
var ErrQuantize = errors.New("quantize failed")

// Quantize writes in, an F32/F16 GGUF, as out in the given file type (Q8_0, Q4_K_M, ...).
func Quantize(in, out, ftype string, threads int) error {
	if libDir == "" {
		return ErrNotInitialized
	}
	for _, p := range []string{in, out} {
		if err := checkCString("the quantize path", p); err != nil {
			return err
		}
	}
	ft, ok := ftypes[ftype]
	if !ok {
		return fmt.Errorf("unknown quantization %q", ftype)
	}
	p := yz.ModelQuantizeDefaultParams()
	p.Ftype = ft
	if threads > 0 {
		p.NThread = int32(threads)
	}
	if rc := yz.ModelQuantize(in, out, &p); rc != 0 {
		return fmt.Errorf("%w: llama.cpp returned %d for %s → %s", ErrQuantize, rc, in, ftype)
	}
	return nil
}

var ftypes = map[string]yz.Ftype{
	"F32": yz.FtypeAllF32, "F16": yz.FtypeMostlyF16, "BF16": yz.FtypeMostlyBF16,
	"Q4_0": yz.FtypeMostlyQ4_0, "Q4_1": yz.FtypeMostlyQ4_1, "Q5_0": yz.FtypeMostlyQ5_0,
	"Q5_1": yz.FtypeMostlyQ5_1, "Q8_0": yz.FtypeMostlyQ8_0, "Q2_K": yz.FtypeMostlyQ2_K,
	"Q3_K_S": yz.FtypeMostlyQ3_K_S, "Q3_K_M": yz.FtypeMostlyQ3_K_M, "Q3_K_L": yz.FtypeMostlyQ3_K_L,
	"Q4_K_S": yz.FtypeMostlyQ4_K_S, "Q4_K_M": yz.FtypeMostlyQ4_K_M, "Q5_K_S": yz.FtypeMostlyQ5_K_S,
	"Q5_K_M": yz.FtypeMostlyQ5_K_M, "Q6_K": yz.FtypeMostlyQ6_K, "IQ4_NL": yz.FtypeMostlyIQ4_NL,
	"IQ4_XS": yz.FtypeMostlyIQ4_XS,
}
