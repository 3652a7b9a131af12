// Command perch-engine is the worker-only executable: one loaded model, served to the app over
// a Unix socket, exactly as `perch engine` does, without linking the app (UI, stores, desktop
// shell). The app starts it when it sits beside perch and comes from the same build.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/worker"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == engine.BuildIDFlag {
		fmt.Println(engine.BuildID)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	code := worker.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
