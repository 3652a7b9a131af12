// Package pulls runs the downloads the UI starts, in the background rather than in the
// request that started them: the popover closes and opens again, and the download goes on.
// Watchers get a signal on every change. Pause cancels the transfer and keeps the partial
// file (the library resumes it with HTTP Range); cancel also deletes it; Close pauses them
// all, so none outlives the server.
package pulls

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// States of a download.
const (
	Queued    = "queued"
	Running   = "downloading"
	Verifying = "verifying"
	Paused    = "paused"
	Done      = "done"
	Failed    = "error"
	Cancelled = "cancelled"
)

// View is a download as the UI sees it.
type View struct {
	ID        string  `json:"id"`
	Ref       string  `json:"ref"`
	State     string  `json:"state"`
	Phase     string  `json:"phase,omitempty"`
	Completed int64   `json:"completed"`
	Total     int64   `json:"total"`
	RateBps   float64 `json:"rate_bps"`
	ETASecs   float64 `json:"eta_s"`
	Error     string  `json:"error,omitempty"`
	// ErrorCode is the failure's stable code (offline, disk_full, ...), which the UI words.
	ErrorCode string    `json:"error_code,omitempty"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Puller downloads a model, reporting progress; cancelling ctx stops it (a later pull
// resumes). The API's model library satisfies it through a small adapter.
type Puller interface {
	Pull(ctx context.Context, ref string, progress func(Progress)) error
}

// Discarder deletes what a cancelled pull left behind (its .partial files).
type Discarder interface {
	DiscardPull(ctx context.Context, ref string) error
}

// Progress is one report of a pull. Phase is one of the Phase constants.
type Progress struct {
	Phase     string
	Digest    string // the file being downloaded
	Total     int64
	Completed int64
	// BytesPerSecond and ETA are the library's estimates for that file (zero: unknown).
	BytesPerSecond float64
	ETA            time.Duration
}

// The phases a View reports, as the API's pull phases name them.
const (
	PhaseDownload = "download"
	PhaseVerify   = "verify"
	PhaseDone     = "done"
)

// ConflictError refuses an action the download's state does not allow (a 409 in the API).
type ConflictError struct {
	Code    string // not_running, finished, running
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

type job struct {
	view   View
	files  map[string][2]int64 // digest → completed, total
	cancel context.CancelFunc
	// intent says why cancel was called: paused or cancelled.
	intent string
	// done is closed when the current run ends.
	done chan struct{}
}

type Manager struct {
	lib      Puller
	discard  Discarder
	describe func(error) (msg, code string)
	log      *slog.Logger
	now      func() time.Time

	mu    sync.Mutex
	jobs  map[string]*job
	order []string
	// watchers get a signal (non-blocking) on every change.
	watchers map[chan struct{}]bool
	// lastPing limits change signals for byte progress to a few a second.
	lastPing time.Time
}

// New runs downloads through lib. d, when not nil, deletes what a cancelled download left;
// describe words a failure for the UI and gives its code (nil: the error's own text, no
// code); now is the clock.
func New(lib Puller, d Discarder, describe func(error) (msg, code string), log *slog.Logger, now func() time.Time) *Manager {
	if describe == nil {
		describe = func(err error) (string, string) { return err.Error(), "" }
	}
	return &Manager{lib: lib, discard: d, describe: describe, log: log, now: now, jobs: map[string]*job{}, watchers: map[chan struct{}]bool{}}
}

// maxPullsKept bounds the finished downloads remembered for the UI.
const maxPullsKept = 20

// Start downloads ref, or joins the running download of it, or resumes a paused one.
func (m *Manager) Start(ref string) (View, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range m.order {
		j := m.jobs[id]
		if j.view.Ref != ref {
			continue
		}
		switch j.view.State {
		case Queued, Running, Verifying:
			return j.view, nil // one download per reference
		case Paused:
			m.runLocked(j)
			return j.view, nil
		}
	}
	b := make([]byte, 6)
	rand.Read(b)
	now := m.now()
	j := &job{view: View{ID: hex.EncodeToString(b), Ref: ref, State: Queued, StartedAt: now, UpdatedAt: now}}
	m.jobs[j.view.ID] = j
	m.order = append(m.order, j.view.ID)
	m.trimLocked()
	m.runLocked(j)
	return j.view, nil
}

// trimLocked forgets the oldest finished downloads beyond maxPullsKept.
func (m *Manager) trimLocked() {
	for len(m.order) > maxPullsKept {
		i := slices.IndexFunc(m.order, func(id string) bool {
			s := m.jobs[id].view.State
			return s == Done || s == Failed || s == Cancelled
		})
		if i < 0 {
			return
		}
		delete(m.jobs, m.order[i])
		m.order = slices.Delete(m.order, i, i+1)
	}
}

func (m *Manager) runLocked(j *job) {
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel, j.intent, j.done = cancel, "", make(chan struct{})
	j.view.State, j.view.Error, j.view.ErrorCode, j.view.RateBps, j.view.ETASecs = Running, "", "", 0, 0
	j.view.UpdatedAt = m.now()
	done := j.done
	m.pingLocked(true)
	go func() {
		defer close(done)
		err := m.lib.Pull(ctx, j.view.Ref, func(p Progress) { m.progress(j, p) })
		m.finish(j, err)
	}()
}

func (m *Manager) progress(j *job, p Progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j.intent != "" {
		return // paused or cancelled: the last reports of the transfer no longer count
	}
	j.view.Phase = p.Phase
	switch p.Phase {
	case PhaseVerify:
		j.view.State = Verifying
	case PhaseDownload:
		j.view.State = Running
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
	m.pingLocked(p.Phase != PhaseDownload)
}

func (m *Manager) finish(j *job, err error) {
	m.mu.Lock()
	intent := j.intent
	j.view.UpdatedAt = m.now()
	j.view.RateBps, j.view.ETASecs = 0, 0
	switch {
	case intent == Paused:
		j.view.State = Paused
	case intent == Cancelled:
		j.view.State = Cancelled
	case err != nil:
		j.view.State = Failed
		j.view.Error, j.view.ErrorCode = m.describe(err)
		m.log.Warn("download failed", "ref", j.view.Ref, "error", err)
	default:
		j.view.State, j.view.Phase = Done, PhaseDone
		if j.view.Total > 0 {
			j.view.Completed = j.view.Total
		}
	}
	ref := j.view.Ref
	m.pingLocked(true)
	m.mu.Unlock()
	if intent == Cancelled && m.discard != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := m.discard.DiscardPull(ctx, ref); err != nil {
			m.log.Warn("could not delete a cancelled download's files", "ref", ref, "error", err)
		}
	}
}

// ErrNotFound is returned (wrapped) for an unknown download id.
var ErrNotFound = errors.New("no such download")

func (m *Manager) job(id string) (*job, error) {
	j, ok := m.jobs[id]
	if !ok {
		return nil, fmt.Errorf("download %q: %w", id, ErrNotFound)
	}
	return j, nil
}

// Pause stops a download and keeps its partial file, for Resume or a later pull.
func (m *Manager) Pause(id string) (View, error) { return m.stop(id, Paused) }

// Cancel stops a download and deletes its partial file.
func (m *Manager) Cancel(id string) (View, error) { return m.stop(id, Cancelled) }

// stop pauses or cancels a download and waits for its transfer to end, so the answer
// reflects the final state.
func (m *Manager) stop(id, intent string) (View, error) {
	m.mu.Lock()
	j, err := m.job(id)
	if err != nil {
		m.mu.Unlock()
		return View{}, err
	}
	st := j.view.State
	switch {
	case st == Queued || st == Running || st == Verifying:
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
	case st == Paused && intent == Cancelled:
		j.view.State, j.view.UpdatedAt = Cancelled, m.now()
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
	if st == Paused && intent == Paused {
		return v, nil
	}
	return v, &ConflictError{Code: "not_running",
		Message: fmt.Sprintf("the download of %s is %s; only a running download can be paused or cancelled", v.Ref, st)}
}

// Resume runs a paused, failed or cancelled download again.
func (m *Manager) Resume(id string) (View, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.job(id)
	if err != nil {
		return View{}, err
	}
	switch j.view.State {
	case Paused, Failed, Cancelled:
		m.runLocked(j)
		return j.view, nil
	case Queued, Running, Verifying:
		return j.view, nil
	}
	return j.view, &ConflictError{Code: "finished",
		Message: fmt.Sprintf("the download of %s has finished", j.view.Ref)}
}

// Dismiss forgets a finished download.
func (m *Manager) Dismiss(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.job(id)
	if err != nil {
		return err
	}
	switch j.view.State {
	case Done, Failed, Cancelled, Paused:
	default:
		return &ConflictError{Code: "running",
			Message: fmt.Sprintf("the download of %s is still running; pause or cancel it first", j.view.Ref)}
	}
	delete(m.jobs, id)
	m.order = slices.DeleteFunc(m.order, func(x string) bool { return x == id })
	m.pingLocked(true)
	return nil
}

// List is every download remembered, oldest first.
func (m *Manager) List() []View {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]View, 0, len(m.order))
	for _, id := range m.order {
		out = append(out, m.jobs[id].view)
	}
	return out
}

// pingLocked tells watchers something changed; byte progress at most 5 times a second.
func (m *Manager) pingLocked(always bool) {
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

// Watch signals (without blocking) on every change until the returned function is called.
func (m *Manager) Watch() (<-chan struct{}, func()) {
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

// Close pauses every running download, so its partial files stay for a later pull to resume,
// and waits (up to 30 seconds) for the transfers to end. Downloads started afterwards are
// not tracked by close; the server is closed once, when it has stopped serving.
func (m *Manager) Close() error {
	m.mu.Lock()
	var ids []string
	for id, j := range m.jobs {
		if st := j.view.State; st == Queued || st == Running || st == Verifying {
			ids = append(ids, id)
		}
	}
	m.mu.Unlock()
	for _, id := range ids {
		m.stop(id, Paused)
	}
	return nil
}
