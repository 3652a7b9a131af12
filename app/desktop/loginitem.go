package desktop

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// BundleID is Perch's macOS bundle identifier (build/darwin/Info.plist); the login item's
// launchd label derives from it.
const BundleID = "app.perch.Perch"

// launchAgentLabel names the LaunchAgent that starts Perch at login.
const launchAgentLabel = BundleID + ".login"

// LoginItem is the file that starts Perch when the user logs in: a LaunchAgent property list
// on macOS (launchd reads ~/Library/LaunchAgents at login), an XDG autostart entry on Linux.
type LoginItem struct {
	Path string
	Data []byte
}

// LaunchAgent renders the LaunchAgent for the executable exe under home. It runs the app
// once at login (RunAtLoad) and is not kept alive, so Quit stays quit; Interactive and the
// Aqua session type mark it as a GUI app.
func LaunchAgent(home, exe string) LoginItem {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + launchAgentLabel + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>`)
	_ = xml.EscapeText(&b, []byte(exe)) // writing to a bytes.Buffer does not fail
	b.WriteString(`</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<false/>
	<key>ProcessType</key>
	<string>Interactive</string>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
</dict>
</plist>
`)
	return LoginItem{Path: filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel+".plist"), Data: b.Bytes()}
}

// XDGAutostart renders the autostart desktop entry for exe under the XDG config directory.
func XDGAutostart(configHome, exe string) LoginItem {
	// Exec takes a quoted argument; inside quotes, \ " ` $ are escaped with a backslash.
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", "$", `\$`).Replace(exe)
	data := "[Desktop Entry]\nType=Application\nName=Perch\nComment=Run language models on your own computer\nExec=\"" + q + "\"\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
	return LoginItem{Path: filepath.Join(configHome, "autostart", "perch.desktop"), Data: []byte(data)}
}

// DefaultLoginItem returns the login item for this platform and this executable.
func DefaultLoginItem() (LoginItem, error) {
	exe, err := os.Executable()
	if err != nil {
		return LoginItem{}, fmt.Errorf("find own executable: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	switch runtime.GOOS {
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return LoginItem{}, fmt.Errorf("login item: %w", err)
		}
		return LaunchAgent(home, exe), nil
	case "linux", "freebsd", "openbsd", "netbsd":
		dir, err := os.UserConfigDir() // $XDG_CONFIG_HOME or ~/.config
		if err != nil {
			return LoginItem{}, fmt.Errorf("login item: %w", err)
		}
		return XDGAutostart(dir, exe), nil
	}
	return LoginItem{}, fmt.Errorf("launch at login is not supported on %s", runtime.GOOS)
}

// Apply writes the login item when enabled (only if its content differs, so an app that
// moved is found again) and removes it when not.
func (li LoginItem) Apply(enabled bool) error {
	if !enabled {
		if err := os.Remove(li.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove login item: %w", err)
		}
		return nil
	}
	if cur, err := os.ReadFile(li.Path); err == nil && bytes.Equal(cur, li.Data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(li.Path), 0o755); err != nil {
		return fmt.Errorf("write login item: %w", err)
	}
	if err := os.WriteFile(li.Path, li.Data, 0o644); err != nil {
		return fmt.Errorf("write login item: %w", err)
	}
	return nil
}
