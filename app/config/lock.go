//go:build unix

package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Two servers on one data folder would share its SQLite databases and model store, and lose
// answers to "database is locked". The first takes an instance lock (flock on a file in the
// data folder, released by the kernel when the process ends, however it ends); the file
// says who holds it, for the message a second one gives.

// LockFile is the instance lock in the data folder.
func (p Paths) LockFile() string { return filepath.Join(p.Data, "perch.lock") }

// InstanceLock is held while this process serves the data folder.
type InstanceLock struct{ f *os.File }

// RunningError is a data folder another Perch serves.
type RunningError struct {
	Dir     string
	PID     int
	Address string
}

func (e *RunningError) Error() string {
	who := "another Perch"
	if e.PID > 0 {
		who = fmt.Sprintf("another Perch (pid %d", e.PID)
		if e.Address != "" {
			who += ", serving http://" + e.Address
		}
		who += ")"
	}
	return fmt.Sprintf("%s is already running on %s; quit it first, or use it (perch run and the other commands talk to it)", who, e.Dir)
}

// Lock takes the instance lock of the data folder, recording this process and the address it
// serves; a *RunningError says who holds it.
func (p Paths) Lock(address string) (*InstanceLock, error) {
	if err := os.MkdirAll(p.Data, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p.LockFile(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			pid, addr := p.Holder()
			return nil, &RunningError{Dir: p.Data, PID: pid, Address: addr}
		}
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	l := &InstanceLock{f: f}
	if err := l.SetAddress(address); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// SetAddress records the address served (once listening, the real port).
func (l *InstanceLock) SetAddress(address string) error {
	line := strconv.Itoa(os.Getpid()) + " " + address + "\n"
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("instance lock: %w", err)
	}
	if _, err := l.f.WriteAt([]byte(line), 0); err != nil {
		return fmt.Errorf("instance lock: %w", err)
	}
	return nil
}

// Release gives the lock up.
func (l *InstanceLock) Release() {
	if l != nil && l.f != nil {
		_ = l.f.Truncate(0)
		_ = l.f.Close() // closing the last descriptor releases the flock
		l.f = nil
	}
}

// Holder reads the pid and address the lock's holder recorded (0 and "" when none).
func (p Paths) Holder() (pid int, address string) {
	b, err := os.ReadFile(p.LockFile())
	if err != nil {
		return 0, ""
	}
	fields := strings.Fields(string(b))
	if len(fields) >= 1 {
		pid, _ = strconv.Atoi(fields[0])
	}
	if len(fields) >= 2 {
		address = fields[1]
	}
	return pid, address
}
