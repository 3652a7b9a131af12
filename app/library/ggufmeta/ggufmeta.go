// Package ggufmeta reads what Perch shows and plans with from a GGUF model's header:
// architecture, quantization, parameter count, shape and chat template. It reads local files
// and, with HTTP Range requests, remote ones, through gguf-parser-go (pure Go, bounds-checked),
// and never reads tensor data.
package ggufmeta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	gguf "github.com/gpustack/gguf-parser-go"
)

// ErrNotGGUF is returned (wrapped) for a file that is not a GGUF model.
var ErrNotGGUF = errors.New("not a GGUF file")

// Info is a model's header summary. File is the parsed header itself, for callers (such as
// the memory planner) that need more than the summary.
type Info struct {
	// Type is "model", "adapter", "projector" or "imatrix".
	Type         string `json:"type"`
	Architecture string `json:"architecture"`
	// Name is general.name, when the file has one.
	Name string `json:"name,omitempty"`
	// BaseName and SizeLabel are general.basename ("Qwen3") and general.size_label ("8B"),
	// which newer converters write.
	BaseName  string `json:"basename,omitempty"`
	SizeLabel string `json:"size_label,omitempty"`
	// Quantization is the file type, such as Q4_K_M or F16 (guessed from tensor types when
	// general.file_type is missing); empty when unknown.
	Quantization    string `json:"quantization,omitempty"`
	ParameterCount  uint64 `json:"parameter_count"`
	ContextLength   uint64 `json:"context_length,omitempty"`
	EmbeddingLength uint64 `json:"embedding_length,omitempty"`
	BlockCount      uint64 `json:"block_count,omitempty"`
	HeadCount       uint64 `json:"head_count,omitempty"`
	HeadCountKV     uint64 `json:"head_count_kv,omitempty"`
	// KeyLength and ValueLength are the per-head K and V sizes.
	KeyLength   uint32 `json:"key_length,omitempty"`
	ValueLength uint32 `json:"value_length,omitempty"`
	TensorCount uint64 `json:"tensor_count"`
	// ChatTemplate is tokenizer.chat_template ("" when absent).
	ChatTemplate string `json:"chat_template,omitempty"`
	License      string `json:"license,omitempty"`
	// Embedding is true for an embedding model: its attention is not causal or it pools
	// (the rule engine/memplan uses too).
	Embedding bool `json:"embedding,omitempty"`
	// FIM is true when the tokenizer names fill-in-the-middle tokens.
	FIM bool `json:"fim,omitempty"`
	// FileSize is the bytes of all parts together.
	FileSize int64 `json:"file_size"`
	// Parts is the number of files (more than 1 for a split GGUF).
	Parts int `json:"parts"`

	File *gguf.GGUFFile `json:"-"`
}

// HasChatTemplate says whether the file carries a chat template.
func (i Info) HasChatTemplate() bool { return i.ChatTemplate != "" }

// VocabOnly says whether the file holds a tokenizer but no weights (llama.cpp's
// ggml-vocab-*.gguf test files), which cannot be run.
func (i Info) VocabOnly() bool { return i.TensorCount == 0 }

// Runnable says whether llama.cpp can load the file as a language model on its own: it has
// weights and is not a projector, adapter or importance matrix.
func (i Info) Runnable() bool { return !i.VocabOnly() && i.Type == "model" }

// CheckMagic reads the first bytes of path and says clearly when it is not GGUF.
func CheckMagic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var b [8]byte
	n, err := io.ReadFull(f, b[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return checkMagic(path, b[:n])
}

func checkMagic(path string, b []byte) error {
	if len(b) < 8 {
		return fmt.Errorf("%s: %w (only %d bytes)", path, ErrNotGGUF, len(b))
	}
	switch string(b[:4]) {
	case "GGUF":
		return nil
	case "lmgg", "fmgg", "tjgg": // GGML, GGMF, GGJT written little-endian
		return fmt.Errorf("%s: %w: it is the older GGML format; convert it with llama.cpp's convert scripts", path, ErrNotGGUF)
	}
	shown := b[:4]
	if bytes.IndexFunc(shown, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
		return fmt.Errorf("%s: %w (starts with bytes % x, not \"GGUF\")", path, ErrNotGGUF, shown)
	}
	return fmt.Errorf("%s: %w (starts with %q, not \"GGUF\")", path, ErrNotGGUF, shown)
}

// Read parses the header of the GGUF at path. A path named like a split part
// (name-00001-of-00003.gguf) reads all parts beside it.
func Read(path string) (Info, error) {
	if err := CheckMagic(path); err != nil {
		return Info{}, err
	}
	gf, err := gguf.ParseGGUFFile(path, gguf.SkipLargeMetadata())
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w: the header does not parse: %w", path, ErrNotGGUF, err)
	}
	return summarize(path, gf)
}

