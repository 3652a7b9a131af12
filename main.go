// Command perch runs language models on your own Mac: a menu-bar app, a local OpenAI- and
// Ollama-compatible server, and a command line in the manner of ollama.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/perchapp/perch/app/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := cli.New(version).ExecuteContext(ctx)
	if err == nil {
		return
	}
	var exit cli.ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(os.Stderr, "perch:", exit.Err)
		}
		os.Exit(exit.Code)
	}
	fmt.Fprintln(os.Stderr, "perch:", err)
	os.Exit(1)
}
