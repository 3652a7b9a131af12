//go:build desktop && darwin

package desktop

/*
#cgo CFLAGS: -x objective-c -fobjc-arc
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>
#import <objc/runtime.h>

extern void perchGoReopen(void);
extern void perchGoQuit(void);

// perchOnMain runs b on the main thread (AppKit is main-thread only) and waits for it.
static void perchOnMain(void (^b)(void)) {
	if ([NSThread isMainThread]) {
		b();
	} else {
		dispatch_sync(dispatch_get_main_queue(), b);
	}
}

// perchWindow finds Wails' window (class WailsWindow) among the app's windows; the status
// item has its own NSStatusBarWindow.
static NSWindow *perchWindow(void) {
	Class cls = NSClassFromString(@"WailsWindow");
	if (cls == nil) return nil;
	for (NSWindow *w in [NSApp windows]) {
		if ([w isKindOfClass:cls]) return w;
	}
	return nil;
}

// perchAccessoryAfterLaunch: Wails sets NSApplicationActivationPolicyRegular in
// applicationWillFinishLaunching, which puts a Dock icon back despite LSUIElement. Switching
// to Accessory once launching finished removes it (setActivationPolicy:, NSApplication).
static void perchAccessoryAfterLaunch(void) {
	[[NSNotificationCenter defaultCenter] addObserverForName:NSApplicationDidFinishLaunchingNotification
		object:nil queue:[NSOperationQueue mainQueue] usingBlock:^(NSNotification *note) {
			[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
		}];
}

// perchStyle makes the window a popover (borderless, floating, on every Space including full
// screen apps) or a normal titled, resizable window. The popover's style mask is the one
// Wails created it with, remembered at the first switch.
static NSWindowStyleMask perchPopoverMask;
static BOOL perchPopoverMaskSaved;
static void perchStyle(int detached) {
	dispatch_async(dispatch_get_main_queue(), ^{
		[NSApp setActivationPolicy:NSApplicationActivationPolicyAccessory];
		NSWindow *w = perchWindow();
		if (w == nil) return;
		if (!perchPopoverMaskSaved) {
			perchPopoverMask = w.styleMask;
			perchPopoverMaskSaved = YES;
		}
		if (detached) {
			w.styleMask = NSWindowStyleMaskTitled | NSWindowStyleMaskClosable |
				NSWindowStyleMaskMiniaturizable | NSWindowStyleMaskResizable;
			w.level = NSNormalWindowLevel;
			w.collectionBehavior = NSWindowCollectionBehaviorDefault;
			[w center];
		} else {
			w.styleMask = perchPopoverMask;
			w.level = NSFloatingWindowLevel;
			w.collectionBehavior = NSWindowCollectionBehaviorCanJoinAllSpaces |
				NSWindowCollectionBehaviorFullScreenAuxiliary | NSWindowCollectionBehaviorTransient;
		}
	});
}

// perchAnchor reports where the status item is: the frame of the window of the event being
// handled when that is the status bar's (the click on the icon), otherwise a point at the
// mouse; and the visible frame (below the menu bar, beside the Dock) of the screen it is
// on. Cocoa coordinates: origin at the bottom-left of the primary screen, y up.
static void perchAnchor(double *out) {
	perchOnMain(^{
		NSRect a;
		NSWindow *ew = [NSApp currentEvent].window;
		if (ew != nil && [NSStringFromClass([ew class]) containsString:@"StatusBar"]) {
			a = ew.frame;
		} else {
			NSPoint p = [NSEvent mouseLocation];
			a = NSMakeRect(p.x, p.y, 1, 1);
		}
		NSScreen *screen = [NSScreen mainScreen];
		for (NSScreen *s in [NSScreen screens]) {
			if (NSPointInRect(NSMakePoint(NSMidX(a), NSMidY(a)), s.frame)) {
				screen = s;
				break;
			}
		}
		NSRect v = screen.visibleFrame;
		out[0] = a.origin.x; out[1] = a.origin.y; out[2] = a.size.width; out[3] = a.size.height;
		out[4] = v.origin.x; out[5] = v.origin.y; out[6] = v.size.width; out[7] = v.size.height;
	});
}

// perchSetTopLeft moves the window's top-left corner to (x, y) in Cocoa coordinates. It is
// queued on the main thread before Wails' show, which is queued the same way.
static void perchSetTopLeft(double x, double y) {
	dispatch_async(dispatch_get_main_queue(), ^{
		NSWindow *w = perchWindow();
		if (w != nil) [w setFrameTopLeftPoint:NSMakePoint(x, y)];
	});
}

// Wails 2.9.2's AppDelegate (AppDelegate.m) answers every terminate: with NSTerminateCancel and
// quits through its own message, and does not implement reopen. Two of its methods are
// replaced, on the class, before wails.Run sets an instance as the app's delegate:
//   - applicationShouldTerminate: while the session ends (logout, restart, shut down:
//     NSWorkspaceWillPowerOffNotification came first) answers NSTerminateNow, since a cancel
//     there cancels the user's logout; Perch's workers exit when their pipe from it closes.
//     Otherwise (⌘Q, the Dock, AppleScript) it cancels, as Wails does, and quits as the tray's
//     Quit does: Wails' own quit sends -[NSApplication stop:] from a goroutine and posts no
//     event after it, so the run loop could wait for the next input to return.
//   - applicationShouldHandleReopen:hasVisibleWindows: (the app opened again from the Finder,
//     Spotlight or Launchpad while running: LaunchServices sends it to this process instead
//     of starting another) shows the window; without it nothing visible happens.
static BOOL perchPoweringOff;

static NSApplicationTerminateReply perchShouldTerminate(id self, SEL cmd, NSApplication *sender) {
	(void)self; (void)cmd; (void)sender;
	if (perchPoweringOff) return NSTerminateNow;
	perchGoQuit();
	return NSTerminateCancel;
}

static BOOL perchShouldHandleReopen(id self, SEL cmd, NSApplication *sender, BOOL visible) {
	(void)self; (void)cmd; (void)sender; (void)visible;
	perchGoReopen();
	return NO;
}

// perchHookDelegate returns 0 when Wails' delegate class is not there (a Wails upgrade).
static int perchHookDelegate(void) {
	Class cls = NSClassFromString(@"AppDelegate");
	if (cls == nil || ![cls instancesRespondToSelector:@selector(applicationShouldTerminate:)]) return 0;
	method_setImplementation(class_getInstanceMethod(cls, @selector(applicationShouldTerminate:)),
		(IMP)perchShouldTerminate);
	class_replaceMethod(cls, @selector(applicationShouldHandleReopen:hasVisibleWindows:),
		(IMP)perchShouldHandleReopen, "c@:@c");
	[[[NSWorkspace sharedWorkspace] notificationCenter] addObserverForName:NSWorkspaceWillPowerOffNotification
		object:nil queue:[NSOperationQueue mainQueue] usingBlock:^(NSNotification *note) {
			(void)note;
			perchPoweringOff = YES;
		}];
	return 1;
}

static int perchIsMainThread(void) { return [NSThread isMainThread] ? 1 : 0; }

// perchWake posts an empty application-defined event: Wails' quit sends -[NSApplication stop:],
// which takes effect only after the main loop handles its next event, and a quit from the tray
// menu arrives on another thread when no event may be coming.
static void perchWake(void) {
	dispatch_async(dispatch_get_main_queue(), ^{
		NSEvent *e = [NSEvent otherEventWithType:NSEventTypeApplicationDefined location:NSZeroPoint
			modifierFlags:0 timestamp:0 windowNumber:0 context:nil subtype:0 data1:0 data2:0];
		[NSApp postEvent:e atStart:NO];
	});
}
*/
import "C"

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2/pkg/menu"
)

