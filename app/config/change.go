package config

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// Change is what the Settings view asks besides new values (PUT /perch/settings).
type Change struct {
	// LAN switches the host between 0.0.0.0 and 127.0.0.1, keeping the port.
	LAN *bool `json:"lan"`
	// NewAPIKey replaces the API key with a fresh random one.
	NewAPIKey bool `json:"new_api_key"`
	// RemoveAPIKey removes the key (only with LAN access off: a key keeps the LAN out).
	RemoveAPIKey bool `json:"remove_api_key"`
}

// Apply does the change's actions on next, the settings about to be saved. Reaching beyond
// this machine without a key is refused at start, so a key comes with LAN access rather
// than a server that will not start. A request to fix is a *FieldError.
func (c Change) Apply(next Settings) (Settings, error) {
	host, port, err := net.SplitHostPort(next.Address)
	if err != nil {
		return next, fieldErr("address", CodeInvalidAddress, "address %q must be host:port, such as 127.0.0.1:11435", next.Address)
	}
	if c.LAN != nil {
		switch {
		case *c.LAN && IsLoopbackHost(host):
			host = "0.0.0.0"
		case !*c.LAN && !IsLoopbackHost(host):
			host = "127.0.0.1"
		}
		next.Address = net.JoinHostPort(host, port)
	}
	if c.RemoveAPIKey {
		if !IsLoopbackHost(host) {
			return next, fieldErr("remove_api_key", CodeKeyNeededForLAN, "the API key keeps other computers out while LAN access is on; turn LAN access off first, then remove the key")
		}
		next.APIKey = ""
	}
	if c.NewAPIKey || next.APIKey == "" && !IsLoopbackHost(host) {
		next.APIKey = NewAPIKey()
	}
	return next, nil
}

// NewAPIKey is a fresh random API key.
func NewAPIKey() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "perch-" + hex.EncodeToString(b)
}

// LAN says whether the address reaches beyond this machine.
func (s Settings) LAN() bool {
	h, _, err := net.SplitHostPort(s.Address)
	return err == nil && !IsLoopbackHost(h)
}

// Running is what the server applies now of the settings it started with: the address it
// serves and the API key it asks for (FixedKey: from --api-key or PERCH_API_KEY, which the
// settings do not override).
type Running struct {
	Start    Settings
	Serving  string
	Key      string
	FixedKey bool
}

// RestartNeeded names the saved settings that take effect only when Perch restarts. The host
// and the key apply while the server runs; a new port, or a host it failed to listen on,
// waits.
func (r Running) RestartNeeded(cur Settings) []string {
	out := []string{}
	changed := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	start := r.Start
	changed("address", addressPending(cur.Address, start.Address, r.Serving))
	changed("api_key", cur.APIKey != start.APIKey && cur.APIKey != r.Key && !r.FixedKey)
	changed("allowed_origins", !slices.Equal(cur.AllowedOrigins, start.AllowedOrigins))
	changed("context_length", cur.ContextLength != start.ContextLength)
	changed("slots", cur.Slots != start.Slots)
	changed("per_slot_kv", cur.PerSlotKV != start.PerSlotKV)
	return out
}

// addressPending says whether a saved address is not yet the one served: its host applies at
// once unless listening there failed; its port, at a restart.
func addressPending(saved, start, serving string) bool {
	if saved == start {
		return false
	}
	sh, sp, err1 := net.SplitHostPort(saved)
	_, stp, err2 := net.SplitHostPort(start)
	lh, _, err3 := net.SplitHostPort(serving)
	if err1 != nil || err2 != nil || err3 != nil {
		return true
	}
	return sp != stp || !strings.EqualFold(sh, lh) && !(IsLoopbackHost(sh) && IsLoopbackHost(lh))
}

// IsLoopbackHost says whether a host name or address (IPv6 with or without brackets) stays
// on this machine: localhost, *.localhost, 127.0.0.0/8, ::1.
func IsLoopbackHost(h string) bool {
	h = strings.ToLower(strings.Trim(h, "[]"))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}
