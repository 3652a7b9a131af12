package desktop

import (
	"context"
	"errors"
	"sync"
)

// FolderPicker gives the server (api.FolderPicker) the window's native folder dialog, so the
// UI's "Choose folder…" asks over HTTP like everything else and no data crosses the Wails
// bridge. It works while Run has the window open.
type FolderPicker struct {
	mu  sync.Mutex
	ctl *Controller
}

// NewFolderPicker returns a picker for Options.Picker; until Run starts the window it answers
// that the window is not open.
func NewFolderPicker() *FolderPicker { return &FolderPicker{} }

func (p *FolderPicker) attach(c *Controller) {
	p.mu.Lock()
	p.ctl = c
	p.mu.Unlock()
}

// errNoWindow: the picker was asked before the window started or after it closed.
var errNoWindow = errors.New("desktop: the Perch window is not open, so there is no folder dialog")

// PickFolder shows the folder dialog and returns the chosen folder, or "" when cancelled.
func (p *FolderPicker) PickFolder(ctx context.Context, title string) (string, error) {
	p.mu.Lock()
	c := p.ctl
	p.mu.Unlock()
	if c == nil {
		return "", errNoWindow
	}
	return c.PickFolder(ctx, title)
}

type pickResult struct {
	path string
	err  error
}

// PickFolder shows the window and its native folder dialog. The window stays up while the
// dialog has the focus (it would otherwise hide on blur). Wails runs the dialog on the main
// thread and blocks the caller until it closes, so this must be called off the main thread
// (the server's request goroutines are). Cancelling ctx returns at once; the dialog stays
// until the person closes it.
func (c *Controller) PickFolder(ctx context.Context, title string) (string, error) {
	c.mu.Lock()
	c.picking++
	c.showLocked()
	c.mu.Unlock()
	done := make(chan pickResult, 1)
	go func() {
		path, err := c.win.PickFolder(title)
		c.mu.Lock()
		c.picking--
		c.mu.Unlock()
		done <- pickResult{path, err}
	}()
	select {
	case r := <-done:
		return r.path, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
