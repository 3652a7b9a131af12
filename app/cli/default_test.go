package cli

import "testing"

func TestHasDisplay(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		goos string
		env  map[string]string
		want bool
	}{
		{"darwin", nil, true},
		{"windows", nil, true},
		{"linux", nil, false},
		{"linux", map[string]string{"DISPLAY": ":0"}, true},
		{"linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, true},
		{"freebsd", map[string]string{"DISPLAY": ""}, false},
	}
	for _, tt := range tests {
		if got := hasDisplay(tt.goos, env(tt.env)); got != tt.want {
			t.Errorf("hasDisplay(%s, %v) = %v, want %v", tt.goos, tt.env, got, tt.want)
		}
	}
}
