// Package ggufio writes GGUF files (version 3): metadata of every value type, tensor
// infos, alignment, and tensor data streamed one tensor at a time, so a file larger than
// memory can be written. It also reads a file's metadata exactly as stored, to copy it
// (gguf-parser-go trims the spaces around strings, which breaks tokenizer vocabularies).
// Type codes and sizes come from gguf-parser-go.
package ggufio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	gguf "github.com/gpustack/gguf-parser-go"
)

// DefaultAlignment is the data alignment GGUF readers assume without general.alignment.
const DefaultAlignment = 32

// Array is a metadata array whose items all have type Type. Items hold the Go value of each
// item (uint8 ... float64, bool, string, or a nested Array).
type Array struct {
	Type  gguf.GGUFMetadataValueType
	Items []any
}

type kv struct {
	key string
	typ gguf.GGUFMetadataValueType
	val any
}

type tensor struct {
	name   string
	typ    gguf.GGMLType
	dims   []uint64
	size   uint64
	offset uint64
}

// Writer builds a GGUF file: add metadata and tensor infos, then write each tensor's data in
// the order the tensors were added, then Close.
type Writer struct {
	w        *bufio.Writer
	align    uint64
	kvs      []kv
	keys     map[string]bool
	tensors  []tensor
	names    map[string]bool
	started  bool // header written
	next     int  // index of the next tensor to write
	dataSize uint64
	err      error
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20), align: DefaultAlignment,
		keys: map[string]bool{}, names: map[string]bool{}}
}

// SetAlignment sets the data alignment (a power of two) and records it as general.alignment.
func (w *Writer) SetAlignment(n uint32) error {
	if n == 0 || n&(n-1) != 0 {
		return fmt.Errorf("gguf alignment must be a power of two, not %d", n)
	}
	if err := w.AddKV("general.alignment", n); err != nil {
		return err
	}
	w.align = uint64(n)
	return nil
}

// AddKV adds a metadata pair. v is a Go scalar (uint8, int8, uint16, int16, uint32, int32,
// float32, bool, string, uint64, int64, float64), a slice of one of those, or an Array.
func (w *Writer) AddKV(key string, v any) error {
	if w.started {
		return errors.New("gguf: metadata added after tensor data started")
	}
	if key == "" {
		return errors.New("gguf: empty metadata key")
	}
	if w.keys[key] {
		return fmt.Errorf("gguf: duplicate metadata key %q", key)
	}
	t, val, err := normalize(v)
	if err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", key, err)
	}
	w.keys[key] = true
	w.kvs = append(w.kvs, kv{key: key, typ: t, val: val})
	return nil
}

// AddTyped adds a metadata pair whose type is given, as gguf-parser-go reports it; it is how
// metadata is copied from one file to another.
func (w *Writer) AddTyped(key string, t gguf.GGUFMetadataValueType, v any) error {
	if t == gguf.GGUFMetadataValueTypeArray {
		av, ok := v.(gguf.GGUFMetadataKVArrayValue)
		if !ok {
			return fmt.Errorf("gguf: metadata %q: array value is %T", key, v)
		}
		a, err := fromParsed(av)
		if err != nil {
			return fmt.Errorf("gguf: metadata %q: %w", key, err)
		}
		return w.AddKV(key, a)
	}
	if err := checkScalar(t, v); err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", key, err)
	}
	return w.AddKV(key, v)
}

// fromParsed turns a parsed array (and the arrays nested in it) into an Array.
func fromParsed(av gguf.GGUFMetadataKVArrayValue) (Array, error) {
	if uint64(len(av.Array)) != av.Len {
		return Array{}, fmt.Errorf("array holds %d of %d items (was it read with large metadata skipped?)", len(av.Array), av.Len)
	}
	a := Array{Type: av.Type, Items: av.Array}
	if av.Type != gguf.GGUFMetadataValueTypeArray {
		return a, nil
	}
	a.Items = make([]any, len(av.Array))
	for i, it := range av.Array {
		inner, ok := it.(gguf.GGUFMetadataKVArrayValue)
		if !ok {
			return Array{}, fmt.Errorf("nested array item %d is %T", i, it)
		}
		var err error
		if a.Items[i], err = fromParsed(inner); err != nil {
			return Array{}, err
		}
	}
	return a, nil
}

