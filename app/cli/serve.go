package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/app/remote"
	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/frontend"
)

// serveFlags are the command-line choices that override the settings file.
type serveFlags struct {
	host      string
	apiKey    string
	origins   []string
	hosts     []string
	modelsDir []string
	verbose   bool
	// folderPicker is the desktop window's folder dialog: set by the desktop shell, not a flag.
	folderPicker api.FolderPicker
	// restart, when set, is what POST /perch/restart calls (serveRestarting).
	restart func()
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Start the API server and web UI (no menu-bar app)",
		Long: "serve starts Perch's server: the OpenAI-compatible API at /v1, the Ollama-compatible API at /api, and the web UI at /, on " +
			config.DefaultAddress + " unless --host or PERCH_HOST says otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return serveRestarting(ctx, f, func(app *App, url string) {
				fmt.Fprintf(cmd.OutOrStdout(), "Perch is serving at %s (OpenAI API at %s/v1, Ollama API at %s/api)\n", url, url, url)
				if app.apiKey != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "API key (send as Authorization: Bearer KEY): %s\n", app.apiKey)
				}
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.host, "host", "", "address to listen on, host:port (default "+config.DefaultAddress+", or PERCH_HOST)")
	fl.StringVar(&f.apiKey, "api-key", "", "require this key from clients (or PERCH_API_KEY); generated when listening beyond this machine")
	fl.StringSliceVar(&f.origins, "allowed-origin", nil, "allow browser requests from this origin (repeatable)")
	fl.StringSliceVar(&f.hosts, "allowed-host", nil, "accept requests for this Host name besides loopback names (repeatable)")
	fl.StringArrayVar(&f.modelsDir, "models-dir", nil, "also serve the .gguf files under this folder (repeatable; or PERCH_MODELS_DIRS, colon-separated)")
	fl.BoolVar(&f.verbose, "verbose", false, "log every request and the engine's messages")
	return cmd
}

// serveRestarting opens the app and serves until ctx ends. POST /perch/restart (the UI's
// "Restart server") closes the app and opens it again with the saved settings, inside this
// process, for the settings that cannot change while it runs (port, context, slots, origins).
func serveRestarting(ctx context.Context, f serveFlags, ready func(app *App, url string)) error {
	for {
		restart := make(chan struct{})
		var once sync.Once
		f.restart = func() { once.Do(func() { close(restart) }) }
		app, err := openApp(f)
		if err != nil {
			return err
		}
		sctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-restart:
				cancel()
			case <-sctx.Done():
			}
		}()
		err = app.Serve(sctx, func(url string) { ready(app, url) })
		cancel()
		app.Close()
		select {
		case <-restart:
			if ctx.Err() == nil {
				app.log.Info("restarting the server with the saved settings")
				continue
			}
		default:
		}
		return err
	}
}

// App is the running server and everything behind it; the desktop shell starts the same one.
type App struct {
	paths    config.Paths
	settings *config.Store
	engine   *engine.Engine
	server   *api.Server
	addr     string
	apiKey   string
	// ln is the listener, opened first (see openApp).
	ln  net.Listener
	log *slog.Logger
	// lock holds the data folder for this process (one Perch per home).
	lock *config.InstanceLock
	// closers undo what openApp opened, in reverse order.
	closers closers
	// prewarm starts an idle worker ahead of need; Serve calls it once serving, so that the
	// worker's start does not slow the server's.
	prewarm func()
}

// closers is a stack of cleanups: each part openApp opens pushes its own, and they run in
// reverse order, on every error path of openApp as on App.Close.
type closers []func() error

func (c *closers) push(f func() error) { *c = append(*c, f) }

// close runs the cleanups, last pushed first, and returns their errors joined.
func (c *closers) close() error {
	var errs []error
	for i := len(*c) - 1; i >= 0; i-- {
		errs = append(errs, (*c)[i]())
	}
	*c = nil
	return errors.Join(errs...)
}

