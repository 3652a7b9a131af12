// Package cli holds Perch's commands (cobra), one file each: serve, run, pull, list, show, rm,
// ps, fit, bench, search, doctor, and the hidden engine worker. Each command parses its flags
// and calls into the app and engine packages; the logic lives there.
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
	for _, add := range commands {
		root.AddCommand(add())
	}
	return root
}

// versionString is the binary's version, for the API's /api/version.
var versionString = "0.0.0"

// commands is filled by each command's file in its init, so adding a command touches one file.
var commands []func() *cobra.Command

func register(f func() *cobra.Command) { commands = append(commands, f) }
