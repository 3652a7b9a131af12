package catalog

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/engine/sharedtest"
)

func TestEmbedded(t *testing.T) {
	c := Embedded()
	for _, task := range []string{"chat", "coding", "reasoning", "embedding"} {
		if len(c.Filter(task)) == 0 {
			t.Errorf("no %s models", task)
		}
	}
	var korean, koEmbed bool
	for _, e := range c.Models {
		if slices.Contains(e.Languages, "ko") {
			korean = true
			koEmbed = koEmbed || slices.Contains(e.Tasks, "embedding")
		}
		if !e.Approximate {
			t.Errorf("%s: embedded sizes must be marked approximate", e.ID)
		}
		s := e.Shape
		if s.Architecture == "" || s.BlockCount == 0 || s.HeadCountKV == 0 || s.HeadDim == 0 || s.ContextLength == 0 || s.Parameters == 0 {
			t.Errorf("%s: incomplete shape %+v", e.ID, s)
		}
		for _, q := range e.Quants {
			if q.Size <= 0 || !strings.HasSuffix(q.File, ".gguf") || hf.QuantOf(q.File) != q.Name {
				t.Errorf("%s: quant %+v", e.ID, q)
			}
		}
		if !strings.HasPrefix(e.Ref(""), "hf.co/") {
			t.Errorf("%s: ref %s", e.ID, e.Ref(""))
		}
	}
	if !korean || !koEmbed {
		t.Errorf("the catalog lacks Korean chat or embedding models")
	}
}

// Documents offers one embedding model first: small enough for any Mac, and good at Korean.
func TestDocumentsEmbedding(t *testing.T) {
	c := Embedded()
	if n := len(c.Filter(TaskDocuments)); n != 1 {
		t.Fatalf("%d entries are marked %q, want exactly one", n, TaskDocuments)
	}
	e, ok := c.DocumentsEmbedding()
	if !ok {
		t.Fatal("no embedding model recommended for Documents")
	}
	q, _ := e.Quant(e.Recommended)
	checks := []struct {
		name string
		ok   bool
	}{
		{"is bge-m3", e.ID == "bge-m3"},
		{"handles Korean", slices.Contains(e.Languages, "ko") && slices.Contains(e.Languages, "multilingual")},
		{"is small (under 1 GB at its recommended quantization)", q.Size > 0 && q.Size < 1e9},
		{"is found by searching for documents", slices.ContainsFunc(c.Search("documents"), func(x Entry) bool { return x.ID == e.ID })},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("the Documents embedding model %s: fails %q", e.ID, ch.name)
		}
	}
	if _, ok := (&Catalog{Models: c.Filter("chat")}).DocumentsEmbedding(); ok {
		t.Error("a catalog without embedding models recommends one")
	}
}

func TestSearch(t *testing.T) {
	c := Embedded()
	cases := map[string]string{
		"exaone":        "exaone-3.5-7.8b-instruct",
		"korean":        "",
		"ko embedding":  "bge-m3",
		"QWEN coder 7b": "qwen2.5-coder-7b-instruct",
	}
	for q, want := range cases {
		t.Run(q, func(t *testing.T) {
			var ids []string
			for _, e := range c.Search(q) {
				ids = append(ids, e.ID)
			}
			if want != "" && !slices.Contains(ids, want) {
				t.Errorf("Search(%q) = %v, want %s among them", q, ids, want)
			}
		})
	}
	if len(c.Search("")) != len(c.Models) {
		t.Errorf("empty search does not list all")
	}
}

// Refresh and Inspect against a fake Hub that hosts one of the entries' repositories.
func TestRefreshAndInspect(t *testing.T) {
	stories := fakehub.ReadFile(t, sharedtest.Path(t, "models", "stories260K.gguf"))
	tiny := fakehub.ReadFile(t, sharedtest.Path(t, "models", "llama-2-tiny-random.gguf"))
	h := fakehub.New(t)
	h.AddRepo("test/Stories-GGUF", false,
		fakehub.File{Path: "stories-Q4_K_M.gguf", Data: stories},
		fakehub.File{Path: "stories-Q8_0.gguf", Data: tiny})
	c, err := Parse([]byte(`{"version":1,"models":[
		{"id":"stories","name":"Stories","repo":"test/Stories-GGUF","tasks":["chat"],"recommended":"Q4_K_M","approximate":true,
		 "quants":[{"name":"Q4_K_M","file":"stories-Q4_K_M.gguf","size":1}]},
		{"id":"gone","name":"Gone","repo":"test/Gone-GGUF","recommended":"Q8_0","approximate":true,
		 "quants":[{"name":"Q8_0","file":"gone-Q8_0.gguf","size":5}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	client := hf.New(h.URL, "", nil).WithRetries(0, 0)
	err = c.Refresh(context.Background(), client)
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("Refresh error = %v, want one for the missing repository", err)
	}
	e, _ := c.Get("stories")
	if e.Approximate || len(e.Quants) != 2 || e.Quants[0].Size != int64(len(stories)) || e.Quants[1].Size != int64(len(tiny)) {
		t.Errorf("refreshed %+v", e)
	}
	if g, _ := c.Get("gone"); !g.Approximate || g.Quants[0].Size != 5 {
		t.Errorf("a failed entry changed: %+v", g)
	}

	info, err := c.Inspect(context.Background(), client, "stories", "")
	if err != nil {
		t.Fatal(err)
	}
	e, _ = c.Get("stories")
	if info.File == nil || e.Shape.BlockCount != 5 || e.Shape.HeadCountKV != 4 || e.Shape.ContextLength != 2048 || e.Shape.HeadDim != 8 {
		t.Errorf("shape after inspect %+v", e.Shape)
	}

	path := filepath.Join(t.TempDir(), "catalog.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	if got := Open(path); len(got.Models) != 2 {
		t.Errorf("Open of the saved catalog has %d models", len(got.Models))
	}
	if got := Open(filepath.Join(t.TempDir(), "none.json")); len(got.Models) != len(Embedded().Models) {
		t.Errorf("Open without a file is not the embedded catalog")
	}

	res := c.Find(context.Background(), client, "stories", 5)
	if res.HubErr != nil || len(res.Hub) != 1 || len(res.Catalog) != 1 || !slices.Equal(res.Hub[0].Quants, []string{"Q4_K_M", "Q8_0"}) {
		t.Errorf("Find = %+v", res)
	}
}
