package llama

import (
	"errors"
	"fmt"
	"strings"

	yz "github.com/hybridgroup/yzma/pkg/llama"
)

// ContextOptions configure a llama.cpp context: its size, slots (sequences) and KV cache.
type ContextOptions struct {
	NCtx         int    // total KV cells over all sequences; 0 = the model's training context
	NBatch       int    // logical batch size (tokens per Decode)
	NUBatch      int    // physical batch size
	NSeqMax      int    // parallel sequences (slots)
	Threads      int    // generation threads; 0 = llama.cpp's default
	ThreadsBatch int    // prompt threads; 0 = Threads
	TypeK, TypeV string // KV cache types: f16 (default), q8_0, q4_0, f32, bf16, ...
	FlashAttn    string // "auto" (default), "on", "off"
	Embeddings   bool   // return embeddings instead of logits
	Pooling      string // embeddings pooling: "" (the model's), none, mean, cls, last, rank
	KVUnified    bool   // one KV buffer shared by all sequences
	SWAFull      bool   // full-size cache for sliding-window layers (needed to reuse prefixes)
}

// Context is a llama.cpp context: the KV cache and the compute graph for one model.
type Context struct {
	c      yz.Context
	model  *Model
	mem    yz.Memory
	nVocab int
	embd   int
	flash  string
}

// CacheType parses a KV cache type name.
func CacheType(name string) (yz.GGMLType, error) {
	switch strings.ToLower(name) {
	case "", "f16":
		return yz.GGMLTypeF16, nil
	case "f32":
		return yz.GGMLTypeF32, nil
	case "bf16":
		return yz.GGMLTypeBF16, nil
	case "q8_0":
		return yz.GGMLTypeQ8_0, nil
	case "q4_0":
		return yz.GGMLTypeQ4_0, nil
	case "q4_1":
		return yz.GGMLTypeQ4_1, nil
	case "q5_0":
		return yz.GGMLTypeQ5_0, nil
	case "q5_1":
		return yz.GGMLTypeQ5_1, nil
	case "iq4_nl":
		return yz.GGMLTypeIQ4_NL, nil
	}
	return 0, fmt.Errorf("unknown KV cache type %q (use f16, q8_0 or q4_0)", name)
}

func poolingType(name string) (yz.PoolingType, error) {
	switch strings.ToLower(name) {
	case "":
		return yz.PoolingTypeUnspecified, nil
	case "none":
		return yz.PoolingTypeNone, nil
	case "mean":
		return yz.PoolingTypeMean, nil
	case "cls":
		return yz.PoolingTypeCLS, nil
	case "last":
		return yz.PoolingTypeLast, nil
	case "rank":
		return yz.PoolingTypeRank, nil
	}
	return 0, fmt.Errorf("unknown pooling %q (use mean, cls, last or none)", name)
}

