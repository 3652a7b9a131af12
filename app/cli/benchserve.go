package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/process"
)

// ServeCold is `perch serve` measured from its process start: when it accepts connections,
// answers /health and streams a first request's first token (the model loaded on that
// request), with an idle worker started ahead of need and without one (PERCH_PREWARM=off),
// runs alternating; and the server's resident memory while idle.
type ServeCold struct {
	Model string `json:"model"`
	Runs  int    `json:"runs"`
	// ListenMs is process start to the first accepted TCP connection.
	ListenMs float64 `json:"listen_ms"`
	// HealthMs is process start to /health's answer.
	HealthMs float64 `json:"health_ms"`
	// FirstTokenMs is process start to the first streamed token of a request sent as soon as
	// the server accepts connections, with the idle worker; FirstTokenNoPrewarmMs without it.
	FirstTokenMs          float64 `json:"first_token_cold_ms"`
	FirstTokenNoPrewarmMs float64 `json:"first_token_cold_no_prewarm_ms"`
	// FirstRequestAfter1sMs is a first request sent 1 s after start (a person opening the UI
	// and typing), from the request to its first token, with the idle worker and without.
	FirstRequestAfter1sMs          float64 `json:"first_request_after_1s_ms"`
	FirstRequestAfter1sNoPrewarmMs float64 `json:"first_request_after_1s_no_prewarm_ms"`
	// IdleRSSBytes is the server process's resident memory 1 s after start, no model loaded;
	// IdleWorkerRSSBytes the idle worker's.
	IdleRSSBytes       int64 `json:"serve_idle_rss_bytes"`
	IdleWorkerRSSBytes int64 `json:"idle_worker_rss_bytes"`
	// Baseline is the same measured on another perch binary (--serve-baseline), in the
	// same runs, alternating.
	Baseline *ServeColdBaseline `json:"baseline,omitempty"`
}

// ServeColdBaseline is another binary's figures, measured alongside.
type ServeColdBaseline struct {
	Exe          string  `json:"exe"`
	ListenMs     float64 `json:"listen_ms"`
	HealthMs     float64 `json:"health_ms"`
	FirstTokenMs float64 `json:"first_token_cold_ms"`
	IdleRSSBytes int64   `json:"serve_idle_rss_bytes"`
}

type serveRun struct {
	listen, health, first time.Duration
	rss, workerRSS        int64
}

// benchServeCold runs `exe serve` runs times with the idle worker and runs times without,
// and baseline (when not empty) runs times, alternating, each against a fresh data folder.
func benchServeCold(ctx context.Context, exe, baseline, modelPath string, runs int) (*ServeCold, error) {
	name := strings.ToLower(strings.TrimSuffix(filepath.Base(modelPath), ".gguf"))
	dir := filepath.Dir(modelPath)
	// One data folder per binary for all its runs, made by its first (idle) run: later starts
	// are a user's usual ones, not the first ever (which creates the databases), and binaries
	// of other schema versions do not share one.
	homes := map[string]string{}
	idles := map[string]serveRun{}
	for _, x := range []string{exe, baseline} {
		if x == "" {
			continue
		}
		home, err := os.MkdirTemp("", "perch-bench-serve-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(home)
		homes[x] = home
		if idles[x], err = serveOnce(ctx, x, home, dir, name, true, true, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", x, err)
		}
	}
	var on, off, base, onLate, offLate []serveRun
	for range runs {
		for _, arm := range []struct {
			exe     string
			prewarm bool
			late    time.Duration
			into    *[]serveRun
		}{{exe, true, 0, &on}, {exe, false, 0, &off}, {baseline, true, 0, &base},
			{exe, true, time.Second, &onLate}, {exe, false, time.Second, &offLate}} {
			if arm.exe == "" {
				continue
			}
			r, err := serveOnce(ctx, arm.exe, homes[arm.exe], dir, name, arm.prewarm, false, arm.late)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", arm.exe, err)
			}
			*arm.into = append(*arm.into, r)
		}
	}
	listen := func(r serveRun) time.Duration { return r.listen }
	health := func(r serveRun) time.Duration { return r.health }
	first := func(r serveRun) time.Duration { return r.first }
	both := append(append([]serveRun(nil), on...), off...)
	res := &ServeCold{Model: name, Runs: runs,
		ListenMs: medianMs(both, listen), HealthMs: medianMs(both, health),
		FirstTokenMs: medianMs(on, first), FirstTokenNoPrewarmMs: medianMs(off, first),
		FirstRequestAfter1sMs: medianMs(onLate, first), FirstRequestAfter1sNoPrewarmMs: medianMs(offLate, first),
		IdleRSSBytes: idles[exe].rss, IdleWorkerRSSBytes: idles[exe].workerRSS,
	}
	if baseline != "" {
		bidle := idles[baseline]
		res.Baseline = &ServeColdBaseline{Exe: baseline, ListenMs: medianMs(base, listen), HealthMs: medianMs(base, health),
			FirstTokenMs: medianMs(base, first), IdleRSSBytes: bidle.rss}
	}
	return res, nil
}

