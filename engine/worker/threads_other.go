//go:build !darwin

package worker

import "github.com/shirou/gopsutil/v4/cpu"

// perfCores leaves one physical core to the app, the OS and everything else. llama.cpp's
// threads meet at a barrier after every operation, so one thread preempted by another process
// stalls all of them: on this project's 2-core Linux machines, under load, 2 threads decoded
// stories260K at 15-30 tokens/s against 1,600-1,800 with 1 thread, and a 100M Q4_K_M model at
// 97-114 against 238-254 (perch bench, same run).
func perfCores() int {
	n, err := cpu.Counts(false)
	if err != nil || n <= 0 {
		return 0
	}
	return max(1, n-1)
}
