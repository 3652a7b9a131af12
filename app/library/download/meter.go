package download

import (
	"math"
	"time"
)

// meter smooths the download rate over a few seconds, so the rate and ETA shown do not jump
// with every network hiccup.
type meter struct {
	last     time.Time
	lastDone int64
	rate     float64
}

const meterWindow = 3 * time.Second

func (m *meter) update(now time.Time, done int64) float64 {
	if m.last.IsZero() {
		m.last, m.lastDone = now, done
		return 0
	}
	dt := now.Sub(m.last)
	if dt <= 0 {
		return m.rate
	}
	inst := float64(done-m.lastDone) / dt.Seconds()
	if inst < 0 {
		inst = 0 // a segment restarted from zero
	}
	if m.rate == 0 {
		m.rate = inst
	} else {
		a := 1 - math.Exp(-dt.Seconds()/meterWindow.Seconds())
		m.rate += a * (inst - m.rate)
	}
	m.last, m.lastDone = now, done
	return m.rate
}

// eta is the time left at rate, or 0 when unknown.
func eta(total, done int64, rate float64) time.Duration {
	if total <= 0 || rate <= 0 || done >= total {
		return 0
	}
	return time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second)
}
