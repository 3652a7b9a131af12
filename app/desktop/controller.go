package desktop

import (
	"context"
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// Backend is what the shell needs from the running server. The command line adapts its App
// (engine and settings) to it, so this package does not import the command line.
type Backend interface {
	// Models lists the loaded models.
	Models() []Model
	// Unload stops a model's worker.
	Unload(ctx context.Context, name string) error
	// LaunchAtLogin is the user's setting. The shell reads it at start and whenever the
	// window hides, which is when a user who changed it in Settings is done.
	LaunchAtLogin() bool
}

// Window is the popover window as the controller drives it (Wails in window.go).
type Window interface {
	// Show shows the window with keyboard focus; an attached window is first placed under
	// the tray icon.
	Show(detached bool)
	Hide()
	// SetDetached switches between the frameless popover and a normal resizable window.
	SetDetached(detached bool)
	// Navigate sets the UI's route, a location hash such as "#/settings".
	Navigate(hash string)
	// OpenExternal opens a link in the default browser.
	OpenExternal(url string)
	// PickFolder runs the native folder dialog and returns the folder chosen, or "" when
	// cancelled; it blocks until the dialog closes.
	PickFolder(title string) (string, error)
}

// Tray is the menu-bar status item. fyne.io/systray implements it (tray.go); a cgo
// NSStatusItem shim could replace it on macOS without touching the controller.
type Tray interface {
	// SetMenu replaces the menu; the tray reports clicks with Controller.MenuClicked.
	SetMenu(items []MenuItem)
	// SetBusy switches the icon to its "generating" variant and back.
	SetBusy(busy bool)
}

const (
	// clickAfterBlur: a tray click this soon after the window hid on blur is the click that
	// blurred it (the user clicked the icon to close the popover), so it does not reopen it.
	clickAfterBlur = 300 * time.Millisecond
	// pollLoaded and pollIdle are how often the tray re-reads the loaded models: often while
	// a model is loaded (the icon shows generation), rarely otherwise (a model loaded by
	// another client). The menu is also refreshed each time it opens.
	pollLoaded = time.Second
	pollIdle   = 5 * time.Second
	// unloadTimeout bounds an Unload from the menu.
	unloadTimeout = 30 * time.Second
)

// Controller holds the shell's state (window shown, detached; menu; icon) and turns tray
// clicks, menu clicks and the page's window events into window and tray calls. It is safe
// for concurrent use: tray and page events arrive on their own goroutines.
type Controller struct {
	backend   Backend
	win       Window
	tray      Tray
	log       *slog.Logger
	quit      func()
	loginItem func(enabled bool) error
	now       func() time.Time

	// refreshMu makes refreshes one at a time, so an older read of the models never
	// replaces a newer menu; it is not held with mu, so the window never waits for it.
	refreshMu sync.Mutex

	mu           sync.Mutex
	visible      bool
	detached     bool
	hiddenAt     time.Time
	hiddenByBlur bool
	picking      int       // folder dialogs open: the window keeps itself shown through their blur
	showStart    time.Time // when the last Show began, until the page reports it visible
	menu         []MenuItem
	menuSet      bool
	busy         bool
	loaded       bool
	login        *bool // the login-item state last applied
}

// ControllerOptions configures NewController.
type ControllerOptions struct {
	Backend Backend
	Window  Window
	Tray    Tray
	Log     *slog.Logger
	// Quit ends the desktop app (the caller then stops the server and workers).
	Quit func()
	// LoginItem writes or removes the login item; nil leaves it alone.
	LoginItem func(enabled bool) error
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// NewController returns a controller; the window starts hidden.
func NewController(o ControllerOptions) *Controller {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Quit == nil {
		o.Quit = func() {}
	}
	return &Controller{backend: o.Backend, win: o.Window, tray: o.Tray, log: o.Log, quit: o.Quit, loginItem: o.LoginItem, now: o.Now}
}

// Click is a primary click on the tray icon: it toggles the window.
func (c *Controller) Click() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.visible:
		c.hideLocked(false)
	case c.hiddenByBlur && c.now().Sub(c.hiddenAt) < clickAfterBlur:
		// The click itself took the focus away; the user meant "close".
		c.hiddenByBlur = false
	default:
		c.showLocked()
	}
}

// MenuClicked runs a tray menu item.
func (c *Controller) MenuClicked(id string) {
	switch {
	case id == MenuOpen:
		c.Show("")
	case id == MenuSettings:
		c.Show("#/settings")
	case id == MenuQuit:
		c.log.Info("desktop: quit from the tray menu")
		c.ApplyLoginItem() // a setting changed just before quitting still counts
		c.quit()
	case len(id) > len(MenuUnloadPrefix) && id[:len(MenuUnloadPrefix)] == MenuUnloadPrefix:
		name := id[len(MenuUnloadPrefix):]
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), unloadTimeout)
			defer cancel()
			if err := c.backend.Unload(ctx, name); err != nil {
				c.log.Warn("desktop: unload from the tray menu", "model", name, "err", err)
			}
			c.Refresh()
		}()
	}
}

