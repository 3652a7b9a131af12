package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/perchapp/perch/engine/llama"
)

// generatorVersion changes whenever the bytes Generate writes change, so cached files from an
// older generator are not reused.
const generatorVersion = 1

// Build returns the path of a model of the given shape, vocabulary and quantization (Q8_0,
// Q4_K_M, Q4_0, F16, F32, ...), generating and quantizing it on the first call and reusing it
// from cacheDir afterwards. The file name holds a hash of (spec, vocabulary bytes, quant,
// generator version); files are written to a temporary name and renamed when complete, so a
// half-written file is never reused. Quantizing needs the llama.cpp runtime (llama.Init).
func Build(ctx context.Context, spec Spec, vocabPath, quant, cacheDir string) (string, error) {
	spec = spec.withDefaults()
	if err := spec.Validate(); err != nil {
		return "", err
	}
	quant = strings.ToUpper(quant)
	if quant == "" {
		quant = spec.Type
	}
	if quant == "F16" || quant == "F32" {
		spec.Type = quant
	} else {
		spec.Type = "F16" // quantized from an F16 file whatever the spec says
	}
	key, err := cacheKey(spec, vocabPath, quant)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("synthetic model cache: %w", err)
	}
	out := filepath.Join(cacheDir, fmt.Sprintf("%s-%s-%s.gguf", safeName(spec.Name), quant, key[:16]))
	if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	voc, err := ReadVocab(vocabPath)
	if err != nil {
		return "", err
	}
	if quant == "F16" || quant == "F32" {
		if err := generate(ctx, spec, voc, out); err != nil {
			return "", err
		}
		return out, nil
	}
	// Quantize from F16: half the bytes of F32 to write and read, and what real models ship.
	basePath, err := Build(ctx, spec, vocabPath, "F16", cacheDir)
	if err != nil {
		return "", err
	}
	if err := llama.Init(""); err != nil {
		return "", fmt.Errorf("quantize synthetic model: %w", err)
	}
	tmp, err := os.CreateTemp(cacheDir, "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("quantize synthetic model: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := llama.Quantize(basePath, tmp.Name(), quant, runtime.GOMAXPROCS(0)); err != nil {
		return "", fmt.Errorf("quantize synthetic model to %s: %w", quant, err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("quantize synthetic model: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", fmt.Errorf("quantize synthetic model: %w", err)
	}
	return out, nil
}

func cacheKey(spec Spec, vocabPath, quant string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "perch-synth v%d\nquant %s\n", generatorVersion, quant)
	spec.Name = "" // the name only labels the file
	js, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("synthetic model cache key: %w", err)
	}
	h.Write(js)
	f, err := os.Open(vocabPath)
	if err != nil {
		return "", fmt.Errorf("read vocabulary: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read vocabulary: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	if s == "" || s[0] == '.' {
		s = "synth" + s
	}
	return s
}
