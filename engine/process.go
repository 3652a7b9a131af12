package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// startTimeout bounds how long a worker may take to load its model.
const startTimeout = 5 * time.Minute

// workerSpec is everything needed to start one worker.
type workerSpec struct {
	command  []string
	libDir   string
	socket   string
	ref      ModelRef
	opts     LoadOptions
	stateDir string
	stateMax int64
	log      *slog.Logger
}

// process is a running worker and a client for its socket.
type process struct {
	name   string
	spec   workerSpec
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	client *http.Client
	done   chan struct{} // closed when the process has exited
	exit   error
	tail   *lineRing
	info   WorkerInfo
	// stopping is set when the exit was asked for, so it is not reported as a crash.
	stopping atomic.Bool
	// hung says why the watchdog killed the worker.
	hung atomic.Pointer[string]
}

var socketSeq atomic.Int64

// socketPath picks a Unix socket path short enough for the platform's limit (104 bytes on
// macOS), falling back to the temporary folder when dir is deep.
func socketPath(dir string) string {
	name := fmt.Sprintf("w%d-%d.sock", os.Getpid(), socketSeq.Add(1))
	p := filepath.Join(dir, name)
	if len(p) < 100 && dir != "" {
		return p
	}
	d := filepath.Join(os.TempDir(), fmt.Sprintf("perch-%d", os.Getuid()))
	_ = os.MkdirAll(d, 0o700)
	return filepath.Join(d, name)
}

// args are the worker's flags (after the command).
func (s workerSpec) args() []string {
	var a []string
	a = append(a, "--model", s.ref.Path, "--name", s.ref.Name, "--socket", s.socket)
	if s.ref.Digest != "" {
		a = append(a, "--digest", s.ref.Digest)
	}
	o := s.opts
	add := func(flag string, v int) {
		if v != 0 {
			a = append(a, flag, strconv.Itoa(v))
		}
	}
	add("--ctx", o.ContextLength)
	add("--slots", o.Slots)
	add("--threads", o.Threads)
	add("--batch", o.BatchSize)
	if o.GPULayers != nil {
		a = append(a, "--gpu-layers", strconv.Itoa(*o.GPULayers))
	}
	if o.KVType != "" {
		a = append(a, "--kv-type", o.KVType)
	}
	if o.FlashAttn != "" {
		a = append(a, "--flash-attn", o.FlashAttn)
	}
	if o.PerSlotKV {
		a = append(a, "--per-slot-kv")
	}
	if o.Embedding {
		a = append(a, "--embedding")
	}
	if s.ref.Draft != "" {
		a = append(a, "--draft-model", s.ref.Draft)
	}
	if s.stateDir != "" {
		a = append(a, "--state-dir", s.stateDir)
		if s.stateMax > 0 {
			a = append(a, "--state-max", strconv.FormatInt(s.stateMax, 10))
		}
	}
	return a
}

// startProcess starts a worker, or hands the idle one (spare, when not nil) its model, and
// waits until it serves or fails.
func startProcess(ctx context.Context, spec workerSpec, spare *spawned) (*process, error) {
	if len(spec.command) == 0 {
		return nil, errors.New("no worker command")
	}
	sp := spare
	if sp != nil {
		if err := sp.handOver(spec.args()); err != nil {
			spec.log.Warn("the idle worker is gone; starting another", "err", err)
			go sp.discard()
			sp = nil
		}
	}
	if sp == nil {
		var err error
		if sp, err = spawn(spec.command, spec.libDir, spec.args()); err != nil {
			return nil, err
		}
	}
	cmd, stdin, stdout, stderr := sp.cmd, sp.stdin, sp.stdout, sp.stderr
	p := &process{name: spec.ref.Name, spec: spec, cmd: cmd, stdin: stdin, done: make(chan struct{}), tail: newLineRing(40)}
	var pipes sync.WaitGroup
	pipes.Add(1)
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.tail.add(line)
			spec.log.Debug("worker", "model", spec.ref.Name, "pid", cmd.Process.Pid, "line", line)
		}
	}()
	readyc := make(chan readyMsg, 1)
	pipes.Add(1)
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			var m readyMsg
			if err := json.Unmarshal(sc.Bytes(), &m); err == nil && !sent {
				readyc <- m
				sent = true
			}
		}
	}()
	go func() {
		pipes.Wait() // read everything before Wait closes the pipes
		p.exit = cmd.Wait()
		close(p.done)
	}()
	p.client = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", spec.socket)
		},
		MaxIdleConnsPerHost: 64,
		// Streams are long; only the connection setup is bounded.
		ResponseHeaderTimeout: 0,
	}}

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case m := <-readyc:
		if m.Error != nil {
			p.kill()
			return nil, m.Error
		}
	case <-p.done:
		return nil, Errorf(KindWorker, "the worker for %s exited while loading (%v)%s", spec.ref.Name, p.exit, p.tail.suffix())
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	case <-timer.C:
		p.kill()
		return nil, Errorf(KindWorker, "the worker for %s did not finish loading within %s", spec.ref.Name, startTimeout)
	}
	info, err := p.fetchInfo(ctx)
	if err != nil {
		p.kill()
		return nil, err
	}
	p.info = info
	return p, nil
}

