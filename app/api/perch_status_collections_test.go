package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/engine"
)

// noEmbedder lets a docs store open in tests that never index anything.
type noEmbedder struct{}

func (noEmbedder) Embed(context.Context, engine.EmbedRequest) (*engine.EmbedResult, error) {
	return nil, errors.New("these tests embed nothing")
}

func openDocs(t *testing.T) *docs.Store {
	t.Helper()
	store, err := docs.Open(context.Background(), filepath.Join(t.TempDir(), "collections.db"), docs.Options{Embedder: noEmbedder{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// The UI hides Documents unless the status says the collection store is there.
func TestPerchStatusCollectionsFeature(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want bool
	}{
		{"without a store", nil, false},
		{"with a store", []Option{WithCollections(openDocs(t))}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newPerchEnv(t, Config{}, tt.opts...)
			code, body := env.do(t, "GET", "/perch/status", "")
			var st struct {
				Features map[string]bool `json:"features"`
			}
			if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
				t.Fatalf("status: %d %s", code, body)
			}
			if got, ok := st.Features["collections"]; !ok || got != tt.want {
				t.Errorf("features.collections = %v (present %v), want %v: %s", got, ok, tt.want, body)
			}
		})
	}
}

// Deleting a chat drops its collection link and saved sources too.
func TestPerchChatDeleteForgetsCollection(t *testing.T) {
	store := openDocs(t)
	env := newPerchEnv(t, Config{}, WithCollections(store))
	ctx := context.Background()
	c, err := store.Create(ctx, docs.NewCollection{Name: "notes", EmbeddingModel: "stories260k"})
	if err != nil {
		t.Fatal(err)
	}
	keep, gone := newChat(t, env, `{}`), newChat(t, env, `{}`)
	for _, id := range []int64{keep, gone} {
		if code, body := env.do(t, "PUT", fmt.Sprintf("/perch/chats/%d/collection", id), fmt.Sprintf(`{"collection":%d}`, c.ID)); code != 200 {
			t.Fatalf("attach %d: %d %s", id, code, body)
		}
		if err := store.SaveSources(ctx, id, 1, []docs.Source{{N: 1, CollectionID: c.ID, Document: "a.md", Text: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := env.do(t, "DELETE", fmt.Sprintf("/perch/chats/%d", gone), ""); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}

	tests := []struct {
		chat        int64
		wantLinked  bool
		wantSources int
	}{
		{keep, true, 1},
		{gone, false, 0},
	}
	for _, tt := range tests {
		_, linked, err := store.ChatCollection(ctx, tt.chat)
		if err != nil {
			t.Fatal(err)
		}
		src, err := store.ChatSources(ctx, tt.chat)
		if err != nil {
			t.Fatal(err)
		}
		if linked != tt.wantLinked || len(src) != tt.wantSources {
			t.Errorf("chat %d: linked %v, %d saved answers; want %v, %d", tt.chat, linked, len(src), tt.wantLinked, tt.wantSources)
		}
	}
	// Deleting it again is a 404, as before.
	if code, _ := env.do(t, "DELETE", fmt.Sprintf("/perch/chats/%d", gone), ""); code != 404 {
		t.Errorf("second delete: %d", code)
	}
}
