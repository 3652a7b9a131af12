package cli

import (
	"github.com/perchapp/perch/app/config"
)

// liveSettings is the settings store the server changes: after each save it applies what
// takes effect at once (the KV cache and flash attention of the next loads, where new
// downloads go), so those need no restart.
type liveSettings struct {
	*config.Store
	apply func(next config.Settings) error
}

// Update saves next, then applies it. Saved settings that cannot be applied now (they were
// validated, so this is rare) are reported; they apply at the next start.
func (l *liveSettings) Update(next config.Settings) error {
	if err := l.Store.Update(next); err != nil {
		return err
	}
	if l.apply != nil {
		return l.apply(next)
	}
	return nil
}
