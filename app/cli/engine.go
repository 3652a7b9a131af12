package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/engine/worker"
)

// newEngineCmd is the hidden worker: one model, served to the parent over a Unix socket. The
// worker parses its own flags so tests can start it without this package.
func newEngineCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "engine",
		Short:              "Run one model as a worker for the app (internal)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := worker.Main(cmd.Context(), args, os.Stdin, os.Stdout, os.Stderr); code != 0 {
				return ExitError{Code: code}
			}
			return nil
		},
	}
}
