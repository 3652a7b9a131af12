package ggufmeta

import (
	"fmt"
	"math"

	gguf "github.com/gpustack/gguf-parser-go"
)

// MaxArrayItems bounds the arrays Metadata reads in full: the largest real vocabularies and
// merge lists hold a few hundred thousand items; a header declaring more is not read.
const MaxArrayItems = 1 << 20

// shortArray is the longest array Metadata gives without full, as Ollama's /api/show does
// (longer ones, the tokenizer's, are given as []).
const shortArray = 5

// Tensor is one tensor of the header, as Ollama's verbose /api/show lists it.
type Tensor struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Shape []uint64 `json:"shape"`
}

// Metadata gives the header's key/values as JSON values, the way Ollama's /api/show gives
// its model_info: arrays longer than five items are [] unless full is set. With full, the
// file at path is read again for the arrays Read skips (tokenizer.ggml.tokens, token_type,
// merges, scores), each up to MaxArrayItems; a header with a longer one keeps them [].
// The tensors are listed with full only.
func Metadata(info Info, path string, full bool) (map[string]any, []Tensor, error) {
	gf := info.File
	if gf == nil {
		return nil, nil, fmt.Errorf("%s: the header was not kept", path)
	}
	if full && arraysFit(gf.Header.MetadataKV) {
		whole, err := gguf.ParseGGUFFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: read the whole header: %w", path, err)
		}
		gf = whole
	}
	kvs := make(map[string]any, len(gf.Header.MetadataKV))
	for _, kv := range gf.Header.MetadataKV {
		kvs[kv.Key] = jsonValue(kv, full)
	}
	if !full {
		return kvs, nil, nil
	}
	tensors := make([]Tensor, len(gf.TensorInfos))
	for i, t := range gf.TensorInfos {
		tensors[i] = Tensor{Name: t.Name, Type: t.Type.String(), Shape: t.Dimensions}
	}
	return kvs, tensors, nil
}

// arraysFit says whether every array of the header is within MaxArrayItems.
func arraysFit(kvs gguf.GGUFMetadataKVs) bool {
	for _, kv := range kvs {
		if kv.ValueType == gguf.GGUFMetadataValueTypeArray && kv.ValueArray().Len > MaxArrayItems {
			return false
		}
	}
	return true
}

// jsonValue is a key's value as encoding/json can write it.
func jsonValue(kv gguf.GGUFMetadataKV, full bool) any {
	if kv.ValueType != gguf.GGUFMetadataValueTypeArray {
		return finite(kv.Value)
	}
	arr := kv.ValueArray()
	if (!full && arr.Len > shortArray) || uint64(len(arr.Array)) != arr.Len {
		return []any{}
	}
	out := make([]any, len(arr.Array))
	for i, v := range arr.Array {
		out[i] = finite(v)
	}
	return out
}

// finite replaces the NaN and infinite floats JSON cannot hold (a score of -inf) with null.
func finite(v any) any {
	switch f := v.(type) {
	case float32:
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil
		}
	case float64:
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
	}
	return v
}
