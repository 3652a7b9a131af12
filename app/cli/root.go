// Package cli holds Perch's commands (cobra), one file each and all listed in New: serve,
// run, pull, list, show, cp, rm, ps, fit, search, bench, doctor, and the hidden engine worker.
// Each command parses its flags and calls into the app and engine packages; the logic lives
// there. What differs between builds is a file pair with build tags (desktop_on.go,
// desktop_off.go), not a hook set from init.
package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// ExitError carries a process exit code out of a command.
type ExitError struct {
	Code int
	Err  error
}

func (e ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e ExitError) Unwrap() error { return e.Err }

// New returns the root command. Without a subcommand it starts the desktop app where the
// binary was built with it, and the server otherwise.
func New(version string) *cobra.Command {
	versionString = version
	root := &cobra.Command{
		Use:           "perch",
		Short:         "Run language models on your own Mac",
		Long:          "Perch runs GGUF language models with llama.cpp: a menu-bar app, a local OpenAI- and Ollama-compatible server at http://127.0.0.1:11435, and this command line.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDefault(cmd)
		},
	}
	root.AddCommand(
		newServeCmd(),  // serve.go: the API server and web UI
		newRunCmd(),    // run.go: chat with a model in the terminal
		newPullCmd(),   // pull.go
		newListCmd(),   // list.go (ls)
		newShowCmd(),   // show.go
		newCpCmd(),     // cp.go
		newRmCmd(),     // rm.go
		newPsCmd(),     // ps.go: what the running server has loaded
		newFitCmd(),    // fit.go: does a model fit in memory
		newSearchCmd(), // search.go: the catalog and Hugging Face
		newBenchCmd(),  // bench.go
		newDoctorCmd(), // doctor.go
		newRemoteCmd(), // remote_cmd.go: models on other machines
		newEngineCmd(), // engine.go: the hidden worker
	)
	return root
}

// versionString is the binary's version, for the API's /api/version.
var versionString = "0.0.0"
