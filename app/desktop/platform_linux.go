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

// perch_present raises the shown window and gives it the keyboard focus: Wails' show only
// maps it, and without focus it could never lose it, so it would not hide on blur.
static gboolean perch_present(gpointer data) {
	GtkWindow *w = perch_window();
	if (w != NULL) {
		gtk_window_present_with_time(w, GDK_CURRENT_TIME);
	}
	return G_SOURCE_REMOVE;
}

static void perch_set_style(int detached) { g_idle_add(perch_style, GINT_TO_POINTER(detached)); }
static void perch_focus(void) { g_idle_add(perch_present, NULL); }
*/
import "C"

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/menu"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// linuxPlatform: tray hosts on Linux (StatusNotifierItem) do not tell where the icon is, so
// the popover opens in the top-right corner of the current monitor, where panels keep it.
type linuxPlatform struct{}

func newPlatform() platform { return linuxPlatform{} }

func (linuxPlatform) beforeRun()          {}
func (linuxPlatform) appMenu() *menu.Menu { return nil } // a menu would add a menu bar to the window
func (linuxPlatform) captureAnchor()      {}

func (linuxPlatform) started(context.Context) { C.perch_set_style(0) }

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