// ReadRemote parses the header of the GGUF at url with HTTP Range requests, downloading only
// the header. token, when set, is sent as a bearer token (Hugging Face's HF_TOKEN). A url
// named like a split part reads all parts.
func ReadRemote(ctx context.Context, url, token string) (Info, error) {
	opts := []gguf.GGUFReadOption{gguf.SkipLargeMetadata(), gguf.SkipCache(), gguf.SkipDNSCache()}
	if token != "" {
		opts = append(opts, gguf.UseBearerAuth(token))
	}
	gf, err := gguf.ParseGGUFFileRemote(ctx, url, opts...)
	if err != nil {
		return Info{}, fmt.Errorf("read the GGUF header at %s: %w", url, err)
	}
	return summarize(url, gf)
}

// summarize reads the summary from a parsed header. where names the file for errors.
func summarize(where string, gf *gguf.GGUFFile) (info Info, err error) {
	// gguf-parser-go panics on a key of the wrong type (general.architecture stored as a
	// bool); a bad header, possibly from a URL, must be an error, not a crash of the server.
	defer func() {
		if r := recover(); r != nil {
			info, err = Info{}, fmt.Errorf("%s: %w: malformed header: %v", where, ErrNotGGUF, r)
		}
	}()
	md := gf.Metadata()
	ar := gf.Architecture()
	info = Info{
		Type:            md.Type,
		Architecture:    md.Architecture,
		Name:            md.Name,
		ParameterCount:  uint64(md.Parameters),
		ContextLength:   ar.MaximumContextLength,
		EmbeddingLength: ar.EmbeddingLength,
		BlockCount:      ar.BlockCount,
		HeadCount:       ar.AttentionHeadCount,
		HeadCountKV:     ar.AttentionHeadCountKV,
		KeyLength:       ar.AttentionKeyLength,
		ValueLength:     ar.AttentionValueLength,
		TensorCount:     uint64(len(gf.TensorInfos)),
		License:         md.License,
		Embedding:       !ar.AttentionCausal || ar.PoolingType != 0,
		FIM:             hasFIM(gf.Header.MetadataKV),
		FileSize:        int64(gf.Size),
		Parts:           max(1, len(gf.SplitSizes)),
		File:            gf,
	}
	if md.FileTypeDescriptor != "" && md.FileTypeDescriptor != "Unknown" {
		info.Quantization = md.FileTypeDescriptor
	}
	info.ChatTemplate = stringKV(gf.Header.MetadataKV, "tokenizer.chat_template")
	info.BaseName = stringKV(gf.Header.MetadataKV, "general.basename")
	info.SizeLabel = stringKV(gf.Header.MetadataKV, "general.size_label")
	return info, nil
}

// stringKV is a string value of the header ("" when absent or of another type).
func stringKV(kvs gguf.GGUFMetadataKVs, key string) string {
	if kv, ok := kvs.Get(key); ok && kv.ValueType == gguf.GGUFMetadataValueTypeString {
		return kv.ValueString()
	}
	return ""
}

// fimKeys name the fill-in-the-middle prefix, suffix and middle tokens, each by llama.cpp's
// key and by the older one it still reads.
var fimKeys = [3][2]string{
	{"tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id"},
	{"tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id"},
	{"tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id"},
}

// hasFIM says whether the header names all three fill-in-the-middle tokens. llama.cpp also
// finds them by their text in the vocabulary, which the header summary does not read; a
// loaded model's own answer is the final word.
func hasFIM(kvs gguf.GGUFMetadataKVs) bool {
	for _, keys := range fimKeys {
		_, newKey := kvs.Get(keys[0])
		_, oldKey := kvs.Get(keys[1])
		if !newKey && !oldKey {
			return false
		}
	}
	return true
}
