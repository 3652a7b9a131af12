package desktop

import (
	"reflect"
	"testing"
)

func TestBuildMenu(t *testing.T) {
	empty := BuildMenu(nil)
	want := []MenuItem{
		{ID: MenuOpen, Title: "Open Perch"},
		{ID: MenuSettings, Title: "Settings…"},
		{Separator: true},
		{Title: "No model loaded", Disabled: true},
		{Separator: true},
		{ID: MenuQuit, Title: "Quit Perch"},
	}
	if !reflect.DeepEqual(empty, want) {
		t.Fatalf("empty menu:\n got %+v\nwant %+v", empty, want)
	}

	got := BuildMenu([]Model{{Name: "qwen3:4b", Generating: true}, {Name: "llama3.2:1b"}})
	models := got[3:6]
	wantModels := []MenuItem{
		{Title: "Loaded models", Disabled: true},
		{Title: "llama3.2:1b", Children: []MenuItem{{ID: "unload:llama3.2:1b", Title: "Unload"}}},
		{Title: "qwen3:4b — generating", Children: []MenuItem{{ID: "unload:qwen3:4b", Title: "Unload"}}},
	}
	if !reflect.DeepEqual(models, wantModels) {
		t.Fatalf("model items:\n got %+v\nwant %+v", models, wantModels)
	}
	if last := got[len(got)-1]; last.ID != MenuQuit {
		t.Fatalf("last item = %+v, want Quit", last)
	}
}

func TestMenuEqual(t *testing.T) {
	a := BuildMenu([]Model{{Name: "m"}})
	if !menuEqual(a, BuildMenu([]Model{{Name: "m"}})) {
		t.Fatal("the same models gave different menus")
	}
	if menuEqual(a, BuildMenu([]Model{{Name: "m", Generating: true}})) {
		t.Fatal("a model starting to generate did not change the menu")
	}
	if menuEqual(a, BuildMenu(nil)) {
		t.Fatal("unloading did not change the menu")
	}
}

func TestAnyGenerating(t *testing.T) {
	if anyGenerating([]Model{{Name: "a"}}) || !anyGenerating([]Model{{Name: "a"}, {Name: "b", Generating: true}}) {
		t.Fatal("anyGenerating is wrong")
	}
}
