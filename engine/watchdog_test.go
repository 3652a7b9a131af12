package engine

import (
	"strings"
	"testing"
	"time"
)

// TestFaultPulse: the watchdog's verdicts on a sequence of heartbeats.
func TestFaultPulse(t *testing.T) {
	times := watchdogTimes{every: time.Second, hungAfter: 10 * time.Second, stallAfter: time.Minute}
	type beat struct {
		at   time.Duration // since the start
		ok   bool
		h    Health
		want string // a part of the verdict; "" for none
	}
	cases := []struct {
		name  string
		beats []beat
	}{
		{"answers, idle", []beat{{1 * time.Second, true, Health{}, ""}, {2 * time.Hour, true, Health{}, ""}}},
		{"one miss after a sleep is not enough", []beat{{time.Second, true, Health{}, ""}, {time.Hour, false, Health{}, ""}, {time.Hour + time.Second, true, Health{}, ""}}},
		{"misses for hungAfter", []beat{{time.Second, true, Health{}, ""}, {6 * time.Second, false, Health{}, ""}, {11 * time.Second, false, Health{}, "heartbeat for 10s"}}},
		{"misses, but not for long", []beat{{time.Second, false, Health{}, ""}, {2 * time.Second, false, Health{}, ""}, {3 * time.Second, false, Health{}, ""}}},
		{"slow progress is progress", []beat{{50 * time.Second, true, Health{Work: 1, Progress: 1}, ""}, {100 * time.Second, true, Health{Work: 1, Progress: 2}, ""}, {150 * time.Second, true, Health{Work: 1, Progress: 3}, ""}}},
		{"busy without progress", []beat{{time.Second, true, Health{Work: 2, Progress: 7}, ""}, {30 * time.Second, true, Health{Work: 2, Progress: 7}, ""}, {61 * time.Second, true, Health{Work: 2, Progress: 7}, "no progress on 2"}}},
		{"idle between requests", []beat{{time.Second, true, Health{Work: 1, Progress: 7}, ""}, {50 * time.Second, true, Health{Work: 0, Progress: 7}, ""}, {100 * time.Second, true, Health{Work: 1, Progress: 7}, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Unix(1000, 0)
			p := newPulse(times, start)
			for i, b := range c.beats {
				got := p.beat(start.Add(b.at), b.h, b.ok)
				if (b.want == "") != (got == "") || !strings.Contains(got, b.want) {
					t.Fatalf("beat %d: verdict %q, want %q", i, got, b.want)
				}
			}
		})
	}
}
