package desktop

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The folder dialog shows the window, and the window stays while the dialog takes the
// focus; afterwards a blur hides the popover again. (The real dialog cannot be driven
// headless; the Wails call is behind Window.PickFolder.)
func TestPickFolderKeepsTheWindowThroughTheDialog(t *testing.T) {
	c, w, _, _, _ := newTestController()
	w.dialog = func() (string, error) {
		c.HandlePage(EventBlur, "") // the dialog took the focus
		return "/Volumes/Notes", nil
	}
	p := NewFolderPicker()
	if _, err := p.PickFolder(context.Background(), "x"); !errors.Is(err, errNoWindow) {
		t.Fatalf("before Run: %v, want errNoWindow", err)
	}
	p.attach(c)
	got, err := p.PickFolder(context.Background(), "Choose a folder")
	if err != nil || got != "/Volumes/Notes" {
		t.Fatalf("PickFolder = %q, %v", got, err)
	}
	expectCalls(t, w, "show", "pick Choose a folder")
	if !c.Visible() {
		t.Fatal("the window hid while the dialog was open")
	}
	c.HandlePage(EventBlur, "")
	expectCalls(t, w, "hide")
}

// A request that goes away returns at once; the dialog stays until the person closes it,
// and the window keeps itself shown until then.
func TestPickFolderCancelledRequest(t *testing.T) {
	c, w, _, _, _ := newTestController()
	release := make(chan struct{})
	closed := make(chan struct{})
	w.dialog = func() (string, error) {
		<-release
		return "", nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(closed)
		if _, err := c.PickFolder(ctx, "t"); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled PickFolder: %v", err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("PickFolder did not return when its request went away")
	}
	c.HandlePage(EventBlur, "")
	if !c.Visible() {
		t.Fatal("the window hid while the dialog was still open")
	}
	close(release)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		open := c.picking
		c.mu.Unlock()
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dialog never counted as closed")
		}
	}
	c.HandlePage(EventBlur, "")
	if c.Visible() {
		t.Fatal("blur after the dialog closed did not hide the popover")
	}
	_ = w.take()
}
