package remote_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/perchapp/perch/app/remote"
)

func TestDiscover(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := remote.Advertise(ctx, 47123, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		t.Skipf("multicast DNS is not available here: %v", err)
	}
	found, err := remote.Discover(context.Background(), 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("found %+v", found)
	if !slices.ContainsFunc(found, func(f remote.Found) bool { return f.URL == "http://127.0.0.1:47123" }) {
		t.Fatalf("the advertised Perch was not found: %+v", found)
	}
}
