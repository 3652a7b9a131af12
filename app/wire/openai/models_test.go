package openai

import (
	"testing"
	"time"

	"github.com/perchapp/perch/app/wire/perch"
)

func TestModelOf(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		m    perch.LibraryModel
		want Model
	}{
		{perch.LibraryModel{Name: "qwen3:8b", ModifiedAt: at}, Model{ID: "qwen3:8b", Object: "model", Created: at.Unix(), OwnedBy: "perch"}},
		{perch.LibraryModel{Name: "/tmp/x.gguf"}, Model{ID: "/tmp/x.gguf", Object: "model", OwnedBy: "perch"}},
		{perch.LibraryModel{Name: "box/llama", Remote: "box"}, Model{ID: "box/llama", Object: "model", OwnedBy: "box"}},
	}
	for _, tt := range tests {
		if got := ModelOf(tt.m); got != tt.want {
			t.Errorf("ModelOf(%+v) = %+v, want %+v", tt.m, got, tt.want)
		}
	}
}