// AddTensor declares a tensor; dims are in GGUF order (the innermost, contiguous one first).
func (w *Writer) AddTensor(name string, t gguf.GGMLType, dims ...uint64) error {
	if w.started {
		return errors.New("gguf: tensor added after tensor data started")
	}
	if name == "" || len(name) > 64 {
		return fmt.Errorf("gguf: tensor name %q must have 1 to 64 bytes", name)
	}
	if w.names[name] {
		return fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if len(dims) == 0 || len(dims) > int(gguf.GGMLMaxDims) {
		return fmt.Errorf("gguf: tensor %q has %d dimensions (1 to %d)", name, len(dims), gguf.GGMLMaxDims)
	}
	tr, ok := t.Trait()
	if !ok {
		return fmt.Errorf("gguf: tensor %q has unknown type %d", name, t)
	}
	n := uint64(1)
	for _, d := range dims {
		if d == 0 {
			return fmt.Errorf("gguf: tensor %q has a zero dimension", name)
		}
		if n > math.MaxUint64/d {
			return fmt.Errorf("gguf: tensor %q is too large", name)
		}
		n *= d
	}
	if dims[0]%tr.BlockSize != 0 {
		return fmt.Errorf("gguf: tensor %q: first dimension %d is not a multiple of %s's block size %d", name, dims[0], t, tr.BlockSize)
	}
	size := n / tr.BlockSize * tr.TypeSize
	w.names[name] = true
	w.tensors = append(w.tensors, tensor{name: name, typ: t, dims: append([]uint64(nil), dims...), size: size, offset: w.dataSize})
	w.dataSize += pad(size, w.align)
	return nil
}

// WriteTensor writes the data of the next tensor, which must be name, reading exactly its
// size from r. The first call writes the header.
func (w *Writer) WriteTensor(name string, r io.Reader) error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		if err := w.writeHeader(); err != nil {
			return w.fail(err)
		}
	}
	if w.next >= len(w.tensors) {
		return w.fail(fmt.Errorf("gguf: tensor %q written but all %d tensors are written", name, len(w.tensors)))
	}
	t := w.tensors[w.next]
	if t.name != name {
		return w.fail(fmt.Errorf("gguf: tensor %q written where %q is next", name, t.name))
	}
	n, err := io.Copy(w.w, io.LimitReader(r, int64(t.size)))
	if err != nil {
		return w.fail(fmt.Errorf("gguf: write tensor %q: %w", name, err))
	}
	if uint64(n) != t.size {
		return w.fail(fmt.Errorf("gguf: tensor %q got %d of %d bytes", name, n, t.size))
	}
	if err := w.zeros(pad(t.size, w.align) - t.size); err != nil {
		return w.fail(err)
	}
	w.next++
	return nil
}

// Close writes the header if no tensor was written, checks that every tensor was, and
// flushes. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.started {
		if err := w.writeHeader(); err != nil {
			return w.fail(err)
		}
	}
	if w.next != len(w.tensors) {
		return w.fail(fmt.Errorf("gguf: %d of %d tensors written", w.next, len(w.tensors)))
	}
	if err := w.w.Flush(); err != nil {
		return w.fail(fmt.Errorf("gguf: %w", err))
	}
	return nil
}

func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func pad(n, align uint64) uint64 { return (n + align - 1) / align * align }

