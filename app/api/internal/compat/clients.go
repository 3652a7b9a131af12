package compat

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/sharedtest"
)

// GoClients builds the test-only module in dir (testdata/goclients: go-openai and langchaingo,
// kept out of Perch's go.mod) and runs it against tg; env is added to its environment
// (PERCH_REAL, PERCH_ONLY). Each case becomes a subtest, so a case the client cannot express
// shows as a skip with its reason.
func GoClients(t *testing.T, dir string, tg Target, env ...string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "goclients")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		if offline(out) {
			sharedtest.Skipf(t, "the Go modules of %s cannot be fetched here (make api-go fetches them): %s", dir, out)
		}
		t.Fatalf("building %s: %v\n%s", dir, err, out)
	}
	cmd := exec.CommandContext(ctx, bin, tg.BaseURL, tg.Model, tg.EmbedModel)
	cmd.Env = append(append(os.Environ(), "PERCH_API_KEY="+tg.APIKey), env...)
	out, err := cmd.CombinedOutput()
	Report(t, out)
	if err != nil {
		t.Fatalf("the Go clients failed: %v\n%s", err, out)
	}
}

// offline tells a module fetch that failed for want of a network (or with GOPROXY=off) from
// a broken build.
func offline(out []byte) bool {
	for _, s := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "proxyconnect", "module lookup disabled"} {
		if bytes.Contains(out, []byte(s)) {
			return true
		}
	}
	return false
}

// Report turns a client script's "ok NAME", "skip NAME: WHY" and "FAIL NAME: WHY" lines into
// subtests, so that each case, skipped ones included, shows in go test -v.
func Report(t *testing.T, out []byte) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		verdict, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		name, why, _ := strings.Cut(rest, ": ")
		switch verdict {
		case "ok":
			t.Run(rest, func(*testing.T) {})
		case "skip":
			t.Run(name, func(t *testing.T) { t.Skip(why) })
		case "FAIL":
			t.Run(name, func(t *testing.T) { t.Error(why) })
		}
	}
}
