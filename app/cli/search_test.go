package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/library/catalog"
)

func TestSearchCommand(t *testing.T) {
	newLibEnv(t)
	cases := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"search", "stories"}, []string{"Hugging Face:", "hf.co/test/Stories-GGUF", "Q4_K_M Q8_0"}, []string{"Catalog:"}},
		{[]string{"search", "--offline", "exaone"}, []string{"Catalog:", "EXAONE 3.5 7.8B Instruct", "ko,en", "~4.8 GB", "hf.co/LGAI-EXAONE/EXAONE-3.5-7.8B-Instruct-GGUF:Q4_K_M"}, []string{"Hugging Face:"}},
		{[]string{"search", "--offline", "--task", "embedding"}, []string{"BGE-M3", "embedding"}, []string{"Qwen2.5 Coder"}},
		{[]string{"search", "--offline", "zzzz-nothing"}, []string{"Nothing found."}, nil},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := mustPerch(t, c.args...)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	var res catalog.Results
	if err := json.Unmarshal([]byte(mustPerch(t, "search", "--json", "qwen")), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Catalog) == 0 {
		t.Errorf("search --json qwen: %+v", res)
	}
	if _, err := perch(t, "search", "--task", "painting"); err == nil {
		t.Error("an unknown --task was accepted")
	}
}
