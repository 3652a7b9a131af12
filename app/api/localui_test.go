package api

import (
	"net/http/httptest"
	"testing"
)

// Perch's own page on this Mac never needs the key; tools, other sites and the LAN do.
func TestFromThisMac(t *testing.T) {
	s := &Server{}
	for _, tt := range []struct {
		name, peer, host, origin, site string
		want                           bool
	}{
		{"own page GET", "127.0.0.1:5000", "127.0.0.1:11435", "", "same-origin", true},
		{"own page POST", "127.0.0.1:5000", "127.0.0.1:11435", "http://127.0.0.1:11435", "same-origin", true},
		{"localhost name", "[::1]:5000", "localhost:11435", "http://localhost:11435", "", true},
		{"desktop window", "127.0.0.1:5000", "127.0.0.1:11435", "wails://wails", "", true},
		{"curl", "127.0.0.1:5000", "127.0.0.1:11435", "", "", false},
		{"another site", "127.0.0.1:5000", "127.0.0.1:11435", "http://evil.example", "cross-site", false},
		{"another local port", "127.0.0.1:5000", "127.0.0.1:11435", "http://127.0.0.1:3000", "same-site", false},
		{"LAN peer", "192.168.1.9:5000", "192.168.1.2:11435", "http://192.168.1.2:11435", "same-origin", false},
		{"local proxy for a LAN name", "127.0.0.1:5000", "mac.tail.net", "", "same-origin", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://"+tt.host+"/perch/status", nil)
			r.RemoteAddr, r.Host = tt.peer, tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if got := s.fromThisMac(r); got != tt.want {
				t.Errorf("fromThisMac = %v, want %v", got, tt.want)
			}
		})
	}
}
