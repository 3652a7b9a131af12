package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Downloads the UI starts run in the server, not in the request that started them: the
// popover closes and opens again, and the download goes on. The UI watches them through one
// SSE stream. Pause cancels the transfer and keeps the partial file (the library resumes it
// with HTTP Range); cancel also deletes it.

// Pull states.
const (
	pullQueued    = "queued"
	pullRunning   = "downloading"
	pullVerifying = "verifying"
	pullPaused    = "paused"
	pullDone      = "done"
	pullFailed    = "error"
	pullCancelled = "cancelled"
)

// pullView is a download as the UI sees it.
type pullView struct {
	ID        string    `json:"id"`
	Ref       string    `json:"ref"`
	State     string    `json:"state"`
	Phase     string    `json:"phase,omitempty"`
	Completed int64     `json:"completed"`
	Total     int64     `json:"total"`
	RateBps   float64   `json:"rate_bps"`
	ETASecs   float64   `json:"eta_s"`
	Error     string    `json:"error,omitempty"`
	ErrorCode string    `json:"error_code,omitempty"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type pullJob struct {
	view   pullView
	files  map[string][2]int64 // digest → completed, total
	cancel context.CancelFunc
	// intent says why cancel was called: paused or cancelled.
	intent string
	// done is closed when the current run ends.
	done chan struct{}
}

type pullManager struct {
	lib     Library
	discard PullDiscarder
	log     *slog.Logger
	now     func() time.Time

	mu    sync.Mutex
	jobs  map[string]*pullJob
	order []string
	// watchers get a signal (non-blocking) on every change.
	watchers map[chan struct{}]bool
	// lastPing limits change signals for byte progress to a few a second.
	lastPing time.Time
}

func newPullManager(lib Library, d PullDiscarder, log *slog.Logger, now func() time.Time) *pullManager {
	return &pullManager{lib: lib, discard: d, log: log, now: now, jobs: map[string]*pullJob{}, watchers: map[chan struct{}]bool{}}
}

// maxPullsKept bounds the finished downloads remembered for the UI.
const maxPullsKept = 20

func (m *pullManager) start(ref string) (pullView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.order {
		j := m.jobs[id]
		if j.view.Ref != ref {
			continue
		}
		switch j.view.State {
		case pullQueued, pullRunning, pullVerifying:
			return j.view, nil // one download per reference
		case pullPaused:
			m.runLocked(j)
			return j.view, nil
		}
	}
	b := make([]byte, 6)
	rand.Read(b)
	now := m.now()
	j := &pullJob{view: pullView{ID: hex.EncodeToString(b), Ref: ref, State: pullQueued, StartedAt: now, UpdatedAt: now}}
	m.jobs[j.view.ID] = j
	m.order = append(m.order, j.view.ID)
	m.trimLocked()
	m.runLocked(j)
	return j.view, nil
}

// trimLocked forgets the oldest finished downloads beyond maxPullsKept.
func (m *pullManager) trimLocked() {
	for len(m.order) > maxPullsKept {
		i := slices.IndexFunc(m.order, func(id string) bool {
			s := m.jobs[id].view.State
			return s == pullDone || s == pullFailed || s == pullCancelled
		})
		if i < 0 {
			return
		}
		delete(m.jobs, m.order[i])
		m.order = slices.Delete(m.order, i, i+1)
	}
}

func (m *pullManager) runLocked(j *pullJob) {
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel, j.intent, j.done = cancel, "", make(chan struct{})
	j.view.State, j.view.Error, j.view.ErrorCode, j.view.RateBps, j.view.ETASecs = pullRunning, "", "", 0, 0
	j.view.UpdatedAt = m.now()
	done := j.done
	m.pingLocked(true)
	go func() {
		defer close(done)
		err := m.lib.Pull(ctx, j.view.Ref, func(p PullProgress) { m.progress(j, p) })
		m.finish(j, err)
	}()
}

func (m *pullManager) progress(j *pullJob, p PullProgress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j.intent != "" {
		return // paused or cancelled: the last reports of the transfer no longer count
	}
	j.view.Phase = string(p.Phase)
	switch p.Phase {
	case PullVerify:
		j.view.State = pullVerifying
	case PullDownload:
		j.view.State = pullRunning
		if j.files == nil {
			j.files = map[string][2]int64{}
		}
		key := p.Digest
		if key == "" {
			key = "file"
		}
		j.files[key] = [2]int64{p.Completed, p.Total}
		var c, t int64
		for _, f := range j.files {
			c, t = c+f[0], t+f[1]
		}
		j.view.Completed, j.view.Total = c, t
		// Files download one after another: the current file's rate is the pull's, and its
		// time left is all that is known (later parts of a split model are not, yet).
		j.view.RateBps, j.view.ETASecs = p.BytesPerSecond, p.ETA.Seconds()
	}
	j.view.UpdatedAt = m.now()
	m.pingLocked(p.Phase != PullDownload)
}

func (m *pullManager) finish(j *pullJob, err error) {
	m.mu.Lock()
	intent := j.intent
	j.view.UpdatedAt = m.now()
	j.view.RateBps, j.view.ETASecs = 0, 0
	switch {
	case intent == pullPaused:
		j.view.State = pullPaused
	case intent == pullCancelled:
		j.view.State = pullCancelled
	case err != nil:
		ae := toAPIError(err)
		j.view.State, j.view.Error, j.view.ErrorCode = pullFailed, ae.Message, ae.Code
		m.log.Warn("download failed", "ref", j.view.Ref, "error", err)
	default:
		j.view.State, j.view.Phase = pullDone, string(PullDone)
		if j.view.Total > 0 {
			j.view.Completed = j.view.Total
		}
	}
	ref := j.view.Ref
	m.pingLocked(true)
	m.mu.Unlock()
	if intent == pullCancelled && m.discard != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.discard.DiscardPull(ctx, ref); err != nil {
			m.log.Warn("could not delete a cancelled download's files", "ref", ref, "error", err)
		}
	}
}

var errPullNotFound = errors.New("no such download")

func (m *pullManager) job(id string) (*pullJob, error) {
	j, ok := m.jobs[id]
	if !ok {
		return nil, fmt.Errorf("download %q: %w", id, errPullNotFound)
	}
	return j, nil
}

// stop pauses or cancels a download and waits for its transfer to end, so the answer
// reflects the final state.
func (m *pullManager) stop(id, intent string) (pullView, error) {
	m.mu.Lock()
	j, err := m.job(id)
	if err != nil {
		m.mu.Unlock()
		return pullView{}, err
	}
	st := j.view.State
	switch {
	case st == pullQueued || st == pullRunning || st == pullVerifying:
		j.intent = intent
		j.cancel()
		done := j.done
		m.mu.Unlock()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			m.log.Warn("download did not stop within 30 seconds", "ref", j.view.Ref)
		}
		m.mu.Lock()
		v := j.view
		m.mu.Unlock()
		return v, nil
	case st == pullPaused && intent == pullCancelled:
		j.view.State, j.view.UpdatedAt = pullCancelled, m.now()
		ref := j.view.Ref
		m.pingLocked(true)
		v := j.view
		m.mu.Unlock()
		if m.discard != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := m.discard.DiscardPull(ctx, ref); err != nil {
				m.log.Warn("could not delete a cancelled download's files", "ref", ref, "error", err)
			}
		}
		return v, nil
	}
	v := j.view
	m.mu.Unlock()
	if st == pullPaused && intent == pullPaused {
		return v, nil
	}
	return v, &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "not_running",
		Message: fmt.Sprintf("the download of %s is %s; only a running download can be paused or cancelled", v.Ref, st)}
}

func (m *pullManager) resume(id string) (pullView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.job(id)
	if err != nil {
		return pullView{}, err
	}
	switch j.view.State {
	case pullPaused, pullFailed, pullCancelled:
		m.runLocked(j)
		return j.view, nil
	case pullQueued, pullRunning, pullVerifying:
		return j.view, nil
	}
	return j.view, &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "finished",
		Message: fmt.Sprintf("the download of %s has finished", j.view.Ref)}
}

// dismiss forgets a finished download.
func (m *pullManager) dismiss(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.job(id)
	if err != nil {
		return err
	}
	switch j.view.State {
	case pullDone, pullFailed, pullCancelled, pullPaused:
	default:
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "running",
			Message: fmt.Sprintf("the download of %s is still running; pause or cancel it first", j.view.Ref)}
	}
	delete(m.jobs, id)
	m.order = slices.DeleteFunc(m.order, func(x string) bool { return x == id })
	m.pingLocked(true)
	return nil
}

func (m *pullManager) list() []pullView {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]pullView, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, m.jobs[id].view)
	}
	return out
}

// pingLocked tells watchers something changed; byte progress at most 5 times a second.
func (m *pullManager) pingLocked(always bool) {
	now := m.now()
	if !always && now.Sub(m.lastPing) < 200*time.Millisecond {
		return
	}
	m.lastPing = now
	for ch := range m.watchers {
		select {
		case ch <- struct{}{}:
		default: // a signal is already pending; the watcher reads the latest state anyway
		}
	}
}

func (m *pullManager) watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	m.watchers[ch] = true
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		delete(m.watchers, ch)
		m.mu.Unlock()
	}
}

// Routes.

type pullRequest struct {
	Ref string `json:"ref"`
}

func (a *perchAPI) pullErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errPullNotFound) {
		err = &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Message: err.Error()}
	}
	writeOpenAIError(w, r, err)
}

func (a *perchAPI) pullStart(w http.ResponseWriter, r *http.Request) {
	if a.s.lib == nil {
		writeOpenAIError(w, r, errNoLibrary)
		return
	}
	var req pullRequest
	if err := decodeBody(r, &req); err != nil {
		writeOpenAIError(w, r, err)
		return
	}
	if err := validatePullRef("ref", req.Ref); err != nil {
		writeOpenAIError(w, r, err)
		return
	}
	v, err := a.pulls.start(req.Ref)
	if err != nil {
		a.pullErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

func (a *perchAPI) pullList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"pulls": a.pulls.list()})
}

// pullEvents streams {"pulls": [...]} now and after every change until the client leaves.
func (a *perchAPI) pullEvents(w http.ResponseWriter, r *http.Request) {
	ch, stop := a.pulls.watch()
	defer stop()
	sw := newSSE(w)
	if err := sw.Send(map[string]any{"pulls": a.pulls.list()}); err != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ch:
			if err := sw.Send(map[string]any{"pulls": a.pulls.list()}); err != nil {
				return
			}
		}
	}
}

func (a *perchAPI) pullPause(w http.ResponseWriter, r *http.Request) {
	v, err := a.pulls.stop(r.PathValue("id"), pullPaused)
	if err != nil {
		a.pullErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *perchAPI) pullCancel(w http.ResponseWriter, r *http.Request) {
	v, err := a.pulls.stop(r.PathValue("id"), pullCancelled)
	if err != nil {
		a.pullErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *perchAPI) pullResume(w http.ResponseWriter, r *http.Request) {
	if a.s.lib == nil {
		writeOpenAIError(w, r, errNoLibrary)
		return
	}
	v, err := a.pulls.resume(r.PathValue("id"))
	if err != nil {
		a.pullErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *perchAPI) pullDismiss(w http.ResponseWriter, r *http.Request) {
	if err := a.pulls.dismiss(r.PathValue("id")); err != nil {
		a.pullErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
