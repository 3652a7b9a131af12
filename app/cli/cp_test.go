package cli

import (
	"strings"
	"testing"
)

func TestCpCommand(t *testing.T) {
	newLibEnv(t)
	mustPerch(t, "pull", "hf.co/test/Stories-GGUF:Q4_K_M")
	if out := mustPerch(t, "cp", "hf.co/test/Stories-GGUF:Q4_K_M", "story"); !strings.Contains(out, "copied hf.co/test/Stories-GGUF:Q4_K_M to story:latest") {
		t.Errorf("cp printed %q", out)
	}
	a := strings.TrimSpace(mustPerch(t, "show", "--path", "story"))
	b := strings.TrimSpace(mustPerch(t, "show", "--path", "hf.co/test/Stories-GGUF:Q4_K_M"))
	if a != b {
		t.Errorf("the copy has its own file: %s vs %s", a, b)
	}
	for _, c := range []struct{ src, dst, want string }{
		{"story", "../../x", "invalid model name"},
		{"nope", "x", "not found"},
	} {
		if _, err := perch(t, "cp", c.src, c.dst); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("cp %s %s: %v, want %q", c.src, c.dst, err, c.want)
		}
	}
}
