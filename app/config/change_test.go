package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestChangeApply(t *testing.T) {
	on, off := true, false
	local := Settings{Address: "127.0.0.1:11435"}
	lan := Settings{Address: "0.0.0.0:11435", APIKey: "perch-old"}
	tests := []struct {
		name    string
		c       Change
		in      Settings
		addr    string
		key     string // "new": a fresh key
		errName string
	}{
		{"nothing", Change{}, local, "127.0.0.1:11435", "", ""},
		{"LAN on brings a key", Change{LAN: &on}, local, "0.0.0.0:11435", "new", ""},
		{"LAN on keeps a key", Change{LAN: &on}, Settings{Address: "localhost:9000", APIKey: "k"}, "0.0.0.0:9000", "k", ""},
		{"LAN off keeps the key", Change{LAN: &off}, lan, "127.0.0.1:11435", "perch-old", ""},
		{"LAN off and remove the key", Change{LAN: &off, RemoveAPIKey: true}, lan, "127.0.0.1:11435", "", ""},
		{"remove the key on the LAN", Change{RemoveAPIKey: true}, lan, "", "", "remove_api_key"},
		{"new key", Change{NewAPIKey: true}, lan, "0.0.0.0:11435", "new", ""},
		{"a LAN address without a key gets one", Change{}, Settings{Address: "192.168.1.5:11435"}, "192.168.1.5:11435", "new", ""},
		{"not host:port", Change{LAN: &on}, Settings{Address: "11435"}, "", "", "address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Apply(tt.in)
			if tt.errName != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.errName || fe.Code == "" {
					t.Fatalf("err %v, want a FieldError with a code for %s", err, tt.errName)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Address != tt.addr {
				t.Errorf("address %q, want %q", got.Address, tt.addr)
			}
			switch {
			case tt.key == "new":
				if !strings.HasPrefix(got.APIKey, "perch-") || len(got.APIKey) != len("perch-")+48 || got.APIKey == tt.in.APIKey {
					t.Errorf("key %q, want a fresh one", got.APIKey)
				}
			case got.APIKey != tt.key:
				t.Errorf("key %q, want %q", got.APIKey, tt.key)
			}
		})
	}
}

func TestRestartNeeded(t *testing.T) {
	start := Settings{Address: "127.0.0.1:11435", APIKey: "a", KeepAlive: "5m", AllowedOrigins: []string{"https://x"}}
	tests := []struct {
		name string
		run  Running
		cur  func(Settings) Settings
		want []string
	}{
		{"unchanged", Running{Serving: "127.0.0.1:11435", Key: "a"}, func(s Settings) Settings { return s }, []string{}},
		{"host applied", Running{Serving: "0.0.0.0:11435", Key: "a"}, func(s Settings) Settings { s.Address = "0.0.0.0:11435"; return s }, []string{}},
		{"host not listened on", Running{Serving: "127.0.0.1:11435", Key: "a"}, func(s Settings) Settings { s.Address = "0.0.0.0:11435"; return s }, []string{"address"}},
		{"localhost for 127.0.0.1", Running{Serving: "127.0.0.1:11435", Key: "a"}, func(s Settings) Settings { s.Address = "localhost:11435"; return s }, []string{}},
		{"port", Running{Serving: "127.0.0.1:11435", Key: "a"}, func(s Settings) Settings { s.Address = "127.0.0.1:9000"; return s }, []string{"address"}},
		{"key applied", Running{Serving: "127.0.0.1:11435", Key: "b"}, func(s Settings) Settings { s.APIKey = "b"; return s }, []string{}},
		{"key fixed by a flag", Running{Serving: "127.0.0.1:11435", Key: "a", FixedKey: true}, func(s Settings) Settings { s.APIKey = "b"; return s }, []string{}},
		{"key not applied", Running{Serving: "127.0.0.1:11435", Key: "a"}, func(s Settings) Settings { s.APIKey = "b"; return s }, []string{"api_key"}},
		{"the rest", Running{Serving: "127.0.0.1:11435", Key: "a"}, func(s Settings) Settings {
			s.AllowedOrigins, s.KeepAlive, s.ContextLength, s.Slots, s.PerSlotKV, s.Theme = nil, "1h", 8192, 2, true, "dark"
			return s
		}, []string{"allowed_origins", "context_length", "slots", "per_slot_kv"}}, // keep_alive applies at once
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run.Start = start
			cur := start
			cur.AllowedOrigins = slices.Clone(start.AllowedOrigins)
			if got := tt.run.RestartNeeded(tt.cur(cur)); !slices.Equal(got, tt.want) || got == nil {
				t.Errorf("RestartNeeded = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for h, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "app.localhost": true, "127.0.0.1": true, "127.1.2.3": true,
		"::1": true, "[::1]": true, "0.0.0.0": false, "192.168.1.5": false, "example.com": false, "": false,
	} {
		if got := IsLoopbackHost(h); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v", h, got)
		}
	}
	if (Settings{Address: "0.0.0.0:1"}).LAN() != true || (Settings{Address: "[::1]:1"}).LAN() || (Settings{Address: "bad"}).LAN() {
		t.Error("Settings.LAN")
	}
}