// NewContext creates a context for the model.
func (m *Model) NewContext(o ContextOptions) (*Context, error) {
	p := yz.ContextDefaultParams()
	if o.NCtx > 0 {
		p.NCtx = uint32(o.NCtx)
	}
	if o.NBatch > 0 {
		p.NBatch = uint32(o.NBatch)
	}
	if o.NUBatch > 0 {
		p.NUbatch = uint32(o.NUBatch)
	}
	if o.NSeqMax > 0 {
		p.NSeqMax = uint32(o.NSeqMax)
	}
	if o.Threads > 0 {
		p.NThreads = int32(o.Threads)
		p.NThreadsBatch = int32(o.Threads)
	}
	if o.ThreadsBatch > 0 {
		p.NThreadsBatch = int32(o.ThreadsBatch)
	}
	var err error
	if p.TypeK, err = CacheType(o.TypeK); err != nil {
		return nil, err
	}
	if p.TypeV, err = CacheType(o.TypeV); err != nil {
		return nil, err
	}
	switch strings.ToLower(o.FlashAttn) {
	case "", "auto":
		p.FlashAttentionType = yz.FlashAttentionTypeAuto
	case "on", "true", "enabled":
		p.FlashAttentionType = yz.FlashAttentionTypeEnabled
	case "off", "false", "disabled":
		p.FlashAttentionType = yz.FlashAttentionTypeDisabled
	default:
		return nil, fmt.Errorf("flash attention must be auto, on or off, not %q", o.FlashAttn)
	}
	if o.Embeddings {
		p.Embeddings = 1
	}
	if p.PoolingType, err = poolingType(o.Pooling); err != nil {
		return nil, err
	}
	if o.KVUnified {
		p.KVUnified = 1
	} else {
		p.KVUnified = 0
	}
	// llama.cpp's default keeps full-size caches for sliding-window layers; Perch keeps the
	// window only (as llama-server does), unless asked.
	p.SwaFull = 0
	if o.SWAFull {
		p.SwaFull = 1
	}
	flash := map[yz.FlashAttentionType]string{yz.FlashAttentionTypeEnabled: "on", yz.FlashAttentionTypeDisabled: "off"}[p.FlashAttentionType]
	// llama.cpp resolves "auto" while it makes the context and has no call that tells the
	// outcome; its log line does ("Flash Attention was auto, set to enabled" or, in this
	// release, "resolve_fused_ops: Flash Attention enabled").
	untap := tapLog(func(line string) {
		if flash == "" && strings.Contains(line, "Flash Attention") {
			switch {
			case strings.Contains(line, "disabled"):
				flash = "off"
			case strings.Contains(line, "enabled"):
				flash = "on"
			}
		}
	})
	c, err := yz.InitFromModel(m.m, p)
	untap()
	if err != nil {
		return nil, fmt.Errorf("llama.cpp could not create a context of %d tokens × %d slots (KV %s/%s): %w (see the worker log; a smaller context or a quantized KV cache may fit)",
			p.NCtx, p.NSeqMax, strings.ToLower(o.TypeK), strings.ToLower(o.TypeV), err)
	}
	mem, err := yz.GetMemory(c)
	if err != nil {
		_ = yz.Free(c)
		return nil, fmt.Errorf("get KV memory: %w", err)
	}
	return &Context{c: c, model: m, mem: mem, nVocab: m.nVocab, embd: m.NEmbd(), flash: flash}, nil
}

// FlashAttn is whether the context uses flash attention, "on" or "off", as asked or as
// llama.cpp chose for "auto"; "" when its log did not say.
func (c *Context) FlashAttn() string { return c.flash }

// Close frees the context.
func (c *Context) Close() {
	if c != nil && c.c != 0 {
		_ = yz.Free(c.c)
		c.c = 0
	}
}

// NCtx is the total number of KV cells.
func (c *Context) NCtx() int { return int(yz.NCtx(c.c)) }

// NCtxSeq is the number of KV cells each sequence may use.
func (c *Context) NCtxSeq() int { return int(yz.NCtxSeq(c.c)) }

// NSeqMax is the number of parallel sequences.
func (c *Context) NSeqMax() int { return int(yz.NSeqMax(c.c)) }

// NBatch is the logical batch size.
func (c *Context) NBatch() int { return int(yz.NBatch(c.c)) }

// Pooling is the pooling type in effect for embeddings.
func (c *Context) Pooling() string {
	return poolingName(int(yz.GetPoolingType(c.c)))
}

// ErrNoKVSlot means the batch did not fit in the KV cache (llama_decode returned 1).
var ErrNoKVSlot = errors.New("no room left in the KV cache")

// ErrAborted means llama_decode was aborted.
var ErrAborted = errors.New("decode aborted")

// Decode runs the model over a batch.
func (c *Context) Decode(b *Batch) error {
	rc, err := yz.Decode(c.c, b.b)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	switch {
	case rc == 0:
		return nil
	case rc == 1:
		return ErrNoKVSlot
	case rc == 2:
		return ErrAborted
	default:
		return fmt.Errorf("llama_decode failed with code %d", rc)
	}
}

// Encode runs an encoder (BERT-like embedding models) over a batch.
func (c *Context) Encode(b *Batch) error {
	rc, err := yz.Encode(c.c, b.b)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if rc != 0 {
		return fmt.Errorf("llama_encode failed with code %d", rc)
	}
	return nil
}

