package cli

import "github.com/spf13/cobra"

// runDefault is what a bare `perch` does; the desktop build replaces it (desktop.go).
var runDefault = func(cmd *cobra.Command) error {
	return cmd.Help()
}
