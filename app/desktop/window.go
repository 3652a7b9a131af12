//go:build desktop

package desktop

import (
	"context"
	"encoding/json"
	"os"
	"sync"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// wailsWindow is the Window on Wails' runtime. Its context is set in OnStartup; calls before
// that are dropped (the controller shows nothing before the tray exists).
type wailsWindow struct {
	plat platform
	// firstShow runs once, after the window is first shown (the desktop test's streaming
	// self-test).
	firstShow func(ctx context.Context)
	once      sync.Once

	mu  sync.Mutex
	ctx context.Context
}

func (w *wailsWindow) setContext(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
}

func (w *wailsWindow) context() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx
}

func (w *wailsWindow) Show(detached bool) {
	ctx := w.context()
	if ctx == nil {
		return
	}
	w.plat.showing()
	if !detached {
		w.plat.place(ctx, PopoverWidth, PopoverHeight)
	}
	wruntime.WindowShow(ctx)
	w.plat.focus(ctx)
	if w.firstShow != nil {
		w.once.Do(func() { w.firstShow(ctx) })
	}
}

func (w *wailsWindow) Hide() {
	if ctx := w.context(); ctx != nil {
		wruntime.WindowHide(ctx)
	}
}

func (w *wailsWindow) SetDetached(detached bool) {
	ctx := w.context()
	if ctx == nil {
		return
	}
	w.plat.setDetached(ctx, detached)
	if detached {
		wruntime.WindowSetSize(ctx, DetachedWidth, DetachedHeight)
		wruntime.WindowCenter(ctx)
	} else {
		wruntime.WindowSetSize(ctx, PopoverWidth, PopoverHeight)
	}
}

func (w *wailsWindow) Navigate(hash string) {
	if ctx := w.context(); ctx != nil {
		h, _ := json.Marshal(hash) // a string always marshals; JSON is a JS string literal
		wruntime.WindowExecJS(ctx, "location.hash = "+string(h)+";")
	}
}

func (w *wailsWindow) OpenExternal(url string) {
	if ctx := w.context(); ctx != nil {
		wruntime.BrowserOpenURL(ctx, url)
	}
}

// PickFolder runs Wails' folder dialog: a sheet on the window on macOS, a GTK dialog over it
// on Linux. Wails dispatches it to the main thread and waits, so it is called off it.
func (w *wailsWindow) PickFolder(title string) (string, error) {
	ctx := w.context()
	if ctx == nil {
		return "", errNoWindow
	}
	home, _ := os.UserHomeDir() // "" opens the dialog wherever the toolkit likes
	return wruntime.OpenDirectoryDialog(ctx, wruntime.OpenDialogOptions{Title: title, DefaultDirectory: home, CanCreateDirectories: true})
}
