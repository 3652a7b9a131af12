// Package deptest holds TestBoundaries, which checks the "must not import" column of
// docs/architecture.md against what each package really links (`go list -deps`), in the
// manner of tailscale's tstest/deptest. It has no code of its own.
package deptest
