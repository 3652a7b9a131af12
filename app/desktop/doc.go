// Package desktop is Perch's desktop shell: the menu-bar (tray) icon with its menu, and the
// popover window that shows the web UI. It is built only with the `desktop` build tag; the
// files without that tag (window placement, the tray menu model, the window controller, the
// login item) are plain Go so they can be unit-tested without cgo, WebKit or a display.
//
// The shell owns no data. The window loads the very same HTTP server a browser uses (its own
// origin, so SSE and the Host/Origin checks work unchanged), and the tray reads the loaded
// models through the small Backend interface that the command line adapts from its *App.
// The page talks to the shell only for window management: a small script injected after each
// load defines window.perchDesktop (see shim.go).
package desktop