// listenConfig is where and how the server listens, from the flags, the environment and the
// settings, in that order.
func listenConfig(f serveFlags, s config.Settings) (addr, key string) {
	addr = s.Address
	if h := os.Getenv("PERCH_HOST"); h != "" {
		addr = h
	}
	if f.host != "" {
		addr = f.host
	}
	addr = normalizeAddr(addr)
	key = s.APIKey
	if k := os.Getenv("PERCH_API_KEY"); k != "" {
		key = k
	}
	if f.apiKey != "" {
		key = f.apiKey
	}
	return addr, key
}

// openApp is Perch's composition root: it reads the settings, applies the flags and
// environment, and builds the engine, the stores and the server from them. What it opened is
// closed again, in reverse order, when a later step fails.
func openApp(f serveFlags) (_ *App, err error) {
	paths := config.DefaultPaths()
	if err := paths.Ensure(); err != nil {
		return nil, err
	}
	settings, err := config.Open(paths.SettingsFile())
	if err != nil {
		return nil, err
	}
	s := settings.Get()
	level := slog.LevelInfo
	if f.verbose || os.Getenv("PERCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	addr, key := listenConfig(f, s)
	lock, err := paths.Lock(addr)
	if err != nil {
		return nil, err
	}
	app := &App{paths: paths, settings: settings, addr: addr, log: log, lock: lock}
	app.closers.push(func() error { lock.Release(); return nil })
	defer func() {
		if err != nil {
			app.closers.close()
		}
	}()
	cleanStaleSockets(paths.Runtime, log)
	if key == "" && api.CheckExposure(addr, "") != nil {
		// A key for LAN access is generated once and kept, so clients keep working.
		if key, err = storedAPIKey(paths.APIKeyFile()); err != nil {
			return nil, err
		}
	}
	app.apiKey = key
	// Listen before opening the slower parts (stores, databases, the engine), so a client
	// started with Perch connects at once; its request is answered once they are open.
	if err := api.CheckExposure(addr, key); err != nil {
		return nil, err
	}
	if app.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another Perch or Ollama running there? use --host to pick another port)", addr, err)
	}
	app.closers.push(func() error { _ = app.ln.Close(); return nil })

	store, err := openStore(f.modelsDir)
	if err != nil {
		return nil, err
	}
	sampler := system.NewSampler()
	planner, err := newPlanner(sampler, s.Slots, "")
	if err != nil {
		return nil, err
	}
	eng, err := newEngine(engineOptions{paths: paths, settings: s, log: log, resolver: store, planner: planner,
		// Read at each load, so a changed default applies at the model's next load.
		draftFor:    func(m string) string { return settings.Get().DraftModels[m] },
		defaultsFor: func(m string) engine.ModelDefaults { return liveDefaults(settings.Get(), m) },
		onWorkerExit: func(model string, _ error) {
			if app.server != nil {
				app.server.ObserveWorkerRestart(model)
			}
		}})
	if err != nil {
		return nil, err
	}
	app.engine = eng
	app.closers.push(func() error { eng.Close(); return nil })
	app.prewarm = func() { prewarm(eng, planner, log) }
	sampler.Device = deviceMemory(eng)

	// The UI's /perch routes: chat history, settings, memory, catalog, fit and import.
	chatStore, err := chats.Open(context.Background(), paths.ChatsDB())
	if err != nil {
		return nil, err
	}
	app.closers.push(closeLogged(log, "the chat history", chatStore.Close))
	// Models on other machines (perch remote add) answer as NAME/model, through the same
	// engine interface, so documents can use a remote embedding model too.
	remotes, err := openRemotes(paths, log)
	if err != nil {
		return nil, err
	}
	routed := remote.Engine{Local: eng, Remotes: remotes}
	// Document collections (local RAG), embedded through the same engine.
	collections, err := docs.Open(context.Background(), paths.CollectionsDB(), docs.Options{Embedder: routed, Log: log})
	if err != nil {
		return nil, err
	}
	app.closers.push(closeLogged(log, "the document collections", collections.Close))

	// Settings the next load or download uses apply as soon as they are saved.
	live := &liveSettings{Store: settings, apply: func(next config.Settings) error {
		if err := store.SetDownloadDir(next.DownloadDir); err != nil {
			return err
		}
		return eng.SetCacheDefaults(next.KVType, next.FlashAttn)
	}}
	d := api.Deps{Engine: routed, Remotes: remotes, Static: staticUI(),
		Chats: chatStore, Settings: live, Memory: api.NewMemorySource(sampler), Collections: collections,
		FolderPicker: f.folderPicker, HFToken: hfTokens{keys: secrets(paths), store: store}}
	storeadapter.New(store).
		WithCatalog(catalog.Open(filepath.Join(paths.Cache, "catalog.json")), planner.Machine, eng.Loaded, s.Slots, "").
		FollowCache(func() (string, string) { c := settings.Get(); return c.KVType, c.FlashAttn }).
		FollowContext(func(m string) int { return modelDefaults(settings.Get(), m).ContextLength }).
		LoadDefaults(s.ContextLength, s.PerSlotKV).
		Provide(&d, filepath.Join(paths.Data, "uploads"))
	app.server = api.New(api.Config{
		Addr: addr, APIKey: key, AllowedOrigins: append(s.AllowedOrigins, f.origins...), AllowedHosts: append(s.AllowedHosts, f.hosts...),
		// The model's own keep-alive, else the settings' one, read at each request.
		KeepAliveFor: func(m string) *time.Duration { return liveDefaults(settings.Get(), m).KeepAlive },
		Version:      versionString, Logger: log,
		Restart: f.restart, FixedAPIKey: f.apiKey != "" || os.Getenv("PERCH_API_KEY") != "",
	}, d)
	app.server.OnListen(func(addr string) {
		if err := lock.SetAddress(addr); err != nil {
			log.Warn("cannot record the address in the instance lock", "err", err)
		}
	})
	app.closers.push(app.server.Close)
	return app, nil
}

