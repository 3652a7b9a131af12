//go:build desktop && linux

package desktop

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

// perch_window finds the Wails window among GTK's toplevels by its title; Wails does not hand
// out its GtkWindow.
static GtkWindow *perch_window(void) {
	GtkWindow *found = NULL;
	GList *all = gtk_window_list_toplevels();
	for (GList *l = all; l != NULL; l = l->next) {
		GtkWindow *w = GTK_WINDOW(l->data);
		if (gtk_window_get_window_type(w) == GTK_WINDOW_TOPLEVEL && g_strcmp0(gtk_window_get_title(w), "Perch") == 0) {
			found = w;
			break;
		}
	}
	g_list_free(all);
	return found;
}

// perch_style makes the window a popover (no frame, not in the task bar, above others) or a
// normal window. It runs on GTK's main thread (g_idle_add).
static gboolean perch_style(gpointer data) {
	gboolean detached = GPOINTER_TO_INT(data);
	GtkWindow *w = perch_window();
	if (w != NULL) {
		gtk_window_set_decorated(w, detached);
		gtk_window_set_skip_taskbar_hint(w, !detached);
		gtk_window_set_skip_pager_hint(w, !detached);
		gtk_window_set_keep_above(w, !detached);
		gtk_window_set_resizable(w, TRUE);
	}
	return G_SOURCE_REMOVE;
}

// Show timings, in g_get_monotonic_time microseconds: when a show began, when the window was
// mapped and when it first drew after that. GTK's main thread writes map and draw; a show
// clears them first, and they are read after the page reported itself visible.
static gint64 perch_show_t, perch_map_t, perch_draw_t;

// perch_activate raises the window and gives it the keyboard focus. The X server (and window
// managers' focus-stealing prevention) ignore a focus request older than the last focus
// change, and GTK would stamp it with the last input event this app saw, which is older than
// the click on the tray icon that another process received. So the focus is asked for with
// no timestamp, which the X server reads as "now".
static void perch_activate(GtkWindow *w) {
	gtk_window_present(w);
	GdkWindow *gw = gtk_widget_get_window(GTK_WIDGET(w));
	if (gw != NULL) gdk_window_focus(gw, GDK_CURRENT_TIME);
}

// perch_want_focus: a show asked for the focus before the window was mapped; without a window
// manager GDK sets the X input focus itself, which fails on a window not yet viewable, so it
// is asked again once the map arrived.
static gboolean perch_want_focus; // GTK's main thread only

static gboolean perch_on_map(GtkWidget *w, GdkEvent *e, gpointer d) {
	if (perch_map_t == 0) perch_map_t = g_get_monotonic_time();
	if (perch_want_focus) {
		perch_want_focus = FALSE;
		perch_activate(GTK_WINDOW(w));
	}
	return FALSE;
}

// The first time the UI is drawn costs WebKit ten times what later shows cost (the page's
// first layout and paint). So once the UI has loaded, the window is shown once, transparent,
// off-screen and without taking the focus, and hidden again after its first draw: the
// pre-warm. A real show during it (perch_present) ends it and keeps the window shown.
static gboolean perch_prewarming; // GTK's main thread only
static int perch_prewarmed;       // read from Go: 0 not yet, 1 done

static void perch_prewarm_restore(GtkWindow *w) {
	gtk_widget_set_opacity(GTK_WIDGET(w), 1.0);
	gtk_window_set_accept_focus(w, TRUE);
	gtk_window_set_focus_on_map(w, TRUE);
}

static gboolean perch_prewarm_end(gpointer data) {
	GtkWindow *w = perch_window();
	if (perch_prewarming && w != NULL) {
		gtk_widget_hide(GTK_WIDGET(w));
		perch_prewarm_restore(w);
	}
	perch_prewarming = FALSE;
	g_atomic_int_set(&perch_prewarmed, 1);
	return G_SOURCE_REMOVE;
}

static gboolean perch_prewarm_begin(gpointer data) {
	GtkWindow *w = perch_window();
	if (w == NULL || gtk_widget_get_visible(GTK_WIDGET(w))) {
		g_atomic_int_set(&perch_prewarmed, 1);
		return G_SOURCE_REMOVE;
	}
	perch_prewarming = TRUE;
	gtk_window_set_accept_focus(w, FALSE);
	gtk_window_set_focus_on_map(w, FALSE);
	gtk_widget_set_opacity(GTK_WIDGET(w), 0.0);
	gtk_window_move(w, -4000, -4000);
	gtk_widget_show(GTK_WIDGET(w));
	g_timeout_add(3000, perch_prewarm_end, NULL); // in case it never draws
	return G_SOURCE_REMOVE;
}

static gboolean perch_on_draw(GtkWidget *w, cairo_t *cr, gpointer d) {
	if (perch_prewarming) {
		g_idle_add(perch_prewarm_end, NULL);
		return FALSE;
	}
	if (perch_map_t != 0 && perch_draw_t == 0) perch_draw_t = g_get_monotonic_time();
	return FALSE;
}

static int perch_prewarm_done(void) { return g_atomic_int_get(&perch_prewarmed); }

static void perch_mark_show(void) {
	perch_map_t = 0;
	perch_draw_t = 0;
	perch_show_t = g_get_monotonic_time();
}