func medianMs(rs []serveRun, f func(serveRun) time.Duration) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = float64(f(r)) / float64(time.Millisecond)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// serveOnce starts one server on a free port with data folder home and measures it; with
// idle, it waits a second and reads the resident memory instead of timing a request; with
// late, it sends the request that long after start and times it from its sending.
func serveOnce(ctx context.Context, exe, home, modelsDir, model string, prewarm, idle bool, late time.Duration) (serveRun, error) {
	var r serveRun
	port, err := freePort()
	if err != nil {
		return r, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.CommandContext(ctx, exe, "serve", "--host", addr, "--models-dir", modelsDir)
	cmd.Env = append(os.Environ(), "PERCH_HOME="+home)
	if !prewarm {
		cmd.Env = append(cmd.Env, envPrewarm+"=off")
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	if r.listen, err = waitDial(ctx, addr, start); err != nil {
		return r, err
	}
	if idle {
		time.Sleep(time.Second)
		r.rss, r.workerRSS = rssOf(cmd.Process.Pid)
		return r, nil
	}
	if late > 0 {
		time.Sleep(time.Until(start.Add(late)))
		return r, firstToken(ctx, addr, model, time.Now(), &r.first)
	}
	first := make(chan error, 1)
	go func() { first <- firstToken(ctx, addr, model, start, &r.first) }()
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				r.health = time.Since(start)
				break
			}
		}
		time.Sleep(time.Millisecond)
	}
	return r, <-first
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitDial polls addr until it accepts a connection.
func waitDial(ctx context.Context, addr string, start time.Time) (time.Duration, error) {
	for time.Since(start) < 30*time.Second {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return time.Since(start), nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		time.Sleep(500 * time.Microsecond)
	}
	return 0, fmt.Errorf("perch serve did not listen on %s within 30 s", addr)
}

// firstToken streams a short greedy generation and records when its first chunk arrived.
func firstToken(ctx context.Context, addr, model string, start time.Time, at *time.Duration) error {
	body := fmt.Sprintf(`{"model":%q,"prompt":"Once upon a time","stream":true,"options":{"temperature":0,"num_predict":4}}`, model)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/api/generate", strings.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	*at = time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("first request: %s: %s", resp.Status, line)
	}
	if err != nil {
		return fmt.Errorf("first request: %w", err)
	}
	_, _ = io.Copy(io.Discard, br)
	return nil
}

// rssOf is the resident memory of pid and of its first child (the idle worker).
func rssOf(pid int) (self, child int64) {
	p, err := process.NewProcess(int32(pid))
	if err != nil {
		return 0, 0
	}
	if m, err := p.MemoryInfo(); err == nil {
		self = int64(m.RSS)
	}
	if kids, err := p.Children(); err == nil && len(kids) > 0 {
		if m, err := kids[0].MemoryInfo(); err == nil {
			child = int64(m.RSS)
		}
	}
	return self, child
}
