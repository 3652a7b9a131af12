package library

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/perchapp/perch/app/library/download"
)

// URL pulls and inspections fetch whatever address a client of the API names. Unless the user
// allows it (settings: allow_private_urls), they may not reach this machine or its network:
// loopback, link-local, private and unspecified addresses are refused where the connection
// is made, after DNS, so a name that resolves to 127.0.0.1 cannot get around it.

// WithPrivateURLs says whether URL pulls may reach private network addresses; allow is
// asked on every pull, so a changed setting takes effect at once. Default: never.
func WithPrivateURLs(allow func() bool) Option { return func(o *options) { o.allowPrivate = allow } }

type guardKey struct{}

// guardURL marks ctx so that connections made for it refuse private addresses, unless the
// user allows them.
func (s *Store) guardURL(ctx context.Context) context.Context {
	if s.allowPrivate != nil && s.allowPrivate() {
		return ctx
	}
	return context.WithValue(ctx, guardKey{}, true)
}

// namesHost says whether r reaches a server the client of the API chose: a URL, or an Ollama
// registry other than registry.ollama.ai ("127.0.0.1:8080/library/x" would otherwise reach
// this machine's own services). Those connections are guarded.
func (r Ref) namesHost() bool {
	return r.Kind == RefURL || (r.Kind == RefOllama && !strings.EqualFold(r.Name.Host, DefaultRegistry))
}

// privateAddr says whether ip is on this machine or a private network.
func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT, Tailscale
}

func errPrivate(addr string) error {
	return download.Refuse(fmt.Errorf("%w: %s is on this machine or a private network; downloads from an address the client names may reach only public servers unless allow_private_urls is set in the settings",
		ErrPrivateAddress, addr))
}

// guardedClient is c with a dialer that refuses private addresses for guarded contexts.
func guardedClient(c *http.Client) *http.Client {
	t, ok := c.Transport.(*http.Transport)
	if !ok {
		return c
	}
	t = t.Clone()
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second,
		ControlContext: func(ctx context.Context, network, address string, _ syscall.RawConn) error {
			if ctx.Value(guardKey{}) == nil {
				return nil
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil || privateAddr(ap.Addr()) {
				return errPrivate(address)
			}
			return nil
		}}
	t.DialContext = d.DialContext
	out := *c
	out.Transport = t
	return &out
}

// checkURLHost refuses a URL whose host resolves to a private address, for fetches made by
// other clients than the store's own (the GGUF header reader); the store's own connections
// are checked when made.
func (s *Store) checkURLHost(ctx context.Context, raw string) error {
	if ctx.Value(guardKey{}) == nil {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return fmt.Errorf("reach %s: %w", raw, err)
	}
	for _, ip := range ips {
		if privateAddr(ip) {
			return errPrivate(u.Host)
		}
	}
	return nil
}
