package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// refillDelay is how long after a load the next idle worker starts.
var refillDelay = 3 * time.Second

// standbyFlag is the worker argument that starts it in standby (worker.StandbyFlag).
const standbyFlag = "--standby"

// spawned is a started worker process and its pipes, not yet read.
type spawned struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr io.ReadCloser
}

// spawn starts command with args, its pipes open.
func spawn(command []string, libDir string, args []string) (*spawned, error) {
	cmd := exec.Command(command[0], append(append([]string(nil), command[1:]...), args...)...)
	cmd.Env = os.Environ()
	if libDir != "" {
		cmd.Env = append(cmd.Env, "PERCH_LLAMA_LIB="+libDir)
	}
	setDeathSignal(cmd)
	sp := &spawned{cmd: cmd}
	var err error
	if sp.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if sp.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if sp.stderr, err = cmd.StderrPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return sp, nil
}

// handOver gives a standby worker its arguments; after it, the worker loads as if started
// with them.
func (sp *spawned) handOver(args []string) error {
	line, err := json.Marshal(args)
	if err != nil {
		return err
	}
	_, err = sp.stdin.Write(append(line, '\n'))
	return err
}

// discard ends a standby worker that was never used: closing its stdin ends it; it is killed
// if it has not within a second.
func (sp *spawned) discard() {
	_ = sp.stdin.Close()
	go func() { _, _ = io.Copy(io.Discard, sp.stdout) }()
	go func() { _, _ = io.Copy(io.Discard, sp.stderr) }()
	done := make(chan struct{})
	go func() { _ = sp.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		_ = sp.cmd.Process.Kill()
		<-done
	}
}

// Prewarm keeps one idle worker process started ahead of need, its llama.cpp libraries
// loaded: the next load hands it the model instead of starting a process, and a new idle
// one is started after. It costs one small process (tens of MB, no model); call it when
// memory allows.
func (e *Engine) Prewarm() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.prewarm = true
	e.refillLocked()
}

// refillLocked starts the idle worker if there is none; e.mu is held.
func (e *Engine) refillLocked() {
	if !e.prewarm || e.closed || e.spare != nil {
		return
	}
	sp, err := spawn(e.cfg.Command, e.cfg.LibDir, []string{standbyFlag})
	if err != nil {
		e.log.Warn("cannot start an idle worker ahead of need", "err", err)
		e.prewarm = false
		return
	}
	e.spare = sp
}

// takeSpare returns the idle worker, if there is one. The next is started after the load
// (refill), so that it does not compete with it for the CPU.
func (e *Engine) takeSpare() *spawned {
	e.mu.Lock()
	defer e.mu.Unlock()
	sp := e.spare
	e.spare = nil
	return sp
}

// refill starts the next idle worker when prewarming is on.
func (e *Engine) refill() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refillLocked()
}

// dropSpare ends the idle worker; Close calls it.
func (e *Engine) dropSpare() {
	e.mu.Lock()
	sp := e.spare
	e.spare, e.prewarm = nil, false
	e.mu.Unlock()
	if sp != nil {
		sp.discard()
	}
}

// IdleWorkerPID is the process id of the idle worker started ahead of need, or 0.
func (e *Engine) IdleWorkerPID() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.spare == nil {
		return 0
	}
	return e.spare.cmd.Process.Pid
}
