package api

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy keeps the UI to its own files: no framing by other sites (a hidden
// frame could click Delete), scripts only from the server (the theme script is a file for
// this), inline styles (React's style attributes), and data:/blob: images and fonts.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// secureHeaders sets, on every answer, the headers that keep other sites from framing or
// sniffing it.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// originMatch matches an origin against an --allowed-origin pattern as a user expects: "*"
// is any origin, and "*" inside a pattern stands for any run of characters but "/"
// ("https://*.example.com", "http://localhost:*"). Both are lower case, without a final "/".
func originMatch(pattern, origin string) bool {
	if pattern == "*" {
		return true
	}
	parts := strings.Split(pattern, "*")
	rest, ok := strings.CutPrefix(origin, parts[0])
	if !ok {
		return false
	}
	for i, part := range parts[1:] {
		var j int
		if i == len(parts)-2 { // the last part ends the origin
			j = len(rest) - len(part)
			if j < 0 || rest[j:] != part {
				return false
			}
		} else if j = strings.Index(rest, part); j < 0 {
			return false
		}
		if strings.Contains(rest[:j], "/") { // what the star stood for
			return false
		}
		rest = rest[j+len(part):]
	}
	return rest == ""
}