// closeLogged is a closer that logs its failure rather than returning it: on the way out there
// is nothing else to do about it.
func closeLogged(log *slog.Logger, what string, close func() error) func() error {
	return func() error {
		if err := close(); err != nil {
			log.Warn("closing "+what, "err", err)
		}
		return nil
	}
}

// staticUI serves the web UI built into the binary, or a note that it was not built.
func staticUI() http.Handler {
	if frontend.Built() {
		return http.FileServerFS(frontend.Files())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Perch is running. The web UI was not built into this binary (make build builds it); the APIs are at /v1 and /api.")
	})
}

// Serve listens and serves until ctx ends; ready is called with the URL once listening.
func (a *App) Serve(ctx context.Context, ready func(url string)) error {
	ln := a.ln
	if err := a.lock.SetAddress(ln.Addr().String()); err != nil {
		a.log.Warn("cannot record the address in the instance lock", "err", err)
	}
	url := "http://" + ln.Addr().String()
	// With LAN access on, other Perch apps find this one by Bonjour (perch remote, Settings).
	if err := remote.AdvertiseListener(ctx, ln.Addr()); err != nil {
		a.log.Warn("not advertised on the network", "err", err)
	}
	if ready != nil {
		ready(url)
	}
	if a.prewarm != nil {
		go a.prewarm()
	}
	return a.server.Serve(ctx, ln)
}

// Close pauses the server's downloads, closes the document collections and the chat history
// and stops every worker: what openApp opened, in reverse order.
func (a *App) Close() {
	a.closers.close()
}

func normalizeAddr(addr string) string {
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://")
	addr = strings.TrimSuffix(addr, "/")
	if !strings.Contains(addr, ":") {
		return addr + ":11435"
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

func newAPIKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "perch-" + hex.EncodeToString(b)
}
