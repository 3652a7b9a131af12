package remote

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/mdns"
)

// ServiceType is how a Perch that listens on the network advertises itself (DNS-SD, Bonjour).
const ServiceType = "_perch._tcp"

// Found is another Perch seen on the network.
type Found struct {
	// Name is the instance name it advertises (its host name).
	Name string `json:"name"`
	URL  string `json:"url"`
	// Suggested is a valid endpoint name to add it under.
	Suggested string `json:"suggested"`
}

// Advertise announces this Perch on the local network as _perch._tcp on port until ctx
// ends. It is called only when Perch listens beyond loopback (LAN access on); the API key is
// not advertised, so a client still has to be given it.
func Advertise(ctx context.Context, port int, ips []net.IP) error {
	host, _ := os.Hostname()
	host = strings.TrimSuffix(host, ".local")
	svc, err := mdns.NewMDNSService(host, ServiceType, "", "", port, ips, []string{"perch=1", "path=/v1"})
	if err != nil {
		return fmt.Errorf("advertise %s: %w", ServiceType, err)
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: svc, Logger: quietLog()})
	if err != nil {
		return fmt.Errorf("advertise %s: %w", ServiceType, err)
	}
	go func() {
		<-ctx.Done()
		srv.Shutdown()
	}()
	return nil
}

// Discover lists the Perch instances that answer within timeout.
func Discover(ctx context.Context, timeout time.Duration) ([]Found, error) {
	entries := make(chan *mdns.ServiceEntry, 16)
	var out []Found
	done := make(chan struct{})
	go func() {
		defer close(done)
		seen := map[string]bool{}
		for e := range entries {
			ip := e.AddrV4
			if ip == nil {
				ip = e.AddrV6
			}
			if ip == nil || !strings.Contains(e.Name, ServiceType) {
				continue
			}
			u := "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(e.Port))
			if seen[u] {
				continue
			}
			seen[u] = true
			name := strings.TrimSuffix(e.Name, "."+ServiceType+".local.")
			out = append(out, Found{Name: name, URL: u, Suggested: suggestName(name)})
		}
	}()
	p := mdns.DefaultParams(ServiceType)
	p.Entries, p.Timeout, p.Logger = entries, timeout, quietLog()
	p.DisableIPv6 = true
	err := mdns.QueryContext(ctx, p)
	close(entries)
	<-done
	if err != nil {
		return nil, fmt.Errorf("look for Perch on the network: %w", err)
	}
	return out, nil
}

// suggestName makes an endpoint name from an advertised host name.
func suggestName(host string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(host) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		case b.Len() > 0 && (c == ' ' || c == '.'):
			b.WriteRune('-')
		}
		if b.Len() >= 32 {
			break
		}
	}
	s := strings.Trim(b.String(), "-_")
	if CheckName(s) != nil {
		return "perch"
	}
	return s
}

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// AdvertiseListener advertises a listener that reaches beyond loopback; one on loopback only
// is not advertised (other machines could not reach it anyway).
func AdvertiseListener(ctx context.Context, addr net.Addr) error {
	ta, ok := addr.(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return nil
	}
	var ips []net.IP
	if ta.IP.IsUnspecified() {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return fmt.Errorf("advertise %s: %w", ServiceType, err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				ips = append(ips, n.IP)
			}
		}
	} else {
		ips = []net.IP{ta.IP}
	}
	if len(ips) == 0 {
		return nil
	}
	return Advertise(ctx, ta.Port, ips)
}
