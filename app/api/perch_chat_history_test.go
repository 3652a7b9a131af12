package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func historyList(t *testing.T, env *perchEnv) []struct {
	ID     int64 `json:"id"`
	Pinned bool  `json:"pinned"`
} {
	t.Helper()
	code, body := env.do(t, "GET", "/perch/chats", "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	var v struct {
		Chats []struct {
			ID     int64 `json:"id"`
			Pinned bool  `json:"pinned"`
		} `json:"chats"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return v.Chats
}

func TestPerchChatPin(t *testing.T) {
	env := newPerchEnv(t, Config{})
	a := newChat(t, env, `{"title":"a"}`)
	b := newChat(t, env, `{"title":"b"}`)
	tests := []struct {
		name, path, body string
		code             int
		first            int64
	}{
		{"pin the older", fmt.Sprintf("/perch/chats/%d/pin", a), `{"pinned":true}`, http.StatusOK, a},
		{"no pinned field", fmt.Sprintf("/perch/chats/%d/pin", b), `{}`, http.StatusBadRequest, a},
		{"not a bool", fmt.Sprintf("/perch/chats/%d/pin", b), `{"pinned":"yes"}`, http.StatusBadRequest, a},
		{"unknown chat", "/perch/chats/999/pin", `{"pinned":true}`, http.StatusNotFound, a},
		{"unpin", fmt.Sprintf("/perch/chats/%d/pin", a), `{"pinned":false}`, http.StatusOK, b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := env.do(t, "PUT", tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("PUT %s %s: %d %s", tt.path, tt.body, code, body)
			}
			if code == http.StatusOK && !strings.Contains(body, `"title"`) {
				t.Errorf("answer is not the chat: %s", body)
			}
			if got := historyList(t, env); len(got) != 2 || got[0].ID != tt.first || got[0].Pinned != (tt.first == a) {
				t.Errorf("list after %s: %+v, want %d first", tt.name, got, tt.first)
			}
		})
	}
}

func TestPerchChatsDeleteSeveral(t *testing.T) {
	env := newPerchEnv(t, Config{})
	var ids []int64
	for i := range 4 {
		ids = append(ids, newChat(t, env, fmt.Sprintf(`{"title":"c%d"}`, i)))
	}
	tests := []struct {
		name, body string
		code       int
		left       int
	}{
		{"no ids", `{}`, http.StatusBadRequest, 4},
		{"empty list", `{"ids":[]}`, http.StatusBadRequest, 4},
		{"not numbers", `{"ids":["a"]}`, http.StatusBadRequest, 4},
		{"one unknown deletes none", fmt.Sprintf(`{"ids":[%d,999]}`, ids[0]), http.StatusNotFound, 4},
		{"two", fmt.Sprintf(`{"ids":[%d,%d]}`, ids[0], ids[2]), http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := env.do(t, "POST", "/perch/chats/delete", tt.body)
			if code != tt.code {
				t.Fatalf("delete %s: %d %s", tt.body, code, body)
			}
			if code == http.StatusOK && body != `{"deleted":2}`+"\n" && body != `{"deleted":2}` {
				t.Errorf("answer %q", body)
			}
			if code != http.StatusOK && !strings.Contains(body, "error") {
				t.Errorf("no error message: %s", body)
			}
			if got := historyList(t, env); len(got) != tt.left {
				t.Errorf("%d chats left, want %d: %+v", len(got), tt.left, got)
			}
		})
	}
	got := historyList(t, env)
	if got[0].ID != ids[3] || got[1].ID != ids[1] {
		t.Errorf("the wrong chats were kept: %+v", got)
	}
}
