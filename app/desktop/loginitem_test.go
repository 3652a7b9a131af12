package desktop

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLaunchAgentPlist(t *testing.T) {
	li := LaunchAgent("/Users/ada", "/Applications/Perch & Co.app/Contents/MacOS/perch")
	if li.Path != "/Users/ada/Library/LaunchAgents/app.perch.Perch.login.plist" {
		t.Fatalf("path %s", li.Path)
	}
	// The plist is well-formed XML and carries the escaped path.
	dec := xml.NewDecoder(bytes.NewReader(li.Data))
	dec.Strict = true
	var strs []string
	inString := false
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("plist is not well-formed XML: %v\n%s", err, li.Data)
			}
			break
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inString = v.Name.Local == "string"
		case xml.EndElement:
			inString = false
		case xml.CharData:
			if inString {
				strs = append(strs, string(v))
			}
		}
	}
	want := []string{"app.perch.Perch.login", "/Applications/Perch & Co.app/Contents/MacOS/perch", "Interactive", "Aqua"}
	if strings.Join(strs, "|") != strings.Join(want, "|") {
		t.Fatalf("plist strings %q, want %q", strs, want)
	}
	for _, k := range []string{"<key>RunAtLoad</key>\n\t<true/>", "<key>KeepAlive</key>\n\t<false/>"} {
		if !bytes.Contains(li.Data, []byte(k)) {
			t.Fatalf("plist lacks %q:\n%s", k, li.Data)
		}
	}
}

func TestXDGAutostart(t *testing.T) {
	li := XDGAutostart("/home/ada/.config", `/opt/my "perch"/bin/perch`)
	if li.Path != "/home/ada/.config/autostart/perch.desktop" {
		t.Fatalf("path %s", li.Path)
	}
	if !strings.Contains(string(li.Data), `Exec="/opt/my \"perch\"/bin/perch"`+"\n") {
		t.Fatalf("entry:\n%s", li.Data)
	}
}

func TestLoginItemApply(t *testing.T) {
	dir := t.TempDir()
	li := LaunchAgent(dir, "/Applications/Perch.app/Contents/MacOS/perch")
	if err := li.Apply(false); err != nil { // nothing to remove
		t.Fatal(err)
	}
	if err := li.Apply(true); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(li.Path)
	if err != nil || !bytes.Equal(got, li.Data) {
		t.Fatalf("written %q, %v", got, err)
	}
	// An app that moved rewrites the file.
	moved := LaunchAgent(dir, "/Users/ada/Applications/Perch.app/Contents/MacOS/perch")
	if err := moved.Apply(true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(li.Path); !bytes.Equal(got, moved.Data) {
		t.Fatal("a moved app did not rewrite the login item")
	}
	if err := li.Apply(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Library", "LaunchAgents", "app.perch.Perch.login.plist")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("login item not removed: %v", err)
	}
}
