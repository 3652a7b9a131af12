package storeadapter_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/fake"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/catalog"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// listedModel is what GET /perch/models says of one model, as the UI reads it.
type listedModel struct {
	Name        string         `json:"name"`
	DisplayName string         `json:"display_name"`
	Fit         *perchwire.Fit `json:"fit"`
}

// TestPerchModelsNamesAndFits: the model list names models as people do, from the GGUF
// header ("Qwen3 8B · Q4_K_M", not "hf.co/Qwen/Qwen3-8B-GGUF:Q4_K_M"), and says whether each
// fits this Mac at the default context, so the model picker needs no request per model.
func TestPerchModelsNamesAndFits(t *testing.T) {
	dir := t.TempDir()
	synthtest.Header(t, filepath.Join(dir, "qwen3-8b-q4_k_m.gguf"), "general.architecture", "qwen3", "general.name", "Qwen3 8B",
		"general.basename", "Qwen3", "general.size_label", "8B", "general.file_type", uint32(15),
		"qwen3.block_count", uint32(1), "qwen3.embedding_length", uint32(4), "qwen3.context_length", uint32(4096),
		"qwen3.attention.head_count", uint32(1), "qwen3.attention.head_count_kv", uint32(1))
	tiny := sharedtest.Model(t, "llama-2-tiny-random.gguf")
	b, err := os.ReadFile(tiny)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny.gguf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := library.Open(t.TempDir(), library.WithDirs(dir), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	d := api.Deps{Engine: fake.New(1, fake.Default())}
	storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(32), nil, 4, "").Provide(&d, t.TempDir())
	srv := httptest.NewServer(api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, d).Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/perch/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Models []listedModel `json:"models"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /perch/models: %d %v", resp.StatusCode, err)
	}
	want := map[string]string{"qwen3-8b-q4_k_m": "Qwen3 8B · Q4_K_M", "tiny": "LLaMA v2 · F16"}
	got := map[string]listedModel{}
	for _, m := range body.Models {
		got[m.Name] = m
	}
	for name, dn := range want {
		m, ok := got[name]
		if !ok {
			t.Errorf("%s is not listed: %+v", name, body.Models)
			continue
		}
		if m.DisplayName != dn {
			t.Errorf("%s: display_name %q, want %q", name, m.DisplayName, dn)
		}
	}
	tm := got["tiny"]
	if tm.Fit == nil || tm.Fit.Verdict != perchwire.VerdictFits || tm.Fit.TotalBytes <= 0 || tm.Fit.ContextLength <= 0 {
		t.Errorf("tiny: fit %+v, want fits with a memory need and the context it assumes", tm.Fit)
	}
}
