package worker

import "golang.org/x/sys/unix"

// perfCores is the number of performance cores: llama.cpp runs slower when its threads land on
// efficiency cores.
func perfCores() int {
	n, err := unix.SysctlUint32("hw.perflevel0.physicalcpu")
	if err != nil {
		return 0
	}
	return int(n)
}
