package system

import (
	"fmt"
	"os"
)

func hostPlatform() platform {
	return platform{pressure: linuxPressure}
}

func linuxPressure() (Pressure, string, *PSI, error) {
	b, err := os.ReadFile(psiPath)
	if err != nil {
		return PressureUnknown, "", nil, fmt.Errorf("read memory pressure: %w", err)
	}
	p, err := ParsePSI(string(b))
	if err != nil {
		return PressureUnknown, "", nil, err
	}
	return p.Level(), "psi", &p, nil
}
