package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/engine"
)

// fileResolver serves a path to a .gguf file as a model, and hands other names to the
// library.
type fileResolver struct {
	next engine.Resolver
}

func looksLikePath(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".gguf") || strings.ContainsRune(name, os.PathSeparator) || strings.HasPrefix(name, ".")
}

func (r fileResolver) Resolve(ctx context.Context, name string) (engine.ModelRef, error) {
	if looksLikePath(name) {
		abs, err := filepath.Abs(name)
		if err != nil {
			return engine.ModelRef{}, err
		}
		if st, err := os.Stat(abs); err == nil && st.Mode().IsRegular() {
			// A file outside the library has no content digest at hand; its path, size and time
			// identify it well enough to key saved conversation state.
			sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%d", abs, st.Size(), st.ModTime().UnixNano())))
			return engine.ModelRef{Name: name, Path: abs, Size: st.Size(), Digest: "file:" + hex.EncodeToString(sum[:16])}, nil
		}
		// Not a file: library names have slashes too (hf.co/org/repo:Q4_K_M, namespace/name).
	}
	if r.next == nil {
		return engine.ModelRef{}, fmt.Errorf("%w: %s", engine.ErrUnknownModel, name)
	}
	return r.next.Resolve(ctx, name)
}

// engineOptions are the engine settings the commands share.
type engineOptions struct {
	paths    config.Paths
	resolver engine.Resolver
	planner  engine.Planner
	settings config.Settings
	log      *slog.Logger
	// onWorkerExit is told about workers that died (for metrics).
	onWorkerExit func(model string, err error)
	// draftFor names a model's default draft model; nil reads settings.DraftModels.
	draftFor func(model string) string
	// defaultsFor gives a model's own context and keep-alive; nil reads settings.ModelDefaults.
	defaultsFor func(model string) engine.ModelDefaults
}

// modelDefaults turns settings.model_defaults[model] into the engine's (validated when saved;
// a keep-alive that does not parse is left to the server-wide one).
func modelDefaults(s config.Settings, model string) engine.ModelDefaults {
	d, ok := s.ModelDefaults[model]
	if !ok && !strings.Contains(model, ":") {
		d, ok = s.ModelDefaults[model+":latest"] // the UI saves names with their tag
	}
	if !ok {
		return engine.ModelDefaults{}
	}
	out := engine.ModelDefaults{ContextLength: d.ContextLength}
	if d.KeepAlive != "" {
		if k, err := config.ParseKeepAlive(d.KeepAlive); err == nil {
			out.KeepAlive = &k
		}
	}
	return out
}

// liveDefaults is modelDefaults with the settings' own keep_alive where the model has none,
// read at each load or request so that a changed keep-alive applies without a restart.
func liveDefaults(s config.Settings, model string) engine.ModelDefaults {
	d := modelDefaults(s, model)
	if d.KeepAlive == nil && s.KeepAlive != "" {
		if k, err := config.ParseKeepAlive(s.KeepAlive); err == nil && k != 0 {
			d.KeepAlive = &k
		}
	}
	return d
}

func newEngine(o engineOptions) (*engine.Engine, error) {
	if err := o.paths.Ensure(); err != nil {
		return nil, err
	}
	s := o.settings
	if o.draftFor == nil {
		o.draftFor = func(m string) string { return s.DraftModels[m] }
	}
	if o.defaultsFor == nil {
		o.defaultsFor = func(m string) engine.ModelDefaults { return modelDefaults(s, m) }
	}
	keep, err := config.ParseKeepAlive(s.KeepAlive)
	if err != nil {
		return nil, err
	}
	return engine.New(engine.Config{
		Resolver:      fileResolver{next: o.resolver},
		Planner:       o.planner,
		RuntimeDir:    o.paths.Runtime,
		StateDir:      o.paths.KV(),
		KeepAlive:     keep,
		MaxLoaded:     s.MaxLoaded,
		Slots:         s.Slots,
		ContextLength: s.ContextLength,
		PerSlotKV:     s.PerSlotKV,
		KVType:        s.KVType,
		FlashAttn:     s.FlashAttn,
		Log:           o.log,
		OnWorkerExit:  o.onWorkerExit,
		DraftFor:      o.draftFor,
		DefaultsFor:   o.defaultsFor,
	})
}

// libraryResolver returns the model library's resolver, so that `perch run NAME` finds library
// names and models-directory files (from PERCH_MODELS_DIRS and the settings); nil when the
// library cannot be opened.
func libraryResolver() engine.Resolver {
	s, err := openStore(nil)
	if err != nil {
		slog.Warn("model library unavailable", "err", err)
		return nil
	}
	return s
}