func (w *Writer) writeHeader() error {
	w.started = true
	e := enc{w: w.w}
	e.raw([]byte("GGUF"))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, p := range w.kvs {
		e.str(p.key)
		e.u32(uint32(p.typ))
		e.value(p.typ, p.val)
	}
	for _, t := range w.tensors {
		e.str(t.name)
		e.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			e.u64(d)
		}
		e.u32(uint32(t.typ))
		e.u64(t.offset)
	}
	if e.err != nil {
		return fmt.Errorf("gguf: write header: %w", e.err)
	}
	return w.zeros(pad(e.n, w.align) - e.n)
}

func (w *Writer) zeros(n uint64) error {
	var z [64]byte
	for n > 0 {
		k := min(n, uint64(len(z)))
		if _, err := w.w.Write(z[:k]); err != nil {
			return fmt.Errorf("gguf: %w", err)
		}
		n -= k
	}
	return nil
}

// normalize maps a Go value to its GGUF type, turning typed slices into Arrays.
func normalize(v any) (gguf.GGUFMetadataValueType, any, error) {
	switch x := v.(type) {
	case uint8:
		return gguf.GGUFMetadataValueTypeUint8, x, nil
	case int8:
		return gguf.GGUFMetadataValueTypeInt8, x, nil
	case uint16:
		return gguf.GGUFMetadataValueTypeUint16, x, nil
	case int16:
		return gguf.GGUFMetadataValueTypeInt16, x, nil
	case uint32:
		return gguf.GGUFMetadataValueTypeUint32, x, nil
	case int32:
		return gguf.GGUFMetadataValueTypeInt32, x, nil
	case float32:
		return gguf.GGUFMetadataValueTypeFloat32, x, nil
	case bool:
		return gguf.GGUFMetadataValueTypeBool, x, nil
	case string:
		return gguf.GGUFMetadataValueTypeString, x, nil
	case uint64:
		return gguf.GGUFMetadataValueTypeUint64, x, nil
	case int64:
		return gguf.GGUFMetadataValueTypeInt64, x, nil
	case float64:
		return gguf.GGUFMetadataValueTypeFloat64, x, nil
	case Array:
		for i, it := range x.Items {
			if x.Type == gguf.GGUFMetadataValueTypeArray {
				if _, ok := it.(Array); !ok {
					return 0, nil, fmt.Errorf("array item %d is %T, not a nested Array", i, it)
				}
				continue
			}
			if err := checkScalar(x.Type, it); err != nil {
				return 0, nil, fmt.Errorf("array item %d: %w", i, err)
			}
		}
		return gguf.GGUFMetadataValueTypeArray, x, nil
	case []uint8:
		return arrayOf(gguf.GGUFMetadataValueTypeUint8, x)
	case []int8:
		return arrayOf(gguf.GGUFMetadataValueTypeInt8, x)
	case []uint16:
		return arrayOf(gguf.GGUFMetadataValueTypeUint16, x)
	case []int16:
		return arrayOf(gguf.GGUFMetadataValueTypeInt16, x)
	case []uint32:
		return arrayOf(gguf.GGUFMetadataValueTypeUint32, x)
	case []int32:
		return arrayOf(gguf.GGUFMetadataValueTypeInt32, x)
	case []float32:
		return arrayOf(gguf.GGUFMetadataValueTypeFloat32, x)
	case []bool:
		return arrayOf(gguf.GGUFMetadataValueTypeBool, x)
	case []string:
		return arrayOf(gguf.GGUFMetadataValueTypeString, x)
	case []uint64:
		return arrayOf(gguf.GGUFMetadataValueTypeUint64, x)
	case []int64:
		return arrayOf(gguf.GGUFMetadataValueTypeInt64, x)
	case []float64:
		return arrayOf(gguf.GGUFMetadataValueTypeFloat64, x)
	}
	return 0, nil, fmt.Errorf("unsupported value type %T", v)
}

func arrayOf[T any](t gguf.GGUFMetadataValueType, xs []T) (gguf.GGUFMetadataValueType, any, error) {
	items := make([]any, len(xs))
	for i, x := range xs {
		items[i] = x
	}
	return gguf.GGUFMetadataValueTypeArray, Array{Type: t, Items: items}, nil
}

