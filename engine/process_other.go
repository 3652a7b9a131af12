//go:build !linux

package engine

import "os/exec"

// setDeathSignal has no kernel equivalent outside Linux: the worker notices its parent is gone
// when its stdin closes.
func setDeathSignal(*exec.Cmd) {}
