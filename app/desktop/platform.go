//go:build desktop

package desktop

import (
	"context"
	"time"

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
	// prewarm draws the hidden window once, unseen, after the UI loaded, so that the first
	// show is as fast as later ones; it may do nothing.
	prewarm()
	// captureAnchor runs on the tray click's own thread (the main thread on macOS), where the
	// click's event, and with it the status item's frame, can be read.
	captureAnchor()
	// quitting runs after Wails was asked to quit.
	quitting()
	// showing marks the start of a show, for timings.
	showing()
	// timings reports how long after the last show began the window was mapped and first
	// drew; ok is false where the platform does not measure it.
	timings() (mapped, drawn time.Duration, ok bool)
	// place moves the hidden popover under the tray icon.
	place(ctx context.Context, w, h int)
	// setDetached switches between the frameless floating popover and a normal window.
	setDetached(ctx context.Context, detached bool)
	// focus brings the shown window to the front with the keyboard focus.
	focus(ctx context.Context)
	// onAppEvents sets what opening the running app again (macOS: from the Finder, Spotlight
	// or Launchpad; other platforms start a second process instead) and the system's quit
	// request (macOS: ⌘Q, the Dock, AppleScript) do.
	onAppEvents(reopen, quit func())
}
