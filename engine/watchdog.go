package engine

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// The watchdog's defaults. A heartbeat is answered by the worker's HTTP server, not its
// compute loop, so it comes back within milliseconds even while every core prefills; only a
// stopped or wedged process misses it. Progress is counted per decoded batch, and one batch
// of a big model's prefill on a busy CPU can take minutes (512 tokens of a 70B model are
// ~70 TFLOP; on a loaded two-core test machine one batch of stories260K at 3k context took
// 16 s), so a stall needs several.
const (
	defaultHeartbeat  = 2 * time.Second
	defaultHungAfter  = 20 * time.Second
	defaultStallAfter = 5 * time.Minute
	// hungRetryAfter is the Retry-After, in seconds, of the callers of a restarted worker:
	// about what a reload takes.
	hungRetryAfter = 5
)

// watchdogTimes are the watchdog's settings with the defaults filled in.
type watchdogTimes struct {
	every, hungAfter, stallAfter time.Duration
}

func (c Config) watchdogTimes() watchdogTimes {
	w := watchdogTimes{every: c.Heartbeat, hungAfter: c.HungAfter, stallAfter: c.StallAfter}
	if w.every == 0 {
		w.every = defaultHeartbeat
	}
	if w.hungAfter <= 0 {
		w.hungAfter = defaultHungAfter
	}
	if w.stallAfter <= 0 {
		w.stallAfter = defaultStallAfter
	}
	return w
}

// pulse judges a worker's heartbeats.
type pulse struct {
	watchdogTimes
	answered   time.Time // the last answer
	misses     int       // heartbeats missed in a row
	progress   int64     // the last progress count seen
	progressAt time.Time // when it last moved, or the worker last had no work
}

func newPulse(t watchdogTimes, now time.Time) *pulse {
	return &pulse{watchdogTimes: t, answered: now, progressAt: now}
}

// beat takes one heartbeat (ok false: no answer) and returns why the worker is hung, or "".
// Two misses in a row are needed, so one probe that spanned a system sleep is not enough.
func (p *pulse) beat(now time.Time, h Health, ok bool) string {
	if !ok {
		p.misses++
		if d := now.Sub(p.answered); p.misses >= 2 && d >= p.hungAfter {
			return fmt.Sprintf("has not answered its heartbeat for %s", d.Round(time.Second))
		}
		return ""
	}
	p.answered, p.misses = now, 0
	if h.Work == 0 || h.Progress != p.progress {
		p.progress, p.progressAt = h.Progress, now
		return ""
	}
	if d := now.Sub(p.progressAt); d >= p.stallAfter {
		return fmt.Sprintf("has made no progress on %d running or queued requests for %s", h.Work, d.Round(time.Second))
	}
	return ""
}

// watchdog asks r's worker for a heartbeat until it exits, and restarts it when it hangs.
func (e *Engine) watchdog(r *runner) {
	t := e.cfg.watchdogTimes()
	if t.every < 0 {
		return
	}
	p := r.proc
	pl := newPulse(t, time.Now())
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), max(t.hungAfter/2, time.Millisecond))
		var h Health
		err := p.call(ctx, http.MethodGet, "/health", nil, &h)
		cancel()
		if p.exited() || p.stopping.Load() {
			return // exited, or being stopped: a worker that is closing stops answering
		}
		if why := pl.beat(time.Now(), h, err == nil); why != "" {
			e.restartHung(r, why)
			return
		}
	}
}

// restartHung kills a hung worker (its callers get KindUnresponsive) and loads the model
// again, unless it was to be unloaded anyway.
func (e *Engine) restartHung(r *runner, why string) {
	p := r.proc
	p.hung.Store(&why)
	e.log.Error("worker is hung; killing and restarting it", "model", r.name, "pid", p.info.PID, "why", why)
	p.kill()
	<-p.done
	e.restarts.Add(1)
	if e.cfg.OnWorkerExit != nil {
		e.cfg.OnWorkerExit(r.name, p.deathError())
	}
	e.mu.Lock()
	if e.runners[r.name] == r {
		delete(e.runners, r.name)
		r.stopExpiry()
	}
	again := !e.closed && !r.unload && r.keepAlive != 0
	opts, keep := r.opts, r.keepAlive
	e.mu.Unlock()
	if again {
		go func() {
			if _, err := e.Load(context.Background(), r.name, opts, &keep); err != nil {
				e.log.Warn("could not restart the hung worker", "model", r.name, "err", err)
			}
		}()
	}
}
