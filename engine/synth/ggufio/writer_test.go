package ggufio

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f)
	kvs := []struct {
		key string
		val any
	}{
		{"t.u8", uint8(200)}, {"t.i8", int8(-7)}, {"t.u16", uint16(60000)}, {"t.i16", int16(-300)},
		{"t.u32", uint32(4000000000)}, {"t.i32", int32(-5)}, {"t.f32", float32(0.25)}, {"t.bool", true},
		{"t.str", " héllo\r\n"}, {"t.u64", uint64(1) << 40}, {"t.i64", int64(-1) << 40}, {"t.f64", 3.5},
		{"t.strs", []string{"a", "", "ccc"}}, {"t.f32s", []float32{1, -2}}, {"t.i32s", []int32{3, 4, 5}},
		{"t.empty", []uint32{}},
	}
	for _, kv := range kvs {
		if err := w.AddKV(kv.key, kv.val); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SetAlignment(64); err != nil {
		t.Fatal(err)
	}
	if err := w.AddKV("t.nested", Array{Type: gguf.GGUFMetadataValueTypeArray, Items: []any{
		Array{Type: gguf.GGUFMetadataValueTypeUint8, Items: []any{uint8(1)}},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("a", gguf.GGMLTypeF32, 3, 2); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("b", gguf.GGMLTypeQ8_0, 64); err != nil {
		t.Fatal(err)
	}
	a := bytes.Repeat([]byte{1}, 24)
	b := bytes.Repeat([]byte{2}, 68)
	if err := w.WriteTensor("a", bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTensor("b", bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	gf, err := gguf.ParseGGUFFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if kv.key == "t.str" {
			continue // gguf-parser-go trims strings
		}
		got, ok := gf.Header.MetadataKV.Get(kv.key)
		if !ok {
			t.Fatalf("%s missing", kv.key)
		}
		want := kv.val
		if got.ValueType == gguf.GGUFMetadataValueTypeArray {
			arr := got.ValueArray().Array
			rv := reflect.ValueOf(want)
			if len(arr) != rv.Len() {
				t.Fatalf("%s: %d items, want %d", kv.key, len(arr), rv.Len())
			}
			for i := range arr {
				if !reflect.DeepEqual(arr[i], rv.Index(i).Interface()) {
					t.Errorf("%s[%d] = %v, want %v", kv.key, i, arr[i], rv.Index(i))
				}
			}
			continue
		}
		if !reflect.DeepEqual(got.Value, want) {
			t.Errorf("%s = %#v, want %#v", kv.key, got.Value, want)
		}
	}
	if al, _ := gf.Header.MetadataKV.Get("general.alignment"); al.ValueUint32() != 64 {
		t.Errorf("alignment = %v", al.Value)
	}
	if gf.TensorDataStartOffset%64 != 0 {
		t.Errorf("data starts at %d, not aligned to 64", gf.TensorDataStartOffset)
	}
	ti, _ := gf.TensorInfos.Get("b")
	if ti.Offset != 64 || ti.Bytes() != 68 {
		t.Errorf("b at %d with %d bytes, want 64 and 68", ti.Offset, ti.Bytes())
	}
	raw, _ := os.ReadFile(path)
	start := gf.TensorDataStartOffset
	if !bytes.Equal(raw[start:start+24], a) || !bytes.Equal(raw[start+64:start+64+68], b) {
		t.Error("tensor data not where the infos say")
	}
	if len(raw) != int(start)+128+64 {
		t.Errorf("file is %d bytes, want %d", len(raw), start+192)
	}

	// ReadMetadata gives back exactly what was written (gguf-parser-go trims strings).
	md, err := ReadMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(md) != len(kvs)+2 {
		t.Fatalf("read %d pairs, wrote %d", len(md), len(kvs)+2)
	}
	for i, kv := range kvs {
		want := kv.val
		if _, tv, err := normalize(want); err == nil {
			want = tv
		}
		if md[i].Key != kv.key || !reflect.DeepEqual(md[i].Value, want) {
			t.Errorf("pair %d: %s = %#v, want %s = %#v", i, md[i].Key, md[i].Value, kv.key, want)
		}
	}

	// Copying every pair through AddTyped gives the same metadata back.
	var buf bytes.Buffer
	w2 := NewWriter(&buf)
	for _, kv := range gf.Header.MetadataKV {
		if err := w2.AddTyped(kv.Key, kv.ValueType, kv.Value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	p2 := filepath.Join(t.TempDir(), "y.gguf")
	os.WriteFile(p2, buf.Bytes(), 0o644)
	gf2, err := gguf.ParseGGUFFile(p2)
	if err != nil {
		t.Fatal(err)
	}
	if len(gf2.Header.MetadataKV) != len(gf.Header.MetadataKV) {
		t.Fatalf("copied %d pairs of %d", len(gf2.Header.MetadataKV), len(gf.Header.MetadataKV))
	}
	for i, kv := range gf.Header.MetadataKV {
		k2 := gf2.Header.MetadataKV[i]
		if kv.Key != k2.Key || kv.ValueType != k2.ValueType {
			t.Errorf("pair %d: %s/%v vs %s/%v", i, kv.Key, kv.ValueType, k2.Key, k2.ValueType)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		do   func(w *Writer) error
		want string
	}{
		{"duplicate key", func(w *Writer) error { w.AddKV("k", uint8(1)); return w.AddKV("k", uint8(2)) }, "duplicate"},
		{"bad value", func(w *Writer) error { return w.AddKV("k", struct{}{}) }, "unsupported"},
		{"mixed array", func(w *Writer) error {
			return w.AddKV("k", Array{Type: gguf.GGUFMetadataValueTypeUint32, Items: []any{"x"}})
		}, "does not match"},
		{"bad alignment", func(w *Writer) error { return w.SetAlignment(48) }, "power of two"},
		{"block size", func(w *Writer) error { return w.AddTensor("q", gguf.GGMLTypeQ8_0, 33) }, "block size"},
		{"zero dim", func(w *Writer) error { return w.AddTensor("z", gguf.GGMLTypeF32, 0) }, "zero"},
		{"wrong order", func(w *Writer) error {
			w.AddTensor("a", gguf.GGMLTypeF32, 1)
			w.AddTensor("b", gguf.GGMLTypeF32, 1)
			return w.WriteTensor("b", bytes.NewReader(make([]byte, 4)))
		}, "is next"},
		{"short data", func(w *Writer) error {
			w.AddTensor("a", gguf.GGMLTypeF32, 4)
			return w.WriteTensor("a", bytes.NewReader(make([]byte, 4)))
		}, "4 of 16"},
		{"missing tensor", func(w *Writer) error {
			w.AddTensor("a", gguf.GGMLTypeF32, 4)
			return w.Close()
		}, "0 of 1"},
		{"typed mismatch", func(w *Writer) error {
			return w.AddTyped("k", gguf.GGUFMetadataValueTypeUint32, int32(1))
		}, "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(NewWriter(&bytes.Buffer{}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadMetadataErrors(t *testing.T) {
	dir := t.TempDir()
	var good bytes.Buffer
	w := NewWriter(&good)
	w.AddKV("a", []string{"x", "y"})
	w.Close()
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not gguf", []byte("GGML...."), "magic"},
		{"truncated", good.Bytes()[:40], "ends inside"},
		{"version", append([]byte("GGUF\x09\x00\x00\x00"), make([]byte, 16)...), "version 9"},
		{"huge count", append([]byte("GGUF\x03\x00\x00\x00"), append(make([]byte, 8), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)...), "cannot fit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			os.WriteFile(p, tc.data, 0o644)
			_, err := ReadMetadata(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
