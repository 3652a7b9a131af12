package llama

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/hybridgroup/yzma/pkg/loader"
)

// Text crosses into llama.cpp here. llama_tokenize and llama_detokenize take a pointer and a
// length, so any byte, NUL included, is just a byte. yzma's wrappers go through a C string
// (a NUL makes it hand llama.cpp a null pointer, which aborts the process) and drop a
// trailing NUL from detokenized text, so both are bound directly. The other strings that
// reach llama.cpp are checked before they go: model and quantize paths and grammars
// (checkCString), token ids for Detokenize and logit bias (ValidToken); yzma itself refuses a
// metadata key with a NUL, and ModelChatTemplate's empty name is llama.cpp's documented NULL.

var (
	// ErrTextTooLong is returned for text llama.cpp cannot take (lengths are int32 there).
	ErrTextTooLong = errors.New("text too long for the tokenizer")
	// ErrInvalidToken is returned for a token id outside the vocabulary.
	ErrInvalidToken = errors.New("token outside the vocabulary")
	// ErrNULByte is returned for a string that llama.cpp reads as a C string (a path, a
	// grammar) and that holds a NUL byte: llama.cpp would read only the part before it.
	ErrNULByte = errors.New("contains a NUL byte")
)

var (
	cTokenize   func(vocab uintptr, text *byte, textLen int32, tokens *int32, nMax int32, addSpecial, parseSpecial bool) int32
	cDetokenize func(vocab uintptr, tokens *int32, n int32, text *byte, textLenMax int32, removeSpecial, unparseSpecial bool) int32
)

// bindText binds the two text functions from the libllama in dir (the one yzma loaded).
func bindText(dir string) error {
	h, err := purego.Dlopen(loader.GetLibraryFilename(dir, "llama"), purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return fmt.Errorf("open libllama for the tokenizer: %w", err)
	}
	for name, fn := range map[string]any{"llama_tokenize": &cTokenize, "llama_detokenize": &cDetokenize} {
		sym, err := purego.Dlsym(h, name)
		if err != nil {
			return fmt.Errorf("libllama has no %s: %w", name, err)
		}
		purego.RegisterFunc(fn, sym)
	}
	return nil
}

// checkCString returns an error naming what when s cannot be passed as a C string.
func checkCString(what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Errorf("%s %w (at byte %d)", what, ErrNULByte, i)
	}
	return nil
}

// oneByte is the non-nil pointer passed for empty input: llama.cpp builds a std::string from
// pointer and length, and a null pointer there is undefined even at length 0.
var oneByte [1]byte

// Tokenize splits text into tokens. addSpecial adds BOS/EOS as the model asks; parseSpecial
// turns special-token text such as "<|im_start|>" into its id. Any bytes are accepted: a NUL
// or invalid UTF-8 becomes the vocabulary's byte tokens (or its unknown token).
func (m *Model) Tokenize(text string, addSpecial, parseSpecial bool) ([]Token, error) {
	if len(text) > math.MaxInt32/2 {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrTextTooLong, len(text), math.MaxInt32/2)
	}
	p := &oneByte[0]
	if len(text) > 0 {
		p = unsafe.StringData(text)
	}
	// A token covers at least one byte, plus room for BOS/EOS and the like; a long text gets
	// a smaller first guess (text is ~4 bytes a token) and, if short, the exact size next.
	toks := make([]Token, min(len(text)+8, max(len(text)/2, 1<<16)))
	for range 2 {
		n := cTokenize(uintptr(m.v), p, int32(len(text)), &toks[0], int32(len(toks)), addSpecial, parseSpecial)
		switch {
		case n >= 0:
			return toks[:n], nil
		case n == math.MinInt32:
			return nil, fmt.Errorf("%w: %d bytes", ErrTextTooLong, len(text))
		}
		toks = make([]Token, -n)
	}
	return nil, errors.New("llama.cpp's tokenizer asked for more room twice")
}

// Detokenize turns tokens back into text, every byte kept (a <0x00> token gives a NUL).
func (m *Model) Detokenize(toks []Token, removeSpecial, unparseSpecial bool) (string, error) {
	for i, t := range toks {
		if !m.ValidToken(t) {
			return "", fmt.Errorf("%w: token %d at position %d (the vocabulary has %d)", ErrInvalidToken, t, i, m.nVocab)
		}
	}
	if len(toks) == 0 {
		return "", nil
	}
	if len(toks) > math.MaxInt32/2 {
		return "", fmt.Errorf("%w: %d tokens", ErrTextTooLong, len(toks))
	}
	buf := make([]byte, 8*len(toks)+16)
	for range 2 {
		n := cDetokenize(uintptr(m.v), &toks[0], int32(len(toks)), &buf[0], int32(len(buf)), removeSpecial, unparseSpecial)
		switch {
		case n >= 0:
			return string(buf[:n]), nil
		case n == math.MinInt32:
			return "", fmt.Errorf("%w: %d tokens", ErrTextTooLong, len(toks))
		}
		buf = make([]byte, -n)
	}
	return "", errors.New("llama.cpp's detokenizer asked for more room twice")
}
