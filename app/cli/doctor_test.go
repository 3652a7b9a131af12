package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

func TestDoctor(t *testing.T) {
	if _, err := llama.Locate(); err != nil {
		sharedtest.Skipf(t, "engine runtime not built: %v", err)
	}
	t.Setenv("PERCH_HOME", t.TempDir())
	t.Setenv("PERCH_HOST", "127.0.0.1:1") // nothing listens there
	var out bytes.Buffer
	cmd := New("test")
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"doctor", "--json"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("doctor: %v\n%s", err, out.String())
	}
	var checks []check
	if err := json.Unmarshal(out.Bytes(), &checks); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range checks {
		seen[c.Name] = true
		if !c.OK {
			t.Errorf("%s failed: %s", c.Name, c.Detail)
		}
		if c.Name == "engine load" && !strings.Contains(c.Detail, "CPU") {
			t.Errorf("backends %q lack CPU", c.Detail)
		}
	}
	for _, want := range []string{"engine libraries", "engine load", "data folder", "server"} {
		if !seen[want] {
			t.Errorf("no %q line", want)
		}
	}

	t.Setenv(llama.EnvLib, t.TempDir())
	cmd = New("test")
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"doctor"})
	err := cmd.ExecuteContext(context.Background())
	var exit ExitError
	if err == nil || !errors.As(err, &exit) || exit.Code != 1 {
		t.Fatalf("doctor without libraries: err %v, want exit code 1", err)
	}
}
