package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/memplan"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth"
)

// fitModel generates a small synthetic F16 model (no llama.cpp needed) with the shared
// Llama vocabulary.
func fitModel(t *testing.T) string {
	t.Helper()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	vocab := filepath.Join(root, "..", "shared", "vocab", "ggml-vocab-llama-spm.gguf")
	if _, err := os.Stat(vocab); err != nil {
		sharedtest.Skipf(t, "shared vocabulary not found at %s", vocab)
	}
	s, _ := synth.Preset("tiny")
	p, err := synth.Build(context.Background(), s, vocab, "F16", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFitCommand(t *testing.T) {
	model := fitModel(t)
	t.Setenv(memplan.EnvSimulateMemory, "")

	// JSON for a simulated 16 GB Mac carries the documented fields.
	out := mustPerch(t, "fit", model, "--memory", "16GB", "--ctx", "2048", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, k := range []string{"weights_bytes", "kv_bytes", "compute_bytes", "overhead_bytes", "total_bytes", "budget_bytes", "verdict", "max_ctx",
		"context", "slots", "kv_unified"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %s:\n%s", k, out)
		}
	}
	if got["verdict"] != "fits" || got["max_ctx"].(float64) != 2048 || got["budget_bytes"].(float64) != float64(16<<30/3*2-1<<30) {
		t.Errorf("verdict %v, max_ctx %v, budget %v", got["verdict"], got["max_ctx"], got["budget_bytes"])
	}
	// The verdict says which context it assumes, and the server's load: 4 slots, one cache.
	if got["context"] != 2048.0 || got["slots"] != 4.0 || got["kv_unified"] != true {
		t.Errorf("context %v, slots %v, kv_unified %v", got["context"], got["slots"], got["kv_unified"])
	}
	var per map[string]any
	json.Unmarshal([]byte(mustPerch(t, "fit", model, "--memory", "16GB", "--ctx", "2048", "--per-slot", "--json")), &per)
	if per["kv_unified"] != false || per["kv_bytes"].(float64) != 4*got["kv_bytes"].(float64) {
		t.Errorf("per-slot: kv_unified %v, kv %v (shared %v)", per["kv_unified"], per["kv_bytes"], got["kv_bytes"])
	}

	// The table, on this machine, with the context chosen.
	out = mustPerch(t, "fit", model, "--kv", "q8_0", "--slots", "2")
	for _, w := range []string{"verdict", "fits", "weights", "KV cache", "context  2048, 2 slot(s) sharing one cache, KV cache q8_0", "training context", "budget"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}

	// PERCH_SIMULATE_MEMORY_GB answers for another Mac.
	t.Setenv(memplan.EnvSimulateMemory, "8")
	out = mustPerch(t, "fit", model, "--json")
	if !strings.Contains(out, `"machine": "Apple Silicon Mac with 8.0 GiB (simulated by PERCH_SIMULATE_MEMORY_GB)"`) {
		t.Errorf("simulated machine not used:\n%s", out)
	}
	t.Setenv(memplan.EnvSimulateMemory, "")

	bad := filepath.Join(t.TempDir(), "bad.gguf")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fit", bad}, "GGUF"},
		{[]string{"fit", filepath.Join(t.TempDir(), "missing.gguf")}, "no such file"},
		{[]string{"fit", model, "--kv", "q5"}, "--kv must be"},
		{[]string{"fit", model, "--slots", "0"}, "--slots"},
		{[]string{"fit", model, "--slots", "65"}, "--slots must be from 1 to 64"},
		{[]string{"fit", model, "--ctx", "100"}, "--ctx must be"},
		{[]string{"fit", model, "--ctx", "4096"}, "above"},
		{[]string{"fit", model, "--memory", "lots"}, "--memory"},
		{[]string{"fit", "../../x"}, "invalid model name"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			if _, err := perch(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFitRemoteAndResolver(t *testing.T) {
	model := fitModel(t)
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "m.gguf", time.Time{}, strings.NewReader(string(data)))
	}))
	defer srv.Close()
	out := mustPerch(t, "fit", srv.URL+"/org/repo/resolve/main/tiny-F16.gguf", "--memory", "32GB")
	if !strings.Contains(out, "tiny-F16.gguf") || !strings.Contains(out, "fits") {
		t.Errorf("remote fit:\n%s", out)
	}

	// A resolver answering with several quantizations gets a ranking and the best that fits.
	shape, err := memplan.ReadShape(model)
	if err != nil {
		t.Fatal(err)
	}
	big := shape
	big.Tensors = []memplan.Tensor{{Name: "weights", Bytes: 40 << 30}}
	resolve := func(_ context.Context, ref string) ([]memplan.Candidate, error) {
		return []memplan.Candidate{{Name: "Q4_K_M", Shape: shape}, {Name: "F16", Shape: big}}, nil
	}
	out = mustFit(t, resolve, "tiny:latest", "--memory", "16GB")
	if !strings.Contains(out, "Q4_K_M") || !strings.Contains(out, "best that fits") || !strings.Contains(out, "too_large") {
		t.Errorf("catalog fit:\n%s", out)
	}
	var rep struct {
		Best   string `json:"best"`
		Quants []struct {
			Model   string `json:"model"`
			Verdict string `json:"verdict"`
		} `json:"quants"`
	}
	if err := json.Unmarshal([]byte(mustFit(t, resolve, "tiny:latest", "--memory", "16GB", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Best != "Q4_K_M" || len(rep.Quants) != 2 || rep.Quants[0].Model != "F16" || rep.Quants[0].Verdict != "too_large" {
		t.Errorf("catalog JSON %+v", rep)
	}
}

// mustFit runs perch fit with names resolved by resolve.
func mustFit(t *testing.T, resolve FitResolver, args ...string) string {
	t.Helper()
	cmd := newFitCmdWith(resolve)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("perch fit %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}
