package engine

import (
	"os/exec"
	"syscall"
)

// setDeathSignal puts the worker in its own process group, so a Ctrl-C meant for the
// terminal's foreground program does not reach it, and makes the kernel kill it if the app
// dies without closing its stdin.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
