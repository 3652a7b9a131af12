package sharedtest

import (
	"strings"
	"testing"
)

// recorder stands in for a test, to see whether Skipf skipped or failed it.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = format }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = format }

func TestSkipf(t *testing.T) {
	for _, c := range []struct {
		env        string
		skip, fail bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Setenv(EnvRequire, c.env)
		r := &recorder{TB: t}
		Skipf(r, "../shared is not here")
		if (r.skipped != "") != c.skip || (r.failed != "") != c.fail {
			t.Errorf("%s=%q: skipped %q, failed %q", EnvRequire, c.env, r.skipped, r.failed)
		}
		if c.fail && !strings.Contains(r.failed, EnvRequire) {
			t.Errorf("the failure does not say why it is not a skip: %q", r.failed)
		}
	}
}

// A missing ../shared fails the test under PERCH_REQUIRE_SHARED=1.
func TestDirRequired(t *testing.T) {
	t.Setenv(EnvShared, "")
	t.Setenv(EnvRequire, "1")
	r := &recorder{TB: t}
	Path(r, "no-such-file-anywhere.gguf")
	if r.failed == "" || r.skipped != "" {
		t.Errorf("skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}
