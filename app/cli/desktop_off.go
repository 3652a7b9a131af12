//go:build !desktop

package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// desktopBuilt says the desktop shell is not in this build: build with the desktop tag
// (desktop_on.go) for the tray and window.
const desktopBuilt = false

func runDesktop(*cobra.Command) error {
	return errors.New("this perch was built without the desktop app (build tag desktop); run perch serve")
}
