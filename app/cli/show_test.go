package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/memplan"
)

func TestShowCommand(t *testing.T) {
	e := newLibEnv(t)
	mustPerch(t, "pull", "hf.co/test/Stories-GGUF:Q4_K_M")
	tiny := e.hub.Host + "/library/tiny:latest"
	mustPerch(t, "pull", tiny)

	path := strings.TrimSpace(mustPerch(t, "show", "--path", "hf.co/test/Stories-GGUF:q4_k_m"))
	if b, err := os.ReadFile(path); err != nil || string(b[:4]) != "GGUF" {
		t.Errorf("--path printed %q, not a GGUF file (%v)", path, err)
	}

	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"show", "hf.co/test/Stories-GGUF"}, []string{"architecture", "llama", "context length", "2048", "layers", "5", "8 (4 for K/V)", "F32", "chat template", "no"}},
		{[]string{"show", tiny}, []string{"Parameters", `"foo" "bar"`, "License", "MIT licence"}},
		{[]string{"show", "--parameters", tiny}, []string{"top_p", "0.9"}},
		{[]string{"show", "--license", tiny}, []string{"MIT licence"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := mustPerch(t, c.args...)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	var shown struct {
		Name string `json:"name"`
		GGUF struct {
			BlockCount  int `json:"block_count"`
			HeadCountKV int `json:"head_count_kv"`
		} `json:"gguf"`
	}
	if err := json.Unmarshal([]byte(mustPerch(t, "show", "--json", "hf.co/test/Stories-GGUF:Q4_K_M")), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Name != "hf.co/test/Stories-GGUF:Q4_K_M" || shown.GGUF.BlockCount != 5 || shown.GGUF.HeadCountKV != 4 {
		t.Errorf("show --json: %+v", shown)
	}

	if _, err := perch(t, "show", "nope"); err == nil || !strings.Contains(err.Error(), "perch pull nope") {
		t.Errorf("show of an unknown model: %v", err)
	}
}

// TestShowMemoryAsServer: the memory plan perch show prints is the server's, with the
// settings' slots and context, not a single slot.
func TestShowMemoryAsServer(t *testing.T) {
	e := newLibEnv(t)
	mustPerch(t, "pull", "hf.co/test/Stories-GGUF:Q4_K_M")
	t.Setenv(memplan.EnvSimulateMemory, "16")
	st, err := config.Open(config.DefaultPaths().SettingsFile())
	if err != nil {
		t.Fatal(err)
	}
	s := st.Get()
	s.Slots, s.ContextLength = 6, 1024
	if err := st.Update(s); err != nil {
		t.Fatal(err)
	}
	shape, err := memplan.ReadShape(e.storiesPath)
	if err != nil {
		t.Fatal(err)
	}
	mac := memplan.SimulatedMac(16 << 30)
	want, err := memplan.Check(shape, memplan.Options{Context: 1024, Slots: 6, Backend: memplan.BackendMetal}, memplan.BudgetFor(mac, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := mustPerch(t, "show", "hf.co/test/Stories-GGUF:Q4_K_M")
	line := "at 1024 tokens of context, 6 slot(s) sharing one cache"
	figures := format.Memory(want.TotalBytes) + " total: weights " + format.Memory(want.WeightsBytes) + ", KV cache " + format.Memory(want.KVBytes+want.StateBytes)
	if !strings.Contains(out, line) || !strings.Contains(out, figures) {
		t.Errorf("show's memory lacks %q and %q:\n%s", line, figures, out)
	}
}
