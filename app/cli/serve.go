package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/frontend"
)

func init() { register(newServeCmd) }

// serveFlags are the command-line choices that override the settings file.
type serveFlags struct {
	host      string
	apiKey    string
	origins   []string
	hosts     []string
	modelsDir []string
	verbose   bool
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
			app, err := openApp(f)
			if err != nil {
				return err
			}
			defer app.Close()
			return app.Serve(ctx, func(url string) {
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

// App is the running server and everything behind it; the desktop shell starts the same one.
type App struct {
	paths       config.Paths
	settings    *config.Store
	engine      *engine.Engine
	server      *api.Server
	chats       *chats.Store
	collections *docs.Store
	addr        string
	apiKey      string
	log         *slog.Logger
	lock        *config.InstanceLock
}

// openApp reads the settings, applies the flags and environment, and builds the engine and
// the server.
func openApp(f serveFlags) (*App, error) {
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

	addr := s.Address
	if h := os.Getenv("PERCH_HOST"); h != "" {
		addr = h
	}
	if f.host != "" {
		addr = f.host
	}
	addr = normalizeAddr(addr)
	lock, err := paths.Lock(addr)
	if err != nil {
		return nil, err
	}
	app, err := buildApp(f, paths, settings, addr, log)
	if err != nil {
		lock.Release()
		return nil, err
	}
	app.lock = lock
	return app, nil
}

// buildApp builds the engine and the server, once this process holds the data folder.
func buildApp(f serveFlags, paths config.Paths, settings *config.Store, addr string, log *slog.Logger) (*App, error) {
	s := settings.Get()
	cleanStaleSockets(paths.Runtime, log)
	key := s.APIKey
	if k := os.Getenv("PERCH_API_KEY"); k != "" {
		key = k
	}
	if f.apiKey != "" {
		key = f.apiKey
	}
	if key == "" && api.CheckExposure(addr, "") != nil {
		var err error
		if key, err = storedAPIKey(paths.APIKeyFile()); err != nil {
			return nil, err
		}
	}

	store, err := openStore(f.modelsDir)
	if err != nil {
		return nil, err
	}
	sampler := system.NewSampler()
	planner, err := newPlanner(sampler, s.Slots, "")
	if err != nil {
		return nil, err
	}
	var srv *api.Server
	eng, err := newEngine(engineOptions{paths: paths, settings: s, log: log, resolver: store, planner: planner,
		onWorkerExit: func(model string, _ error) {
			if srv != nil {
				srv.ObserveWorkerRestart(model)
			}
		}})
	if err != nil {
		return nil, err
	}
	sampler.Device = deviceMemory(eng)
	keep, _ := config.ParseKeepAlive(s.KeepAlive)
	var ui http.Handler
	if frontend.Built() {
		ui = http.FileServerFS(frontend.Files())
	} else {
		ui = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(w, "Perch is running. The web UI was not built into this binary (make build builds it); the APIs are at /v1 and /api.")
		})
	}
	// The UI's /perch routes: chat history, settings, memory, catalog, fit and import.
	chatStore, err := chats.Open(context.Background(), paths.ChatsDB())
	if err != nil {
		eng.Close()
		return nil, err
	}
	// Document collections (local RAG), embedded through the same engine.
	collections, err := docs.Open(context.Background(), paths.CollectionsDB(), docs.Options{Embedder: eng, Log: log})
	if err != nil {
		eng.Close()
		chatStore.Close()
		return nil, err
	}
	libUI := api.NewLibraryUI(store, catalog.Open(filepath.Join(paths.Cache, "catalog.json")), planner.Machine, eng.Loaded, s.Slots, "")
	srv = api.New(api.Config{
		Addr: addr, APIKey: key, AllowedOrigins: append(s.AllowedOrigins, f.origins...), AllowedHosts: append(s.AllowedHosts, f.hosts...),
		DefaultKeepAlive: keep, Version: versionString, Logger: log,
	}, eng, storeadapter.New(store), api.WithStatic(ui),
		api.WithChats(chatStore), api.WithSettings(settings), api.WithMemory(api.NewMemorySource(sampler)),
		api.WithLibraryUI(libUI, filepath.Join(paths.Data, "uploads")), api.WithCollections(collections))
	return &App{paths: paths, settings: settings, engine: eng, server: srv, chats: chatStore, collections: collections, addr: addr, apiKey: key, log: log}, nil
}

// Serve listens and serves until ctx ends; ready is called with the URL once listening.
func (a *App) Serve(ctx context.Context, ready func(url string)) error {
	if err := api.CheckExposure(a.addr, a.apiKey); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another Perch or Ollama running there? use --host to pick another port)", a.addr, err)
	}
	if err := a.lock.SetAddress(ln.Addr().String()); err != nil {
		a.log.Warn("cannot record the address in the instance lock", "err", err)
	}
	url := "http://" + ln.Addr().String()
	if ready != nil {
		ready(url)
	}
	return a.server.Serve(ctx, ln)
}

// Close stops every worker and closes the chat history.
func (a *App) Close() {
	a.engine.Close()
	if err := a.chats.Close(); err != nil {
		a.log.Warn("closing the chat history", "err", err)
	}
	if err := a.collections.Close(); err != nil {
		a.log.Warn("closing the document collections", "err", err)
	}
	a.lock.Release()
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
