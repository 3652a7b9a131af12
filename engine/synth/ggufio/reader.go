package ggufio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	gguf "github.com/gpustack/gguf-parser-go"
)

// KV is one metadata pair as stored: Value is a Go scalar (uint8 ... float64, bool, string)
// or an Array.
type KV struct {
	Key   string
	Type  gguf.GGUFMetadataValueType
	Value any
}

// ReadMetadata reads the metadata pairs of a GGUF file (version 2 or 3), in file order. Every
// length is checked against the file size, so a malformed file gives an error, not a huge
// allocation.
func ReadMetadata(path string) ([]KV, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read gguf metadata: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read gguf metadata: %w", err)
	}
	d := &dec{r: bufio.NewReaderSize(f, 1<<16), left: st.Size()}
	kvs, err := d.header()
	if err != nil {
		return nil, fmt.Errorf("read gguf metadata of %s: %w", path, err)
	}
	return kvs, nil
}

var errTruncated = errors.New("file ends inside the metadata")

type dec struct {
	r    *bufio.Reader
	left int64 // bytes not yet read
	buf  [8]byte
}

func (d *dec) read(n int) ([]byte, error) {
	if int64(n) > d.left {
		return nil, errTruncated
	}
	b := d.buf[:n]
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, errTruncated
	}
	d.left -= int64(n)
	return b, nil
}

func (d *dec) u32() (uint32, error) {
	b, err := d.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *dec) u64() (uint64, error) {
	b, err := d.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *dec) str() (string, error) {
	n, err := d.u64()
	if err != nil {
		return "", err
	}
	if n > uint64(d.left) {
		return "", fmt.Errorf("string of %d bytes with %d left in the file", n, d.left)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return "", errTruncated
	}
	d.left -= int64(n)
	return string(b), nil
}

func (d *dec) header() ([]KV, error) {
	b, err := d.read(4)
	if err != nil || string(b) != "GGUF" {
		return nil, errors.New("not a GGUF file (no GGUF magic)")
	}
	ver, err := d.u32()
	if err != nil {
		return nil, err
	}
	if ver < 2 || ver > 3 {
		return nil, fmt.Errorf("GGUF version %d is not supported (2 or 3)", ver)
	}
	if _, err := d.u64(); err != nil { // tensor count
		return nil, err
	}
	n, err := d.u64()
	if err != nil {
		return nil, err
	}
	// A pair takes at least 12 bytes (key length and type).
	if n > uint64(d.left)/12 {
		return nil, fmt.Errorf("%d metadata pairs cannot fit in the file", n)
	}
	kvs := make([]KV, 0, n)
	for range n {
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		t, err := d.u32()
		if err != nil {
			return nil, err
		}
		v, err := d.value(gguf.GGUFMetadataValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, err)
		}
		kvs = append(kvs, KV{Key: key, Type: gguf.GGUFMetadataValueType(t), Value: v})
	}
	return kvs, nil
}

// value reads one value of type t; depth bounds nested arrays.
func (d *dec) value(t gguf.GGUFMetadataValueType, depth int) (any, error) {
	switch t {
	case gguf.GGUFMetadataValueTypeUint8, gguf.GGUFMetadataValueTypeInt8, gguf.GGUFMetadataValueTypeBool:
		b, err := d.read(1)
		if err != nil {
			return nil, err
		}
		switch t {
		case gguf.GGUFMetadataValueTypeInt8:
			return int8(b[0]), nil
		case gguf.GGUFMetadataValueTypeBool:
			return b[0] != 0, nil
		}
		return b[0], nil
	case gguf.GGUFMetadataValueTypeUint16, gguf.GGUFMetadataValueTypeInt16:
		b, err := d.read(2)
		if err != nil {
			return nil, err
		}
		v := binary.LittleEndian.Uint16(b)
		if t == gguf.GGUFMetadataValueTypeInt16 {
			return int16(v), nil
		}
		return v, nil
	case gguf.GGUFMetadataValueTypeUint32, gguf.GGUFMetadataValueTypeInt32, gguf.GGUFMetadataValueTypeFloat32:
		v, err := d.u32()
		if err != nil {
			return nil, err
		}
		switch t {
		case gguf.GGUFMetadataValueTypeInt32:
			return int32(v), nil
		case gguf.GGUFMetadataValueTypeFloat32:
			return math.Float32frombits(v), nil
		}
		return v, nil
	case gguf.GGUFMetadataValueTypeUint64, gguf.GGUFMetadataValueTypeInt64, gguf.GGUFMetadataValueTypeFloat64:
		v, err := d.u64()
		if err != nil {
			return nil, err
		}
		switch t {
		case gguf.GGUFMetadataValueTypeInt64:
			return int64(v), nil
		case gguf.GGUFMetadataValueTypeFloat64:
			return math.Float64frombits(v), nil
		}
		return v, nil
	case gguf.GGUFMetadataValueTypeString:
		return d.str()
	case gguf.GGUFMetadataValueTypeArray:
		if depth > 4 {
			return nil, errors.New("arrays nested too deep")
		}
		et, err := d.u32()
		if err != nil {
			return nil, err
		}
		n, err := d.u64()
		if err != nil {
			return nil, err
		}
		if n > uint64(d.left) { // every item takes at least one byte
			return nil, fmt.Errorf("array of %d items with %d bytes left", n, d.left)
		}
		a := Array{Type: gguf.GGUFMetadataValueType(et), Items: make([]any, n)}
		for i := range a.Items {
			if a.Items[i], err = d.value(a.Type, depth+1); err != nil {
				return nil, err
			}
		}
		return a, nil
	}
	return nil, fmt.Errorf("unknown value type %d", t)
}
