//go:build !linux

package engine

import (
	"os/exec"
	"syscall"
)

// setDeathSignal puts the worker in its own process group, so a Ctrl-C meant for the
// terminal's foreground program does not reach it. There is no kernel death signal outside
// Linux: the worker notices its parent is gone when its stdin closes.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
