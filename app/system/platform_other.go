//go:build !linux && !darwin

package system

func hostPlatform() platform { return platform{} }