// darwinPlatform places the popover under the status item. fyne.io/systray does not expose
// the NSStatusItem, so the item's frame is read from the click's event (the event's window is
// the status bar window holding the button) while the click is handled on the main thread;
// menu items that show the window read it when they run, falling back to the mouse position.
type darwinPlatform struct {
	log    *slog.Logger
	mu     sync.Mutex
	anchor [8]float64
	at     time.Time
}

func newPlatform(log *slog.Logger) platform { return &darwinPlatform{log: log} }

// checkDisplay: a Mac's login session always has the window server.
func checkDisplay() error { return nil }

func (p *darwinPlatform) beforeRun() {
	C.perchAccessoryAfterLaunch()
	if C.perchHookDelegate() == 0 {
		p.log.Warn("desktop: Wails' AppDelegate was not found; Perch may hold up a logout, and opening it again shows nothing")
	}
}

// reopen and quitRequested are what opening the running app again and the system's quit
// request do (perchGoReopen, perchGoQuit; called on the main thread).
var reopen, quitRequested atomic.Pointer[func()]

func (*darwinPlatform) onAppEvents(re, quit func()) {
	reopen.Store(&re)
	quitRequested.Store(&quit)
}

// appMenu gives the Edit menu's key equivalents (⌘C, ⌘V, ⌘A, ⌘Z) to the web view; an
// accessory app shows no menu bar, but its main menu still handles them.
func (*darwinPlatform) appMenu() *menu.Menu {
	return menu.NewMenuFromItems(menu.AppMenu(), menu.EditMenu())
}

func (*darwinPlatform) started(context.Context) { C.perchStyle(0) }

func (*darwinPlatform) showing() {}

func (*darwinPlatform) quitting() { C.perchWake() }

// prewarm is not done on macOS: its cost there is unmeasured, and ordering a window in
// unseen needs care (Spaces, focus) that cannot be tried here.
func (*darwinPlatform) prewarm() {}

// timings are not measured on macOS; the page's visibility event gives the latency.
func (*darwinPlatform) timings() (mapped, drawn time.Duration, ok bool) { return 0, 0, false }

func (p *darwinPlatform) captureAnchor() {
	if C.perchIsMainThread() == 0 {
		return
	}
	var out [8]C.double
	C.perchAnchor(&out[0])
	p.mu.Lock()
	for i := range out {
		p.anchor[i] = float64(out[i])
	}
	p.at = time.Now()
	p.mu.Unlock()
}

// anchorFresh is how long a captured click position is used.
const anchorFresh = 2 * time.Second

func (p *darwinPlatform) place(_ context.Context, w, h int) {
	p.mu.Lock()
	a, fresh := p.anchor, time.Since(p.at) < anchorFresh
	p.mu.Unlock()
	if !fresh {
		var out [8]C.double
		C.perchAnchor(&out[0])
		for i := range out {
			a[i] = float64(out[i])
		}
	}
	// Flip to y-down by negating y: a Cocoa rect (x, y, w, h) becomes (x, -(y+h), w, h).
	flip := func(x, y, w, h float64) Rect { return Rect{X: int(x), Y: int(-(y + h)), W: int(w), H: int(h)} }
	x, y := PlaceUnder(flip(a[0], a[1], a[2], a[3]), flip(a[4], a[5], a[6], a[7]), w, h)
	C.perchSetTopLeft(C.double(x), C.double(-y))
}

func (*darwinPlatform) setDetached(_ context.Context, detached bool) {
	if detached {
		C.perchStyle(1)
	} else {
		C.perchStyle(0)
	}
}

// focus: Wails' show already makes the window key and activates the app.
func (*darwinPlatform) focus(context.Context) {}
