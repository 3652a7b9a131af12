package openai

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a settable time for the store's expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRespStorePutGetRemove(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	st := NewRespStore(RespStoreMax, RespStoreTTL, c.now)
	conv := RespConversation{{Role: "user", Content: "안녕"}, {Role: "assistant", Content: "안녕하세요"}}
	st.Put("resp_1", conv, []byte(`{"id":"resp_1"}`))
	v, ok := st.Get("resp_1")
	if !ok || string(v.Body) != `{"id":"resp_1"}` || len(v.Conv) != 2 || v.Conv[1].Content != "안녕하세요" || !v.At.Equal(c.now()) {
		t.Fatalf("Get: %+v %v", v, ok)
	}
	if _, ok := st.Get("resp_2"); ok {
		t.Error("Get of an id never stored found one")
	}
	if !st.Remove("resp_1") {
		t.Error("Remove of a stored response said there was none")
	}
	if _, ok := st.Get("resp_1"); ok || st.Remove("resp_1") {
		t.Error("a removed response is still there")
	}
}

func TestRespStoreExpires(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	st := NewRespStore(10, time.Hour, c.now)
	st.Put("old", nil, []byte("1"))
	c.add(40 * time.Minute)
	st.Put("new", nil, []byte("2"))
	c.add(20 * time.Minute) // old is an hour old now
	if _, ok := st.Get("old"); ok {
		t.Error("a response kept an hour is still there")
	}
	if _, ok := st.Get("new"); !ok {
		t.Error("a response kept 20 minutes is gone")
	}
	c.add(40 * time.Minute)
	if _, ok := st.Get("new"); ok {
		t.Error("new outlived the ttl")
	}
}

func TestRespStoreDropsOldestBeyondMax(t *testing.T) {
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	st := NewRespStore(3, time.Hour, c.now)
	for i := range 5 {
		st.Put(fmt.Sprintf("resp_%d", i), RespConversation{{Role: "user", Content: "q"}}, nil)
		c.add(time.Second)
	}
	for i := range 5 {
		_, ok := st.Get(fmt.Sprintf("resp_%d", i))
		if want := i >= 2; ok != want {
			t.Errorf("resp_%d kept: %v, want %v", i, ok, want)
		}
	}
}

func TestRespStoreConcurrent(t *testing.T) {
	st := NewRespStore(RespStoreMax, RespStoreTTL, time.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				id := fmt.Sprintf("resp_%d_%d", g, i)
				st.Put(id, nil, []byte(id))
				if v, ok := st.Get(id); ok && string(v.Body) != id {
					t.Errorf("Get(%s) = %s", id, v.Body)
				}
				st.Remove(id)
			}
		}()
	}
	wg.Wait()
}
