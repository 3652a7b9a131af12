package engine

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill the worker if the app dies without closing its stdin.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
