//go:build desktop

package desktop

import (
	"runtime"
	"sync"

	"fyne.io/systray"

	"github.com/perchapp/perch/app/desktop/icons"
)

// systrayTray is the Tray on fyne.io/systray: an NSStatusItem on macOS, a D-Bus
// StatusNotifierItem with a com.canonical.dbusmenu menu on Linux.
type systrayTray struct {
	onClick  func() // primary click on the icon
	onMenu   func(id string)
	onOpened func() // the menu is about to open

	mu    sync.Mutex
	ready bool
	menu  []MenuItem
	busy  bool
}

func newSystrayTray(onClick func(), onMenu func(string), onOpened func()) *systrayTray {
	return &systrayTray{onClick: onClick, onMenu: onMenu, onOpened: onOpened}
}

// register prepares the tray with fyne.io/systray's external-loop mode (Wails runs the event
// loop). start must run on the main thread on macOS, before wails.Run; elsewhere it may run
// from OnStartup. end removes the icon.
func (t *systrayTray) register() (start, end func()) {
	return systray.RunWithExternalLoop(t.onReady, nil)
}

// onReady runs on its own goroutine once the status item exists.
func (t *systrayTray) onReady() {
	systray.SetTooltip("Perch")
	if runtime.GOOS != "darwin" {
		systray.SetTitle("Perch")
	}
	systray.SetOnTapped(t.onClick)
	t.mu.Lock()
	t.ready = true
	menu, busy := t.menu, t.busy
	t.mu.Unlock()
	setIcon(busy)
	if menu != nil {
		buildMenu(menu, t.onMenu)
	}
	go func() {
		for range systray.TrayOpenedCh {
			t.onOpened()
		}
	}()
}

func (t *systrayTray) SetMenu(items []MenuItem) {
	t.mu.Lock()
	t.menu = items
	ready := t.ready
	t.mu.Unlock()
	if ready {
		buildMenu(items, t.onMenu)
	}
}

func (t *systrayTray) SetBusy(busy bool) {
	t.mu.Lock()
	t.busy = busy
	ready := t.ready
	t.mu.Unlock()
	if ready {
		setIcon(busy)
	}
}

func setIcon(busy bool) {
	if runtime.GOOS == "darwin" {
		img := icons.Template
		if busy {
			img = icons.TemplateBusy
		}
		systray.SetTemplateIcon(img, img)
		return
	}
	img := icons.Tray
	if busy {
		img = icons.TrayBusy
	}
	systray.SetIcon(img)
}

// buildMenu replaces the whole menu: fyne.io/systray appends items and cannot insert, and
// the menu changes only when a model loads, unloads or starts or stops generating.
var menuMu sync.Mutex

func buildMenu(items []MenuItem, onMenu func(string)) {
	menuMu.Lock()
	defer menuMu.Unlock()
	systray.ResetMenu()
	for _, it := range items {
		addItem(nil, it, onMenu)
	}
}

func addItem(parent *systray.MenuItem, it MenuItem, onMenu func(string)) {
	if it.Separator {
		if parent == nil {
			systray.AddSeparator()
		} else {
			parent.AddSeparator()
		}
		return
	}
	var mi *systray.MenuItem
	if parent == nil {
		mi = systray.AddMenuItem(it.Title, "")
	} else {
		mi = parent.AddSubMenuItem(it.Title, "")
	}
	if it.Disabled {
		mi.Disable()
	}
	for _, child := range it.Children {
		addItem(mi, child, onMenu)
	}
	if it.ID == "" {
		return
	}
	// ClickedCh is closed when ResetMenu removes the item, which ends this goroutine. The
	// library drops a click when nobody is receiving, so the action runs on its own goroutine.
	go func(id string, ch <-chan struct{}) {
		for range ch {
			go onMenu(id)
		}
	}(it.ID, mi.ClickedCh)
}
