package openai

import (
	"sync"
	"time"
)

// Stored responses are kept for an hour, at most 256 of them (oldest dropped first): enough
// for a client's conversation, bounded for a long-running server.
const (
	RespStoreMax = 256
	RespStoreTTL = time.Hour
)

// StoredResp is a /v1/responses answer kept for GET /v1/responses/{id} and for a later
// request's previous_response_id.
type StoredResp struct {
	Conv RespConversation // the conversation including this answer, without instructions
	Body []byte           // the final response object
	At   time.Time
}

// RespStore keeps recent responses in memory, the newest max of them for ttl. It is safe
// for concurrent use.
type RespStore struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	items map[string]StoredResp
	order []string // ids, oldest first
}

// NewRespStore makes a store that keeps at most max responses for ttl, by the clock now.
func NewRespStore(max int, ttl time.Duration, now func() time.Time) *RespStore {
	return &RespStore{max: max, ttl: ttl, now: now, items: map[string]StoredResp{}}
}

// Put keeps a response, dropping the expired ones and then the oldest beyond max.
func (st *RespStore) Put(id string, conv RespConversation, body []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.items[id] = StoredResp{Conv: conv, Body: body, At: st.now()}
	st.order = append(st.order, id)
	st.expire()
	for len(st.items) > st.max && len(st.order) > 0 {
		delete(st.items, st.order[0])
		st.order = st.order[1:]
	}
}

// Get returns a response that is still kept.
func (st *RespStore) Get(id string) (StoredResp, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expire()
	v, ok := st.items[id]
	return v, ok
}

// Remove forgets a response; false when there was none.
func (st *RespStore) Remove(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.items[id]
	delete(st.items, id)
	return ok
}

// expire drops responses older than the ttl; order is oldest first. Called with mu held.
func (st *RespStore) expire() {
	cut := st.now().Add(-st.ttl)
	for len(st.order) > 0 {
		v, ok := st.items[st.order[0]]
		if ok && v.At.After(cut) {
			return
		}
		delete(st.items, st.order[0])
		st.order = st.order[1:]
	}
}
