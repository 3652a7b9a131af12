package fakehub

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"
)

// SplitGGUF splits the GGUF at src into n parts the way llama.cpp's gguf-split does: every
// part is a GGUF v3 file with split.no, split.count and split.tensors.count; the first also
// carries all the source's metadata; the tensors are shared out in order.
func SplitGGUF(t testing.TB, src string, n int) [][]byte {
	t.Helper()
	parts, err := splitGGUF(src, n)
	if err != nil {
		t.Fatalf("split %s: %v", src, err)
	}
	return parts
}

func splitGGUF(src string, n int) ([][]byte, error) {
	gf, err := gguf.ParseGGUFFile(src)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tis := gf.TensorInfos
	if n < 1 || n > len(tis) {
		return nil, fmt.Errorf("cannot split %d tensors into %d parts", len(tis), n)
	}
	const align = 32
	var out [][]byte
	per := (len(tis) + n - 1) / n
	for i := range n {
		own := tis[min(i*per, len(tis)):min((i+1)*per, len(tis))]
		kvs := []gguf.GGUFMetadataKV{
			{Key: "split.no", ValueType: gguf.GGUFMetadataValueTypeUint16, Value: uint16(i)},
			{Key: "split.count", ValueType: gguf.GGUFMetadataValueTypeUint16, Value: uint16(n)},
			{Key: "split.tensors.count", ValueType: gguf.GGUFMetadataValueTypeInt32, Value: int32(len(tis))},
		}
		if i == 0 {
			kvs = append(append([]gguf.GGUFMetadataKV{}, gf.Header.MetadataKV...), kvs...)
		}
		e := &enc{}
		e.raw([]byte("GGUF"))
		e.u32(3)
		e.u64(uint64(len(own)))
		e.u64(uint64(len(kvs)))
		for _, kv := range kvs {
			e.str(kv.Key)
			e.u32(uint32(kv.ValueType))
			if err := e.value(kv.ValueType, kv.Value); err != nil {
				return nil, fmt.Errorf("metadata %s: %w", kv.Key, err)
			}
		}
		var off uint64
		for _, ti := range own {
			e.str(ti.Name)
			e.u32(uint32(len(ti.Dimensions)))
			for _, d := range ti.Dimensions {
				e.u64(d)
			}
			e.u32(uint32(ti.Type))
			e.u64(off)
			off += pad(ti.Bytes(), align)
		}
		e.zeros(pad(uint64(e.b.Len()), align) - uint64(e.b.Len()))
		for _, ti := range own {
			r := io.NewSectionReader(f, gf.TensorDataStartOffset+int64(ti.Offset), int64(ti.Bytes()))
			if _, err := io.Copy(&e.b, r); err != nil {
				return nil, err
			}
			e.zeros(pad(ti.Bytes(), align) - ti.Bytes())
		}
		out = append(out, e.b.Bytes())
	}
	return out, nil
}

func pad(n, a uint64) uint64 { return (n + a - 1) / a * a }

// enc writes little-endian GGUF values.
type enc struct{ b bytes.Buffer }

func (e *enc) raw(p []byte) { e.b.Write(p) }
func (e *enc) u32(v uint32) { _ = binary.Write(&e.b, binary.LittleEndian, v) }
func (e *enc) u64(v uint64) { _ = binary.Write(&e.b, binary.LittleEndian, v) }
func (e *enc) str(s string) { e.u64(uint64(len(s))); e.b.WriteString(s) }
func (e *enc) zeros(n uint64) {
	e.b.Write(make([]byte, n))
}

func (e *enc) value(t gguf.GGUFMetadataValueType, v any) error {
	switch t {
	case gguf.GGUFMetadataValueTypeString:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("string value is %T", v)
		}
		e.str(s)
	case gguf.GGUFMetadataValueTypeBool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("bool value is %T", v)
		}
		if b {
			e.b.WriteByte(1)
		} else {
			e.b.WriteByte(0)
		}
	case gguf.GGUFMetadataValueTypeArray:
		av, ok := v.(gguf.GGUFMetadataKVArrayValue)
		if !ok {
			return fmt.Errorf("array value is %T", v)
		}
		if uint64(len(av.Array)) != av.Len {
			return fmt.Errorf("array read with %d of %d items", len(av.Array), av.Len)
		}
		e.u32(uint32(av.Type))
		e.u64(av.Len)
		for _, it := range av.Array {
			if err := e.value(av.Type, it); err != nil {
				return err
			}
		}
	default:
		// Numbers: binary.Write encodes the fixed-size Go value the parser produced.
		switch x := v.(type) {
		case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float64:
			return binary.Write(&e.b, binary.LittleEndian, x)
		case float32:
			e.u32(math.Float32bits(x))
		default:
			return fmt.Errorf("value of type %d is %T", t, v)
		}
	}
	return nil
}
