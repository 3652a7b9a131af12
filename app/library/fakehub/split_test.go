package fakehub

import (
	"os"
	"path/filepath"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"

	"github.com/perchapp/perch/engine/sharedtest"
)

// The parts must read back, through the same parser Perch uses, as the original model.
func TestSplitGGUFReadsBack(t *testing.T) {
	src := sharedtest.Path(t, "models", "stories260K.gguf")
	parts := SplitGGUF(t, src, 3)
	dir := t.TempDir()
	for i, p := range parts {
		name := filepath.Join(dir, "stories-F32-0000"+string(rune('1'+i))+"-of-00003.gguf")
		if err := os.WriteFile(name, p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := gguf.ParseGGUFFile(filepath.Join(dir, "stories-F32-00001-of-00003.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := gguf.ParseGGUFFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.TensorInfos) != len(want.TensorInfos) || got.ModelParameters != want.ModelParameters {
		t.Errorf("split reads back as %d tensors, %d parameters; want %d, %d",
			len(got.TensorInfos), got.ModelParameters, len(want.TensorInfos), want.ModelParameters)
	}
	if len(got.SplitSizes) != 3 {
		t.Errorf("%d split sizes, want 3", len(got.SplitSizes))
	}
	if a, b := got.Architecture(), want.Architecture(); a.BlockCount != b.BlockCount || a.MaximumContextLength != b.MaximumContextLength {
		t.Errorf("architecture differs: %+v vs %+v", a, b)
	}
}
