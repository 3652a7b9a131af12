package remote_test

import (
	"context"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/remote"
	"github.com/perchapp/perch/app/remote/remotetest"
	"github.com/perchapp/perch/app/wire/perch"
)

func TestLibraryModels(t *testing.T) {
	ctx := context.Background()
	var none *remote.Manager
	if ms := none.LibraryModels(ctx); ms != nil {
		t.Errorf("a nil manager lists %v", ms)
	}
	if _, ok := none.LibraryModel(ctx, "gpu/x"); ok || none.Where(perch.LibraryModel{Name: "gpu/x", Remote: "gpu"}) != nil {
		t.Error("a nil manager found a remote model")
	}

	v := remotetest.NewVLLM("")
	defer v.Close()
	m, _ := open(t, remote.Options{})
	if _, err := m.Add(ctx, "gpu", v.URL, remote.KindOpenAI, ""); err != nil {
		t.Fatal(err)
	}
	ms := m.LibraryModels(ctx)
	if len(ms) != 3 {
		t.Fatalf("LibraryModels: %+v", ms)
	}
	for _, lm := range ms {
		if !strings.HasPrefix(lm.Name, "gpu/") || lm.Remote != "gpu" || lm.RemoteURL != v.URL {
			t.Errorf("entry %+v", lm)
		}
	}
	lm, ok := m.LibraryModel(ctx, "gpu/"+remotetest.Chat)
	if !ok || lm.Name != "gpu/"+remotetest.Chat {
		t.Fatalf("LibraryModel: %+v %v", lm, ok)
	}
	for _, name := range []string{"gpu/no-such-model", "other/" + remotetest.Chat, remotetest.Chat} {
		if _, ok := m.LibraryModel(ctx, name); ok {
			t.Errorf("LibraryModel(%q) found one", name)
		}
	}
	w := m.Where(lm)
	if w == nil || w.Endpoint != "gpu" || w.URL != v.URL || !w.Reachable || !strings.Contains(w.Memory, "uses none of this Mac's memory") {
		t.Errorf("Where: %+v", w)
	}
	if m.Where(perch.LibraryModel{Name: "qwen3:8b"}) != nil {
		t.Error("a local model is said to run elsewhere")
	}
}
