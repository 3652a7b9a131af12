//go:build desktop

package desktop

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/menu"
)

// platform is what differs between macOS and Linux in the shell: where the tray icon is, how
// the window becomes a popover or a normal window, the application menu.
type platform interface {
	// beforeRun runs on the main thread before wails.Run.
	beforeRun()
	// appMenu is the application menu, or nil for none.
	appMenu() *menu.Menu
	// started runs once the window exists (from Wails' OnStartup, on a goroutine).
	started(ctx context.Context)
	// captureAnchor runs on the tray click's own thread (the main thread on macOS), where the
	// click's event, and with it the status item's frame, can be read.
	captureAnchor()
	// place moves the hidden popover under the tray icon.
	place(ctx context.Context, w, h int)
	// setDetached switches between the frameless floating popover and a normal window.
	setDetached(ctx context.Context, detached bool)
	// focus brings the shown window to the front with the keyboard focus.
	focus(ctx context.Context)
}