// Logits returns the logits of output i of the last batch. The slice points into llama.cpp's
// buffer and is only valid until the next Decode.
func (c *Context) Logits(i int) []float32 {
	l, _ := yz.GetLogitsIth(c.c, int32(i), c.nVocab)
	return l
}

// SeqEmbedding returns the pooled embedding of a sequence (a copy).
func (c *Context) SeqEmbedding(seq int) []float32 {
	e, _ := yz.GetEmbeddingsSeq(c.c, yz.SeqId(seq), int32(c.embd))
	if e == nil {
		return nil
	}
	return append([]float32(nil), e...)
}

// SeqRm removes the cells of seq at positions [p0, p1); -1 means open-ended. seq -1 means all.
func (c *Context) SeqRm(seq, p0, p1 int) bool {
	ok, _ := yz.MemorySeqRm(c.mem, yz.SeqId(seq), yz.Pos(p0), yz.Pos(p1))
	return ok
}

// SeqPosMin is the smallest position seq holds in the cache (-1 when empty): with
// sliding-window layers, the older positions are gone.
func (c *Context) SeqPosMin(seq int) int {
	p, _ := yz.MemorySeqPosMin(c.mem, yz.SeqId(seq))
	return int(p)
}

// SeqAdd shifts the positions of seq's cells in [p0, p1) by delta.
func (c *Context) SeqAdd(seq, p0, p1, delta int) {
	_ = yz.MemorySeqAdd(c.mem, yz.SeqId(seq), yz.Pos(p0), yz.Pos(p1), yz.Pos(delta))
}

// CanShift reports whether the KV cache supports position shifts (context shifting).
func (c *Context) CanShift() bool {
	ok, _ := yz.MemoryCanShift(c.mem)
	return ok
}

// Clear empties the KV cache.
func (c *Context) Clear() { _ = yz.MemoryClear(c.mem, true) }

// SeqState returns the serialized KV state of one sequence.
func (c *Context) SeqState(seq int) []byte {
	n := yz.StateSeqGetSize(c.c, yz.SeqId(seq))
	if n == 0 {
		return nil
	}
	buf := make([]byte, n)
	w := yz.StateSeqGetData(c.c, buf, yz.SeqId(seq))
	return buf[:w]
}

// SetSeqState loads a serialized sequence state into seq.
func (c *Context) SetSeqState(seq int, data []byte) error {
	if len(data) == 0 {
		return errors.New("empty sequence state")
	}
	if n := yz.StateSeqSetData(c.c, data, yz.SeqId(seq)); n == 0 {
		return errors.New("llama.cpp refused the saved sequence state")
	}
	return nil
}

// Batch is a set of tokens, each with a position, a sequence and whether to compute its
// output, for one Decode.
type Batch struct {
	b   yz.Batch
	cap int
	seq []yz.SeqId
}

// NewBatch allocates a batch for up to n tokens.
func NewBatch(n int) *Batch {
	return &Batch{b: yz.BatchInit(int32(n), 0, 1), cap: n, seq: make([]yz.SeqId, 1)}
}

// Free releases the batch.
func (b *Batch) Free() { _ = yz.BatchFree(b.b) }

// Clear empties the batch.
func (b *Batch) Clear() { b.b.NTokens = 0 }

// Len is the number of tokens in the batch.
func (b *Batch) Len() int { return int(b.b.NTokens) }

// Cap is the most tokens the batch holds.
func (b *Batch) Cap() int { return b.cap }

// Add appends a token at pos in sequence seq; output asks for its logits (or embedding).
// It returns the token's index in the batch, the index to read its output by, or -1 when the
// batch already holds Cap tokens and the token was not added: callers split longer input
// across Decodes.
func (b *Batch) Add(t Token, pos, seq int, output bool) int {
	i := int(b.b.NTokens)
	b.seq[0] = yz.SeqId(seq)
	if err := b.b.Add(yz.Token(t), yz.Pos(pos), b.seq, output); err != nil {
		return -1
	}
	return i
}