type readyMsg struct {
	Ready bool   `json:"ready"`
	PID   int    `json:"pid"`
	Error *Error `json:"error"`
}

// stop asks the worker to exit (closing its stdin) and kills it after grace.
func (p *process) stop(grace time.Duration) {
	p.stopping.Store(true)
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill()
		<-p.done
	}
}

func (p *process) kill() {
	p.stopping.Store(true)
	_ = p.cmd.Process.Kill()
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// deathError describes a worker that died, with the end of its log (llama.cpp's abort
// message is usually there).
func (p *process) deathError() *Error {
	<-p.done
	if why := p.hung.Load(); why != nil {
		return &Error{Kind: KindUnresponsive, RetryAfter: hungRetryAfter,
			Message: fmt.Sprintf("the worker running %s %s, so it was stopped and is being started again; retry in a few seconds", p.name, *why)}
	}
	return Errorf(KindWorker, "the worker running %s stopped unexpectedly (%v)%s; the next request loads it again", p.name, p.exit, p.tail.suffix())
}

func (p *process) url(path string) string { return "http://worker" + path }

// call posts a JSON request and decodes a JSON answer.
func (p *process) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.url(path), body)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return p.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeWorkerError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return p.transportError(ctx, err)
	}
	return nil
}

func (p *process) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// A dead worker closes its socket; wait briefly for the exit to be observed so the error
	// says why.
	select {
	case <-p.done:
		return p.deathError()
	case <-time.After(500 * time.Millisecond):
	}
	return Errorf(KindWorker, "talking to the worker for %s: %v", p.name, err)
}

func decodeWorkerError(resp *http.Response) error {
	var e Error
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		if e.Kind == "" {
			e.Kind = KindWorker
		}
		return &e
	}
	return Errorf(KindWorker, "worker answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
}

func (p *process) fetchInfo(ctx context.Context) (WorkerInfo, error) {
	var wi WorkerInfo
	err := p.call(ctx, http.MethodGet, "/info", nil, &wi)
	return wi, err
}

// complete streams a completion from the worker. The answer's text, tokens and logprobs come
// once, in the events; the final line carries the rest of the result.
func (p *process) complete(ctx context.Context, req CompletionRequest, fn func(Event) error) (*CompletionResult, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	path := "/completion"
	if fn == nil {
		path += "?" + QueryNoEvents
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url(path), bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return nil, p.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decodeWorkerError(resp)
	}
	return p.readFrames(ctx, newFrameReader(resp.Body), fn)
}

// readFrames reads a completion stream. The events a decode step wrote together (read in one
// go) reach fn as one event, so the handler above flushes once per step.
func (p *process) readFrames(ctx context.Context, fr *frameReader, fn func(Event) error) (*CompletionResult, error) {
	var (
		text     strings.Builder
		tokens   []int32
		logprobs []Logprob
		pending  *Event // events of this step not yet handed to fn
		line     StreamLine
	)
	flush := func() error {
		if pending == nil || fn == nil {
			pending = nil
			return nil
		}
		ev := *pending
		pending = nil
		return fn(ev)
	}
	for {
		if err := fr.next(&line); err != nil {
			return nil, p.transportError(ctx, err)
		}
		switch ev := line.Event; {
		case line.Error != nil:
			return nil, line.Error
		case line.Done != nil:
			if err := flush(); err != nil {
				return nil, err
			}
			res := line.Done
			if res.Text == "" && res.Tokens == nil { // a stream: the events carried them, checked
				res.Text, res.Tokens, res.Logprobs = text.String(), tokens, logprobs
			} else {
				res.Text = ValidText(res.Text)
			}
			return res, nil
		case ev != nil:
			ev.Text = ValidText(ev.Text)
			text.WriteString(ev.Text)
			if ev.Token >= 0 { // held-back text at the end comes without a token
				tokens = append(tokens, ev.Token)
			}
			if ev.Logprob != nil {
				logprobs = append(logprobs, *ev.Logprob)
			}
			switch {
			case pending == nil:
				pending = ev
			case pending.Logprob == nil && ev.Logprob == nil && ev.Token >= 0 && pending.Token >= 0:
				pending.Text += ev.Text
				pending.Token = ev.Token
				pending.Merged++
			default:
				if err := flush(); err != nil {
					return nil, err
				}
				pending = ev
			}
			if !fr.buffered() {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
	}
}

// lineRing keeps the last lines of a worker's log.
type lineRing struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newLineRing(n int) *lineRing { return &lineRing{max: n} }

func (r *lineRing) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == r.max {
		copy(r.lines, r.lines[1:])
		r.lines = r.lines[:r.max-1]
	}
	r.lines = append(r.lines, s)
}

// suffix renders the lines that explain a failure, for an error message.
func (r *lineRing) suffix() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keep []string
	for _, l := range r.lines {
		ll := strings.ToLower(l)
		if strings.Contains(ll, "error") || strings.Contains(ll, "abort") || strings.Contains(ll, "assert") ||
			strings.Contains(ll, "failed") || strings.Contains(ll, "panic") || strings.Contains(ll, "fatal") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) > 5 {
		keep = keep[len(keep)-5:]
	}
	if len(keep) == 0 {
		return ""
	}
	return ": " + strings.Join(keep, " | ")
}
