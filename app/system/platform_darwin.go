package system

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/perchapp/perch/engine/memplan"
)

func hostPlatform() platform {
	return platform{pressure: darwinPressure, compressed: darwinCompressed, wiredLimit: darwinWiredLimit, metal: memplan.HostBackend() == memplan.BackendMetal}
}

// darwinPressure reads the kernel's memory-pressure level, the one Activity Monitor shows.
func darwinPressure() (Pressure, string, *PSI, error) {
	v, err := unix.SysctlUint32("kern.memorystatus_vm_pressure_level")
	if err != nil {
		return PressureUnknown, "", nil, fmt.Errorf("sysctl kern.memorystatus_vm_pressure_level: %w", err)
	}
	return DarwinPressure(int(v)), "memorystatus", nil, nil
}

// darwinCompressed reads the bytes the memory compressor holds.
func darwinCompressed() (int64, error) {
	c, err := unix.SysctlUint64("vm.compressor_bytes_used")
	if err != nil {
		return 0, fmt.Errorf("sysctl vm.compressor_bytes_used: %w", err)
	}
	return int64(c), nil
}

// darwinWiredLimit reads iogpu.wired_limit_mb: 0 (the default) means macOS's own limit.
func darwinWiredLimit() (int64, error) {
	v, err := unix.SysctlUint32("iogpu.wired_limit_mb")
	if err != nil {
		return 0, fmt.Errorf("sysctl iogpu.wired_limit_mb: %w", err)
	}
	return int64(v) << 20, nil
}
