package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/remote/remotetest"
)

func TestRemoteCommands(t *testing.T) {
	home := t.TempDir()
	t.Setenv("PERCH_HOME", home)
	v := remotetest.NewVLLM("sk-1")
	defer v.Close()

	out := mustPerch(t, "remote", "list")
	if !strings.Contains(out, "No remote endpoints") {
		t.Fatalf("empty list: %s", out)
	}
	out = mustPerch(t, "remote", "add", "gpu", v.URL+"/v1", "--api-key", "sk-1")
	if !strings.Contains(out, "Added gpu ("+v.URL+", openai API) with 3 models") || !strings.Contains(out, "gpu/"+remotetest.Chat) ||
		!strings.Contains(out, "goes to "+v.URL) {
		t.Fatalf("add: %s", out)
	}
	out = mustPerch(t, "remote", "list")
	if !strings.Contains(out, "gpu") || !strings.Contains(out, "reachable") || !strings.Contains(out, remotetest.Embed) {
		t.Fatalf("list: %s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"remote", "add", "box", "ftp://x"}, "must start with http:// or https://"},
		{[]string{"remote", "add", "Box!", v.URL}, "lowercase letters"},
		{[]string{"remote", "add", "gpu2", v.URL, "--api-key", "wrong"}, `refused the API key`},
		{[]string{"remote", "add", "gpu2", v.URL, "--kind", "grpc"}, "use openai"},
		{[]string{"remote", "rm", "nope"}, "no such remote endpoint"},
	} {
		if _, err := perch(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("perch %s: %v, want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	keys := filepath.Join(home, "config", "remote-keys.json")
	if fi, err := os.Stat(keys); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	out = mustPerch(t, "remote", "rm", "gpu")
	if !strings.Contains(out, "Removed gpu") {
		t.Fatalf("rm: %s", out)
	}
	if out = mustPerch(t, "remote", "list"); !strings.Contains(out, "No remote endpoints") {
		t.Fatalf("after rm: %s", out)
	}
}
