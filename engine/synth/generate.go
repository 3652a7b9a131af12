package synth

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	gguf "github.com/gpustack/gguf-parser-go"
	"github.com/x448/float16"

	"github.com/perchapp/perch/engine/synth/ggufio"
)

// chunkElems is how many values one goroutine draws at a time. Each chunk has its own
// random stream, so the file is the same whatever the number of threads.
const chunkElems = 1 << 20

// Vocab is the tokenizer metadata of a vocab GGUF, ready to copy into a model.
type Vocab struct {
	Path   string
	Tokens int
	kvs    []ggufio.KV
}

// ReadVocab reads the tokenizer.* metadata of a GGUF (a vocab-only file or any model), exactly
// as stored.
func ReadVocab(path string) (*Vocab, error) {
	kvs, err := ggufio.ReadMetadata(path)
	if err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	v := &Vocab{Path: path}
	for _, kv := range kvs {
		if !strings.HasPrefix(kv.Key, "tokenizer.") {
			continue
		}
		v.kvs = append(v.kvs, kv)
		if a, ok := kv.Value.(ggufio.Array); ok && kv.Key == "tokenizer.ggml.tokens" {
			v.Tokens = len(a.Items)
		}
	}
	if v.Tokens == 0 {
		return nil, fmt.Errorf("%s has no tokenizer.ggml.tokens, so it is not a vocabulary", path)
	}
	return v, nil
}

// Generate writes a model of the given shape with vocabPath's tokenizer to outPath, in the
// spec's type (F16 or F32). Weights are drawn from N(0, std) with a seed, norms are ones;
// they stream to disk, so memory stays small whatever the size. The file appears at outPath
// only when complete.
func Generate(ctx context.Context, spec Spec, vocabPath, outPath string) error {
	spec = spec.withDefaults()
	if err := spec.Validate(); err != nil {
		return err
	}
	voc, err := ReadVocab(vocabPath)
	if err != nil {
		return err
	}
	return generate(ctx, spec, voc, outPath)
}