// perch_timings gives the microseconds from the show to the map and to the first draw, or -1.
static void perch_timings(gint64 *mapped, gint64 *drawn) {
	*mapped = perch_show_t && perch_map_t ? perch_map_t - perch_show_t : -1; // the pre-warm is no show
	*drawn = perch_draw_t ? perch_draw_t - perch_show_t : -1;
}

// perch_present raises the shown window and gives it the keyboard focus: Wails' show only
// maps it, and without the focus it could never lose it, so it would not hide on blur.
static gboolean perch_present(gpointer data) {
	GtkWindow *w = perch_window();
	if (w != NULL) {
		if (perch_prewarming) {
			perch_prewarming = FALSE;
			perch_prewarm_restore(w);
		}
		perch_want_focus = TRUE;
		perch_activate(w);
	}
	return G_SOURCE_REMOVE;
}

// perch_realize creates the hidden window's X resources (and the web view's) without mapping
// it, and connects the signals that time a show.
static gboolean perch_realize_cb(gpointer data) {
	GtkWindow *w = perch_window();
	if (w != NULL) {
		g_signal_connect(w, "map-event", G_CALLBACK(perch_on_map), NULL);
		g_signal_connect_after(w, "draw", G_CALLBACK(perch_on_draw), NULL);
		gtk_widget_realize(GTK_WIDGET(w));
	}
	return G_SOURCE_REMOVE;
}

static int perch_gtk_init(void) { return gtk_init_check(NULL, NULL); }
static void perch_realize(void) { g_idle_add(perch_realize_cb, NULL); }
static void perch_prewarm(void) { g_idle_add(perch_prewarm_begin, NULL); }
static void perch_set_style(int detached) { g_idle_add(perch_style, GINT_TO_POINTER(detached)); }
static void perch_focus(void) { g_idle_add(perch_present, NULL); }
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/wailsapp/wails/v2/pkg/menu"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// linuxPlatform: tray hosts on Linux (StatusNotifierItem) do not tell where the icon is, so
// the popover opens in the top-right corner of the current monitor, where panels keep it.
type linuxPlatform struct{ log *slog.Logger }

func newPlatform(log *slog.Logger) platform { return linuxPlatform{log: log} }

func (linuxPlatform) beforeRun()          {}
func (linuxPlatform) appMenu() *menu.Menu { return nil } // a menu would add a menu bar to the window
func (linuxPlatform) captureAnchor()      {}

// checkDisplay opens the display as Wails will (GTK initialises once; Wails' own call then
// succeeds), so that a display that cannot be opened is an error rather than Wails' panic.
func checkDisplay() error {
	if C.perch_gtk_init() == 0 {
		return fmt.Errorf("cannot open the display %q (DISPLAY) or %q (WAYLAND_DISPLAY)", os.Getenv("DISPLAY"), os.Getenv("WAYLAND_DISPLAY"))
	}
	return nil
}

func (p linuxPlatform) started(context.Context) {
	C.perch_set_style(0)
	C.perch_realize()
	go p.checkTrayHost()
}

// checkTrayHost warns when no panel hosts StatusNotifierItems (GNOME without the AppIndicator
// extension): the icon then shows nowhere, and the window is reached at the server's URL.
func (p linuxPlatform) checkTrayHost() {
	conn, err := dbus.SessionBus()
	if err != nil {
		p.log.Warn("desktop: no D-Bus session bus, so no tray icon", "err", err)
		return
	}
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has); err != nil || !has {
		p.log.Warn("desktop: this desktop shows no tray icons (no StatusNotifierWatcher); use the web UI's address, or install a tray extension")
	}
}

func (p linuxPlatform) prewarm() {
	C.perch_prewarm()
	go func() {
		start := time.Now()
		for C.perch_prewarm_done() == 0 && time.Since(start) < 5*time.Second {
			time.Sleep(20 * time.Millisecond)
		}
		p.log.Info("desktop: window pre-warmed", "ms", ms(time.Since(start)))
	}()
}

func (linuxPlatform) showing() { C.perch_mark_show() }

func (linuxPlatform) quitting() {}

func (linuxPlatform) timings() (mapped, drawn time.Duration, ok bool) {
	var m, d C.gint64
	C.perch_timings(&m, &d)
	// -1 µs: not mapped or not drawn yet.
	return time.Duration(m) * time.Microsecond, time.Duration(d) * time.Microsecond, m >= 0
}

func (linuxPlatform) place(ctx context.Context, w, h int) {
	screens, err := wruntime.ScreenGetAll(ctx)
	if err != nil || len(screens) == 0 {
		return
	}
	s := screens[0]
	for _, sc := range screens {
		if sc.IsCurrent {
			s = sc
			break
		}
	}
	// Wails positions relative to the window's current monitor.
	x, y := PlaceTopRight(Rect{W: s.Size.Width, H: s.Size.Height}, w, h)
	wruntime.WindowSetPosition(ctx, x, y)
}

func (linuxPlatform) setDetached(_ context.Context, detached bool) {
	if detached {
		C.perch_set_style(1)
	} else {
		C.perch_set_style(0)
	}
}

func (linuxPlatform) focus(context.Context) { C.perch_focus() }

// onAppEvents: Linux has neither event; a second `perch` finds the port taken and says so.
func (linuxPlatform) onAppEvents(_, _ func()) {}
