package deptest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/perchapp/perch"

// rule is one row of the table: packages and the imports they must not link.
type rule struct {
	pkgs, banned []string
}

var code = regexp.MustCompile("`([^`]+)`")

// readRules parses the package table of docs/architecture.md.
func readRules(t *testing.T, path string) []rule {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rules []rule
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) != 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue // not a row of the package table
		}
		var r rule
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			r.pkgs = append(r.pkgs, m[1])
		}
		for _, m := range code.FindAllStringSubmatch(cells[3], -1) {
			r.banned = append(r.banned, m[1])
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rules
}

// importPath makes a module-relative path in the table a full import path.
func importPath(p string) string {
	switch {
	case p == ".":
		return module
	case p == "app", strings.HasPrefix(p, "app/"), strings.HasPrefix(p, "engine"), strings.HasPrefix(p, "frontend"):
		return module + "/" + p
	}
	return p
}

// matches says whether dep is what pattern forbids: the path itself, or with a trailing
// "/…" also anything below it.
func matches(pattern, dep string) bool {
	for _, ell := range []string{"/…", "/..."} {
		if base, ok := strings.CutSuffix(pattern, ell); ok {
			base = importPath(base)
			return dep == base || strings.HasPrefix(dep, base+"/")
		}
	}
	return dep == importPath(pattern)
}

// deps lists what pkg links, itself left out.
func deps(t *testing.T, root, pkg string, tags string) []string {
	t.Helper()
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, importPath(pkg))...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, msg)
	}
	var ds []string
	for _, d := range strings.Fields(string(out)) {
		if d != importPath(pkg) {
			ds = append(ds, d)
		}
	}
	return ds
}

// TestBoundaries fails when a package links what docs/architecture.md says it must not:
// llama.cpp's bindings in app/api, app/docs or app/library, package testing in the shipped
// binary, app/… in engine, and the rest of the table's last column.
func TestBoundaries(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	rules := readRules(t, filepath.Join(root, "docs", "architecture.md"))
	if len(rules) < 10 {
		t.Fatalf("read %d rows from docs/architecture.md's package table; is the table still there?", len(rules))
	}
	for _, r := range rules {
		for _, pkg := range r.pkgs {
			builds := []string{""}
			if pkg == "." {
				builds = append(builds, "desktop,production,webkit2_41")
			}
			for _, tags := range builds {
				for _, d := range deps(t, root, pkg, tags) {
					for _, b := range r.banned {
						if matches(b, d) {
							t.Errorf("%s links %s (tags %q), which docs/architecture.md says it must not import; "+
								"`go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./%s | grep %s` shows who imports it", pkg, d, tags, pkg, d)
						}
					}
				}
			}
		}
	}
}

// The matcher itself: the table's patterns mean what the page says.
func TestMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, dep string
		want         bool
	}{
		{"testing", "testing", true},
		{"testing", "testing/fstest", false},
		{"app/…", module + "/app/api", true},
		{"app/…", module + "/apps", false},
		{"engine/llama", module + "/engine/llama", true},
		{"engine/llama", module + "/engine/llamax", false},
		{"github.com/hybridgroup/yzma/…", "github.com/hybridgroup/yzma/pkg/llama", true},
		{"net/http", "net/http/httptest", false},
	} {
		if got := matches(c.pattern, c.dep); got != c.want {
			t.Errorf("matches(%q, %q) = %v, want %v", c.pattern, c.dep, got, c.want)
		}
	}
}