func generate(ctx context.Context, spec Spec, voc *Vocab, outPath string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(outPath), "."+filepath.Base(outPath)+".tmp-*")
	if err != nil {
		return fmt.Errorf("generate model: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := ggufio.NewWriter(f)
	if err := addMetadata(w, spec, voc); err != nil {
		return err
	}
	wt := gguf.GGMLTypeF16
	if spec.Type == "F32" {
		wt = gguf.GGMLTypeF32
	}
	ts := spec.tensors(voc.Tokens)
	for _, t := range ts {
		typ := wt
		if t.norm {
			typ = gguf.GGMLTypeF32
		}
		if err := w.AddTensor(t.name, typ, t.dims...); err != nil {
			return err
		}
	}
	for _, t := range ts {
		var r io.Reader
		if t.norm {
			r = onesReader(t.elements())
		} else {
			r = newRandomReader(ctx, spec.Seed, t.name, t.elements(), spec.Std, wt == gguf.GGMLTypeF16)
		}
		err := w.WriteTensor(t.name, r)
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("generate model: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("generate model: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("generate model: %w", err)
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes it private; models are not secrets
		return fmt.Errorf("generate model: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("generate model: %w", err)
	}
	if err := os.Rename(tmp, outPath); err != nil {
		return fmt.Errorf("generate model: %w", err)
	}
	return nil
}

type pair struct {
	k string
	v any
}

func addMetadata(w *ggufio.Writer, s Spec, voc *Vocab) error {
	ftype := uint32(1) // mostly F16
	if s.Type == "F32" {
		ftype = 0
	}
	a := s.Arch
	kvs := []pair{
		{"general.architecture", a},
		{"general.name", s.Name},
		{"general.description", fmt.Sprintf("synthetic random-weight model (seed %d) made by Perch for tests and benchmarks", s.Seed)},
		{"general.file_type", ftype},
		{a + ".context_length", uint32(s.Context)},
		{a + ".embedding_length", uint32(s.Embd)},
		{a + ".block_count", uint32(s.Layers)},
		{a + ".feed_forward_length", uint32(s.FFN)},
		{a + ".attention.head_count", uint32(s.Heads)},
		{a + ".attention.head_count_kv", uint32(s.KVHeads)},
		{a + ".rope.dimension_count", uint32(s.HeadDim)},
		{a + ".rope.freq_base", float32(s.RopeBase)},
		{a + ".attention.layer_norm_rms_epsilon", float32(s.NormEps)},
		{a + ".vocab_size", uint32(voc.Tokens)},
	}
	if s.HeadDim*s.Heads != s.Embd || a != "llama" {
		kvs = append(kvs, pair{a + ".attention.key_length", uint32(s.HeadDim)},
			pair{a + ".attention.value_length", uint32(s.HeadDim)})
	}
	if s.SlidingWindow > 0 {
		kvs = append(kvs, pair{a + ".attention.sliding_window", uint32(s.SlidingWindow)})
	}
	if s.RopeScale > 0 && s.RopeScale != 1 {
		kvs = append(kvs, pair{a + ".rope.scaling.type", "linear"},
			pair{a + ".rope.scaling.factor", float32(s.RopeScale)})
	}
	for _, kv := range kvs {
		if err := w.AddKV(kv.k, kv.v); err != nil {
			return err
		}
	}
	if err := w.SetAlignment(ggufio.DefaultAlignment); err != nil {
		return err
	}
	for _, kv := range voc.kvs {
		if err := w.AddKV(kv.Key, kv.Value); err != nil {
			return fmt.Errorf("copy tokenizer from %s: %w", voc.Path, err)
		}
	}
	return nil
}

// onesReader yields n float32 ones.
func onesReader(n uint64) io.Reader {
	var one [4]byte
	binary.LittleEndian.PutUint32(one[:], math.Float32bits(1))
	return &repeatReader{pat: one[:], left: n * 4}
}

type repeatReader struct {
	pat  []byte
	left uint64
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		p[n] = r.pat[r.off]
		r.off = (r.off + 1) % len(r.pat)
		n++
		r.left--
	}
	return n, nil
}

// randomReader yields a tensor's random values, drawn chunk by chunk on all cores and read
// back in order.
type randomReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	chunks chan chan []byte
	cur    []byte
}

func newRandomReader(ctx context.Context, seed uint64, name string, n uint64, std float64, half bool) *randomReader {
	ctx, cancel := context.WithCancel(ctx)
	workers := runtime.GOMAXPROCS(0)
	r := &randomReader{ctx: ctx, cancel: cancel, chunks: make(chan chan []byte, workers)}
	h := fnv.New64a()
	h.Write([]byte(name))
	stream := seed ^ h.Sum64()
	go func() {
		defer close(r.chunks)
		for c := uint64(0); c*chunkElems < n; c++ {
			out := make(chan []byte, 1)
			select {
			case r.chunks <- out:
			case <-ctx.Done():
				return
			}
			count := min(chunkElems, n-c*chunkElems)
			go func() { out <- fill(stream, c, count, std, half) }()
		}
	}()
	return r
}

// fill draws count values of chunk c of a stream, encoded as F16 or F32.
func fill(stream, c, count uint64, std float64, half bool) []byte {
	rng := rand.New(rand.NewPCG(stream, c))
	size := 4
	if half {
		size = 2
	}
	buf := make([]byte, int(count)*size)
	for i := range int(count) {
		v := float32(rng.NormFloat64() * std)
		if half {
			binary.LittleEndian.PutUint16(buf[2*i:], float16.Fromfloat32(v).Bits())
		} else {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
	}
	return buf
}

func (r *randomReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		next, ok := <-r.chunks
		if !ok {
			return 0, io.EOF
		}
		select {
		case r.cur = <-next:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the drawing goroutines.
func (r *randomReader) Close() error {
	r.cancel()
	for range r.chunks { // let the producer see the cancel and exit
	}
	return nil
}
