package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRmCommand(t *testing.T) {
	e := newLibEnv(t)
	mustPerch(t, "pull", "hf.co/test/Stories-GGUF:Q4_K_M")
	mustPerch(t, "pull", "hf.co/test/Stories-GGUF:Q8_0")
	dir := t.TempDir()
	ext := filepath.Join(dir, "ext.gguf")
	if err := os.Symlink(e.storiesPath, ext); err != nil {
		t.Fatal(err)
	}

	out := mustPerch(t, "rm", "hf.co/test/Stories-GGUF:Q4_K_M", "hf.co/test/Stories-GGUF:Q8_0")
	if strings.Count(out, "deleted") != 2 {
		t.Errorf("rm printed:\n%s", out)
	}
	blobs, _ := os.ReadDir(filepath.Join(e.home, "data", "models", "blobs"))
	if len(blobs) != 0 {
		t.Errorf("%d files left in blobs/", len(blobs))
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"rm", "hf.co/test/Stories-GGUF:Q4_K_M"}, "not found"},
		{[]string{"rm", "--models-dir", dir, "ext"}, "delete the file yourself"},
		{[]string{"rm", "../../x"}, "invalid model name"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			if _, err := perch(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := os.Stat(ext); err != nil {
		t.Errorf("rm touched a models-directory file: %v", err)
	}
}
