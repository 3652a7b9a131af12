//go:build desktop

package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/desktop"
)

// desktopBuilt says the desktop shell is in this build (desktop_off.go says it is not).
const desktopBuilt = true

// runDesktop runs the server exactly as `perch serve` does and the desktop shell in front
// of it; quitting from the tray (or a signal) stops the server and every worker.
func runDesktop(cmd *cobra.Command) error {
	if err := desktop.Available(); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "perch: no desktop here (%v); serving the web UI instead\n", err)
		return runServeDefaults(cmd)
	}
	picker := desktop.NewFolderPicker()
	app, err := openApp(serveFlags{folderPicker: picker})
	if err != nil {
		return err
	}
	defer app.Close()

	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	ready := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, func(url string) { ready <- url }) }()
	var url string
	select {
	case url = <-ready:
	case err := <-served:
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Perch is running in the menu bar; the web UI is also at %s\n", url)

	// Run stays on this goroutine: it is the main thread the GUI toolkits require.
	err = desktop.Run(ctx, desktop.Options{URL: url, Backend: desktopBackend{app}, Log: app.log, Picker: picker})
	cancel()
	if serr := <-served; serr != nil && !errors.Is(serr, context.Canceled) && err == nil {
		err = serr
	}
	return err
}

// desktopBackend shows the app's engine and settings to the shell.
type desktopBackend struct{ app *App }

func (b desktopBackend) Models() []desktop.Model {
	loaded := b.app.engine.Resident()
	out := make([]desktop.Model, 0, len(loaded))
	for _, s := range loaded {
		out = append(out, desktop.Model{Name: s.Name, Generating: s.Generating})
	}
	return out
}

func (b desktopBackend) Unload(ctx context.Context, name string) error {
	return b.app.engine.Unload(ctx, name)
}

func (b desktopBackend) LaunchAtLogin() bool { return b.app.settings.Get().LaunchAtLogin }
