//go:build desktop

package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/logger"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/perchapp/perch/app/desktop/icons"
)

// Options configures Run.
type Options struct {
	// URL is the running server's address, http://127.0.0.1:11435; the window loads it.
	URL     string
	Backend Backend
	Log     *slog.Logger
	// LoginItem writes or removes the login item; nil uses DefaultLoginItem.
	LoginItem func(enabled bool) error
}

// Available reports whether the desktop app can run here (the display opens). Call it on the
// main goroutine before starting anything; when it fails, serve the web UI instead.
func Available() error { return checkDisplay() }

// Run shows the tray icon and keeps the window alive, hidden, until the user quits from the
// tray menu or ctx ends. It must be called on the main goroutine (the main thread: AppKit
// and GTK require it; fyne.io/systray locks it in its init). The caller owns the server and
// the workers and stops them after Run returns.
func Run(ctx context.Context, o Options) (err error) {
	if o.Backend == nil || o.URL == "" {
		return errors.New("desktop: a server URL and a backend are required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.LoginItem == nil {
		o.LoginItem = func(enabled bool) error {
			li, err := DefaultLoginItem()
			if err != nil {
				return err
			}
			return li.Apply(enabled)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Wails panics when the toolkit cannot start; the caller must still stop its server and
	// workers, so that is returned as an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("desktop: %v", r)
		}
	}()

	plat := newPlatform(o.Log)
	var prewarmOnce sync.Once
	origin := strings.TrimSuffix(o.URL, "/")
	win := &wailsWindow{plat: plat}
	if model := os.Getenv("PERCH_DESKTOP_SELFTEST"); model != "" {
		// Test hook: stream an answer inside the window once it is first shown.
		win.firstShow = func(wctx context.Context) { wruntime.WindowExecJS(wctx, SelfTestJS(model)) }
	}
	var quitOnce sync.Once
	quit := func() {
		quitOnce.Do(func() {
			if wctx := win.context(); wctx != nil {
				wruntime.Quit(wctx)
				plat.quitting()
			}
		})
	}
	var ctl *Controller
	tray := newSystrayTray(
		func() {
			plat.captureAnchor() // on the click's own thread, before it returns
			go ctl.Click()
		},
		func(id string) { ctl.MenuClicked(id) },
		func() { ctl.MenuOpened() },
	)
	ctl = NewController(ControllerOptions{Backend: o.Backend, Window: win, Tray: tray, Log: o.Log, Quit: quit, LoginItem: o.LoginItem})
	plat.onAppEvents(func() {
		o.Log.Info("desktop: opened again while running; showing the window")
		ctl.Show("")
	}, func() {
		o.Log.Info("desktop: quit requested by the system")
		ctl.ApplyLoginItem()
		quit()
	})

	startTray, endTray := tray.register()
	if runtime.GOOS == "darwin" {
		// AppKit objects are created on the main thread, which this is until wails.Run.
		startTray()
	}
	plat.beforeRun()

	err = wails.Run(&options.App{
		Title:             "Perch",
		Width:             PopoverWidth,
		Height:            PopoverHeight,
		MinWidth:          360,
		MinHeight:         400,
		Frameless:         true,
		StartHidden:       true,
		HideWindowOnClose: true,
		BackgroundColour:  &options.RGBA{R: 255, G: 255, B: 255, A: 255},
		AssetServer:       &assetserver.Options{Handler: LoaderHandler(o.URL)},
		Menu:              plat.appMenu(),
		// Copy and paste in the page's context menu; no inspector in production builds.
		EnableDefaultContextMenu: true,
		Logger:                   wailsLogger{o.Log},
		LogLevel:                 logger.WARNING,
		LogLevelProduction:       logger.WARNING,
		OnStartup: func(wctx context.Context) {
			win.setContext(wctx)
			plat.started(wctx)
			for _, name := range PageEvents {
				wruntime.EventsOn(wctx, EventPrefix+name, func(data ...any) {
					arg := ""
					if len(data) > 0 {
						arg = fmt.Sprint(data[0])
					}
					ctl.HandlePage(name, arg)
					if name == EventReady && arg == origin {
						prewarmOnce.Do(plat.prewarm)
					}
					if name == EventVisible {
						if mapped, drawn, ok := plat.timings(); ok {
							o.Log.Info("desktop: window mapped", "mapped_ms", ms(mapped), "first_draw_ms", ms(drawn))
						}
					}
				})
			}
			if runtime.GOOS != "darwin" {
				startTray()
			}
			go ctl.Run(ctx)
			go func() {
				<-ctx.Done()
				quit()
			}()
			o.Log.Info("desktop: ready", "url", o.URL)
		},
		OnDomReady: func(wctx context.Context) { wruntime.WindowExecJS(wctx, ShimJS) },
		Linux: &linux.Options{
			Icon:        icons.App,
			ProgramName: "perch",
			// Compositing on demand: the GPU when the page asks for it, none while idle.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
		Mac: &mac.Options{
			TitleBar: mac.TitleBarHidden(),
			About:    &mac.AboutInfo{Title: "Perch", Message: "Run language models on your own Mac.", Icon: icons.App},
		},
	})
	cancel()
	stopTray(endTray, o.Log)
	if err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	return nil
}

// stopTray removes the icon. fyne.io/systray's end dereferences its D-Bus connection, which
// is nil on Linux when there was no session bus, so a panic there is only logged.
func stopTray(end func(), log *slog.Logger) {
	defer func() {
		if r := recover(); r != nil {
			log.Debug("desktop: tray was not running", "panic", r)
		}
	}()
	end()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// wailsLogger sends Wails' log to slog.
type wailsLogger struct{ log *slog.Logger }

func (l wailsLogger) Print(m string)   { l.log.Info("wails: " + strings.TrimSpace(m)) }
func (l wailsLogger) Trace(m string)   { l.log.Debug("wails: " + strings.TrimSpace(m)) }
func (l wailsLogger) Debug(m string)   { l.log.Debug("wails: " + strings.TrimSpace(m)) }
func (l wailsLogger) Info(m string)    { l.log.Info("wails: " + strings.TrimSpace(m)) }
func (l wailsLogger) Warning(m string) { l.log.Warn("wails: " + strings.TrimSpace(m)) }
func (l wailsLogger) Error(m string)   { l.log.Error("wails: " + strings.TrimSpace(m)) }
func (l wailsLogger) Fatal(m string)   { l.log.Error("wails: " + strings.TrimSpace(m)) }
