package desktop

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

type fakeWindow struct {
	mu    sync.Mutex
	calls []string
	// dialog, when set, runs while the folder dialog is open and gives its answer.
	dialog func() (string, error)
}

func (w *fakeWindow) record(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, s)
}

func (w *fakeWindow) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	return c
}

func (w *fakeWindow) Show(detached bool) {
	if detached {
		w.record("show detached")
	} else {
		w.record("show")
	}
}
func (w *fakeWindow) Hide() { w.record("hide") }
func (w *fakeWindow) SetDetached(d bool) {
	if d {
		w.record("detach")
	} else {
		w.record("attach")
	}
}
func (w *fakeWindow) Navigate(h string)     { w.record("navigate " + h) }
func (w *fakeWindow) OpenExternal(u string) { w.record("open " + u) }
func (w *fakeWindow) PickFolder(title string) (string, error) {
	w.record("pick " + title)
	if w.dialog == nil {
		return "", nil
	}
	return w.dialog()
}

type fakeTray struct {
	mu    sync.Mutex
	menus [][]MenuItem
	busy  []bool
}

func (t *fakeTray) SetMenu(m []MenuItem) { t.mu.Lock(); t.menus = append(t.menus, m); t.mu.Unlock() }
func (t *fakeTray) SetBusy(b bool)       { t.mu.Lock(); t.busy = append(t.busy, b); t.mu.Unlock() }

type fakeBackend struct {
	mu       sync.Mutex
	models   []Model
	unloaded chan string
	login    bool
}

func (b *fakeBackend) Models() []Model { b.mu.Lock(); defer b.mu.Unlock(); return b.models }
func (b *fakeBackend) Unload(_ context.Context, name string) error {
	b.mu.Lock()
	b.models = nil
	b.mu.Unlock()
	b.unloaded <- name
	return nil
}
func (b *fakeBackend) LaunchAtLogin() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.login }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestController() (*Controller, *fakeWindow, *fakeTray, *fakeBackend, *clock) {
	w, tr, b := &fakeWindow{}, &fakeTray{}, &fakeBackend{unloaded: make(chan string, 1)}
	clk := &clock{t: time.Unix(1000, 0)}
	c := NewController(ControllerOptions{Backend: b, Window: w, Tray: tr, Now: clk.now})
	return c, w, tr, b, clk
}

func expectCalls(t *testing.T, w *fakeWindow, want ...string) {
	t.Helper()
	if got := w.take(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("window calls = %q, want %q", got, want)
	}
}

func TestClickToggles(t *testing.T) {
	c, w, _, _, _ := newTestController()
	c.Click()
	expectCalls(t, w, "show")
	c.Click()
	expectCalls(t, w, "hide")
	c.Click()
	expectCalls(t, w, "show")
}

func TestBlurHidesAndTheBlurringClickDoesNotReopen(t *testing.T) {
	c, w, _, _, clk := newTestController()
	c.Click()
	c.HandlePage(EventBlur, "")
	expectCalls(t, w, "show", "hide")
	// The click on the tray icon is what took the focus: it must not reopen the window.
	clk.t = clk.t.Add(100 * time.Millisecond)
	c.Click()
	expectCalls(t, w)
	// A later click opens it.
	clk.t = clk.t.Add(time.Second)
	c.Click()
	expectCalls(t, w, "show")
	// Blur long before a click: the click opens.
	c.HandlePage(EventBlur, "")
	clk.t = clk.t.Add(time.Second)
	c.Click()
	expectCalls(t, w, "hide", "show")
}

func TestEscapeAndCloseAndDetach(t *testing.T) {
	c, w, _, _, _ := newTestController()
	c.Click()
	c.HandlePage(EventEscape, "")
	expectCalls(t, w, "show", "hide")
	c.HandlePage(EventEscape, "") // already hidden: nothing
	expectCalls(t, w)

	c.Click()
	c.HandlePage(EventDetach, "")
	c.HandlePage(EventBlur, "")   // a detached window is a normal window: stays
	c.HandlePage(EventEscape, "") // and Esc belongs to the page
	expectCalls(t, w, "show", "detach")
	if !c.Visible() {
		t.Fatal("detached window hid on blur or Esc")
	}
	// Its close button hides it natively; the page reports it; the next click shows it.
	c.HandlePage(EventHidden, "")
	c.Click()
	expectCalls(t, w, "show detached")
	c.HandlePage(EventAttach, "")
	expectCalls(t, w, "attach", "show")
	c.HandlePage(EventBlur, "")
	expectCalls(t, w, "hide")
}

func TestMenuActions(t *testing.T) {
	c, w, tr, b, _ := newTestController()
	c.MenuClicked(MenuSettings)
	expectCalls(t, w, "navigate #/settings", "show")
	c.MenuClicked(MenuOpen)
	expectCalls(t, w, "show")

	b.models = []Model{{Name: "stories260k", Generating: true}}
	c.Refresh()
	c.Refresh() // unchanged: no second SetMenu
	if len(tr.menus) != 1 || !reflect.DeepEqual(tr.busy, []bool{true}) {
		t.Fatalf("menus %d busy %v", len(tr.menus), tr.busy)
	}
	c.MenuClicked(MenuUnloadPrefix + "stories260k")
	select {
	case name := <-b.unloaded:
		if name != "stories260k" {
			t.Fatalf("unloaded %q", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Unload was not called")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		tr.mu.Lock()
		n, busy := len(tr.menus), tr.busy
		tr.mu.Unlock()
		if n == 2 && reflect.DeepEqual(busy, []bool{true, false}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("menu not refreshed after unload: menus %d busy %v", n, busy)
		}
		time.Sleep(10 * time.Millisecond)
	}

	quit := make(chan struct{})
	c.quit = func() { close(quit) }
	c.MenuClicked(MenuQuit)
	<-quit
}

func TestOpenLinks(t *testing.T) {
	c, w, _, _, _ := newTestController()
	c.HandlePage(EventOpen, "https://huggingface.co/ggml-org")
	c.HandlePage(EventOpen, "file:///etc/passwd")
	c.HandlePage(EventOpen, "javascript:alert(1)")
	expectCalls(t, w, "open https://huggingface.co/ggml-org")
}

func TestLoginItemAppliedOnChangeOnly(t *testing.T) {
	c, _, _, b, _ := newTestController()
	var applied []bool
	fail := true
	c.loginItem = func(on bool) error {
		if fail {
			fail = false
			return errors.New("disk full")
		}
		applied = append(applied, on)
		return nil
	}
	c.ApplyLoginItem() // fails: retried next time
	c.ApplyLoginItem()
	c.ApplyLoginItem() // unchanged
	b.login = true
	c.ApplyLoginItem()
	if !reflect.DeepEqual(applied, []bool{false, true}) {
		t.Fatalf("applied %v", applied)
	}
}