// checkScalar reports whether v's Go type is the one GGUF type t stores.
func checkScalar(t gguf.GGUFMetadataValueType, v any) error {
	ok := false
	switch t {
	case gguf.GGUFMetadataValueTypeUint8:
		_, ok = v.(uint8)
	case gguf.GGUFMetadataValueTypeInt8:
		_, ok = v.(int8)
	case gguf.GGUFMetadataValueTypeUint16:
		_, ok = v.(uint16)
	case gguf.GGUFMetadataValueTypeInt16:
		_, ok = v.(int16)
	case gguf.GGUFMetadataValueTypeUint32:
		_, ok = v.(uint32)
	case gguf.GGUFMetadataValueTypeInt32:
		_, ok = v.(int32)
	case gguf.GGUFMetadataValueTypeFloat32:
		_, ok = v.(float32)
	case gguf.GGUFMetadataValueTypeBool:
		_, ok = v.(bool)
	case gguf.GGUFMetadataValueTypeString:
		_, ok = v.(string)
	case gguf.GGUFMetadataValueTypeUint64:
		_, ok = v.(uint64)
	case gguf.GGUFMetadataValueTypeInt64:
		_, ok = v.(int64)
	case gguf.GGUFMetadataValueTypeFloat64:
		_, ok = v.(float64)
	default:
		return fmt.Errorf("unknown value type %d", t)
	}
	if !ok {
		return fmt.Errorf("value %T does not match type %s", v, t)
	}
	return nil
}

// enc writes little-endian GGUF primitives and remembers the first error and the byte count.
type enc struct {
	w   io.Writer
	n   uint64
	err error
	buf [8]byte
}

func (e *enc) raw(b []byte) {
	if e.err != nil {
		return
	}
	k, err := e.w.Write(b)
	e.n += uint64(k)
	e.err = err
}

func (e *enc) u8(v uint8) { e.buf[0] = v; e.raw(e.buf[:1]) }
func (e *enc) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:2], v)
	e.raw(e.buf[:2])
}
func (e *enc) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:4], v)
	e.raw(e.buf[:4])
}
func (e *enc) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:8], v)
	e.raw(e.buf[:8])
}
func (e *enc) str(s string) { e.u64(uint64(len(s))); e.raw([]byte(s)) }

func (e *enc) value(t gguf.GGUFMetadataValueType, v any) {
	switch t {
	case gguf.GGUFMetadataValueTypeUint8:
		e.u8(v.(uint8))
	case gguf.GGUFMetadataValueTypeInt8:
		e.u8(uint8(v.(int8)))
	case gguf.GGUFMetadataValueTypeUint16:
		e.u16(v.(uint16))
	case gguf.GGUFMetadataValueTypeInt16:
		e.u16(uint16(v.(int16)))
	case gguf.GGUFMetadataValueTypeUint32:
		e.u32(v.(uint32))
	case gguf.GGUFMetadataValueTypeInt32:
		e.u32(uint32(v.(int32)))
	case gguf.GGUFMetadataValueTypeFloat32:
		e.u32(math.Float32bits(v.(float32)))
	case gguf.GGUFMetadataValueTypeBool:
		b := uint8(0)
		if v.(bool) {
			b = 1
		}
		e.u8(b)
	case gguf.GGUFMetadataValueTypeString:
		e.str(v.(string))
	case gguf.GGUFMetadataValueTypeUint64:
		e.u64(v.(uint64))
	case gguf.GGUFMetadataValueTypeInt64:
		e.u64(uint64(v.(int64)))
	case gguf.GGUFMetadataValueTypeFloat64:
		e.u64(math.Float64bits(v.(float64)))
	case gguf.GGUFMetadataValueTypeArray:
		a := v.(Array)
		e.u32(uint32(a.Type))
		e.u64(uint64(len(a.Items)))
		for _, it := range a.Items {
			e.value(a.Type, it)
		}
	}
}
