package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// The KV cache type and flash attention are saved, read back after reopening, and refused
// with a clear error when llama.cpp could not load them (a quantized cache without flash
// attention); a refused change leaves the file as it was.
func TestCacheSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kv, flash string
		want      string // "" : accepted
	}{
		{"q8_0", "auto", ""},
		{"q4_0", "on", ""},
		{"f16", "off", ""},
		{"", "", ""},
		{"q8_0", "off", "needs flash attention"},
		{"q4_0", "off", "needs flash attention"},
		{"q5_1", "", "kv_type must be f16, q8_0 or q4_0"},
		{"F16", "", "kv_type must be"},
		{"", "yes", "flash_attn must be auto, on or off"},
		{"q8_0", "on", ""},
	}
	for _, tt := range tests {
		next := s.Get()
		next.KVType, next.FlashAttn = tt.kv, tt.flash
		err := s.Update(next)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("kv %q flash %q: %v; want %q", tt.kv, tt.flash, err, tt.want)
		}
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Get(); got.KVType != "q8_0" || got.FlashAttn != "on" {
		t.Errorf("after reopening: kv %q flash %q; want q8_0 on", got.KVType, got.FlashAttn)
	}
}