// Show shows the window (also when it is already shown: it gets the focus), first setting
// the UI's route when hash is not empty.
func (c *Controller) Show(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hash != "" {
		c.win.Navigate(hash)
	}
	c.showLocked()
}

// MenuOpened refreshes the menu as the user opens it, so it is current without polling fast.
func (c *Controller) MenuOpened() { c.Refresh() }

// Page events: what the injected script (shim.go) reports. Names are without the "perch:"
// prefix the page sends.
const (
	EventBlur     = "blur"     // the window lost the focus
	EventEscape   = "escape"   // Esc that the UI did not handle
	EventHide     = "hide"     // the UI asks to hide
	EventHidden   = "hidden"   // the page became invisible (closed, minimised, covered)
	EventVisible  = "visible"  // the page became visible (logs the show latency)
	EventDetach   = "detach"   // make a normal window
	EventAttach   = "attach"   // back to the popover
	EventOpen     = "open"     // open a link (argument) in the browser
	EventSelfTest = "selftest" // result of the streaming self-test (argument)
	EventReady    = "ready"    // a page loaded; the argument is its origin
)

// PageEvents lists the events HandlePage accepts.
var PageEvents = []string{EventBlur, EventEscape, EventHide, EventHidden, EventVisible, EventDetach, EventAttach, EventOpen, EventSelfTest, EventReady}

// HandlePage handles a window event from the page.
func (c *Controller) HandlePage(name, arg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch name {
	case EventBlur:
		if c.visible && !c.detached && c.picking == 0 {
			c.hideLocked(true)
		}
	case EventEscape:
		if c.visible && !c.detached {
			c.hideLocked(false)
		}
	case EventHide:
		if c.visible {
			c.hideLocked(false)
		}
	case EventHidden:
		// Hidden behind our back (the close button hides the window natively, or it is
		// minimised or covered): the next tray click must show it, not "hide" it again.
		c.visible = false
	case EventVisible:
		// Not taken as "shown": the pre-warm makes the page visible unseen. Shows come from
		// the controller, which already counts the window as visible.
		if !c.showStart.IsZero() {
			// The page is visible once the window is mapped and painted: this is the
			// latency a user sees, from the click (or menu item) to the window.
			c.log.Info("desktop: window shown", "latency_ms", float64(c.now().Sub(c.showStart).Microseconds())/1000)
			c.showStart = time.Time{}
		}
	case EventDetach:
		if !c.detached {
			c.detached = true
			c.win.SetDetached(true)
		}
	case EventAttach:
		if c.detached {
			c.detached = false
			c.win.SetDetached(false)
			c.showLocked()
		}
	case EventOpen:
		if u, err := url.Parse(arg); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			c.win.OpenExternal(u.String())
		} else {
			c.log.Warn("desktop: refused to open a link", "url", arg)
		}
	case EventSelfTest:
		c.log.Info("desktop: streaming self-test", "result", arg)
	}
}

func (c *Controller) showLocked() {
	if !c.visible {
		c.showStart = c.now()
	}
	c.win.Show(c.detached)
	c.visible = true
	c.hiddenByBlur = false
}

func (c *Controller) hideLocked(byBlur bool) {
	c.win.Hide()
	c.visible = false
	c.hiddenAt = c.now()
	c.hiddenByBlur = byBlur
	// The user may have changed "launch at login" in Settings; apply it off this goroutine.
	go c.ApplyLoginItem()
}

// Visible reports whether the controller believes the window is shown.
func (c *Controller) Visible() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.visible
}

// Refresh re-reads the loaded models and updates the menu and the icon when they changed.
func (c *Controller) Refresh() {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	models := c.backend.Models()
	menu := BuildMenu(models)
	busy := anyGenerating(models)
	c.mu.Lock()
	setMenu := !c.menuSet || !menuEqual(menu, c.menu)
	setBusy := busy != c.busy
	c.menu, c.menuSet, c.busy, c.loaded = menu, true, busy, len(models) > 0
	c.mu.Unlock()
	// The tray calls run outside mu: on macOS they wait for the main thread.
	if setMenu {
		c.tray.SetMenu(menu)
	}
	if setBusy {
		c.tray.SetBusy(busy)
	}
}

// ApplyLoginItem makes the login item match the setting, touching the disk only when the
// setting differs from what was last applied.
func (c *Controller) ApplyLoginItem() {
	if c.loginItem == nil {
		return
	}
	want := c.backend.LaunchAtLogin()
	c.mu.Lock()
	same := c.login != nil && *c.login == want
	c.mu.Unlock()
	if same {
		return
	}
	if err := c.loginItem(want); err != nil {
		c.log.Warn("desktop: launch at login", "enabled", want, "err", err)
		return
	}
	c.mu.Lock()
	c.login = &want
	c.mu.Unlock()
	c.log.Debug("desktop: launch at login applied", "enabled", want)
}

// Run keeps the tray current until ctx ends: it polls the loaded models, often while one is
// loaded and rarely otherwise, so an idle app does not wake up.
func (c *Controller) Run(ctx context.Context) {
	c.ApplyLoginItem()
	for {
		c.Refresh()
		c.mu.Lock()
		wait := pollIdle
		if c.loaded {
			wait = pollLoaded
		}
		c.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
