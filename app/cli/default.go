package cli

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
)

// runDefault is what a bare `perch` does: the desktop app where it was built in and there is
// a display, and otherwise the server with the web UI's address printed, as `perch serve`.
// runDesktop (desktop_on.go, desktop_off.go) starts the desktop app.
func runDefault(cmd *cobra.Command) error {
	if desktopBuilt && hasDisplay(runtime.GOOS, os.Getenv) {
		return runDesktop(cmd)
	}
	return runServeDefaults(cmd)
}

// hasDisplay reports whether a window can be shown: always on macOS and Windows, and on
// other systems when an X11 or Wayland display is set.
func hasDisplay(goos string, getenv func(string) string) bool {
	switch goos {
	case "darwin", "windows":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// runServeDefaults runs `perch serve` with its default flags, so both paths share one
// implementation.
func runServeDefaults(cmd *cobra.Command) error {
	serve, _, err := cmd.Root().Find([]string{"serve"})
	if err != nil || serve == nil || serve.RunE == nil || serve == cmd.Root() {
		return fmt.Errorf("perch: the serve command is missing from this build")
	}
	serve.SetContext(cmd.Context())
	return serve.RunE(serve, nil)
}
