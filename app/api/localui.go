package api

import (
	"net"
	"net/http"
)

// fromThisMac says whether a request is Perch's own UI on this Mac: its peer is a loopback
// address, its Host a loopback name (not a name a local proxy forwards LAN traffic under), and
// the browser says the request comes from Perch's own page (an Origin of Perch's own, or
// Sec-Fetch-Site: same-origin, which browsers set and pages cannot). Such a request never
// needs the API key: the key keeps the LAN out, and turning LAN access on must not lock the
// desktop window or a browser on this Mac out. Tools (curl, SDKs) send neither header and keep
// needing the key while one is set; a page of another site sends its own Origin, and DNS
// rebinding is refused by checkHost.
func (s *Server) fromThisMac(r *http.Request) bool {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !isLoopbackHost(peer) || !isLoopbackHost(stripPort(r.Host)) {
		return false
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		_, port, err := net.SplitHostPort(r.Host)
		if err != nil {
			return false
		}
		switch origin {
		case "http://" + r.Host, "http://127.0.0.1:" + port, "http://localhost:" + port, "wails://wails", "wails://wails.localhost":
			return true
		}
		return false
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}
