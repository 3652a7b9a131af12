// Package format writes numbers and sizes for people, one way each, for the command line,
// the API and the engine's messages alike (a leaf package: it imports nothing of Perch's).
//
// Two conventions, on purpose: Ollama's wire fields (parameter_size) follow Ollama's
// rounding, so its clients see what Ollama would send; everything Perch writes for people
// follows the human one below.
//   - Parameter counts: Params, one decimal (7.6B, 292.8K); OllamaParams for Ollama's
//     fields (7.6B, 125M, 293K).
//   - File and download sizes: Size, decimal units as Ollama and Finder show them (1.8 MB).
//   - Memory: Memory, binary units as memory is measured (1.5 GiB, 640 MiB).
package format

import (
	"fmt"

	"github.com/dustin/go-humanize"
)

// Params writes a parameter count the way model cards do: 7.6B, 292.8K; "-" when unknown.
func Params(n uint64) string {
	switch {
	case n == 0:
		return "-"
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// OllamaParams writes a parameter count the way Ollama's parameter_size does: "7.6B",
// "125M", "260K"; "" when unknown.
func OllamaParams(n uint64) string {
	switch {
	case n == 0:
		return ""
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// Size writes a file or download size in decimal units: 1.8 MB, 4.7 GB.
func Size[T int64 | uint64 | float64](n T) string { return humanize.Bytes(uint64(n)) }

const gib = 1 << 30

// Memory writes an amount of memory in binary units: 1.5 GiB, 640 MiB, 12 KiB.
func Memory(n int64) string {
	switch {
	case n >= gib || -n >= gib:
		return fmt.Sprintf("%.1f GiB", float64(n)/float64(gib))
	case n >= 1<<20 || -n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
