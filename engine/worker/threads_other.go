//go:build !darwin

package worker

// perfCores is 0 where there is no performance/efficiency split to respect.
func perfCores() int { return 0 }
