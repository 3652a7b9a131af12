package worker

// Temporary stand-ins until engine/chat.StopMatcher and engine/llama buffer parsing land.

import (
	"regexp"
	"strconv"
	"strings"
)

type stopMatcher struct {
	stops []string
	held  string
}

func newStopMatcher(stops []string) *stopMatcher {
	var s []string
	for _, x := range stops {
		if x != "" {
			s = append(s, x)
		}
	}
	return &stopMatcher{stops: s}
}

func (m *stopMatcher) Feed(text string) (string, bool, string) {
	buf := m.held + text
	best, word := -1, ""
	for _, s := range m.stops {
		if i := strings.Index(buf, s); i >= 0 && (best < 0 || i < best) {
			best, word = i, s
		}
	}
	if best >= 0 {
		m.held = ""
		return buf[:best], true, word
	}
	keep := 0
	for _, s := range m.stops {
		for k := min(len(s)-1, len(buf)); k > keep; k-- {
			if strings.HasPrefix(s, buf[len(buf)-k:]) {
				keep = k
				break
			}
		}
	}
	m.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], false, ""
}

func (m *stopMatcher) Flush() string { h := m.held; m.held = ""; return h }

var bufLine = regexp.MustCompile(`(\S+)\s+(model|KV|compute|output) buffer size =\s+([0-9.]+) MiB`)

type buffers struct {
	Weights, KV, Compute, Output int64
	Device                       string
}

func (b *buffers) Observe(line string) {
	m := bufLine.FindStringSubmatch(line)
	if m == nil {
		return
	}
	v, _ := strconv.ParseFloat(m[3], 64)
	n := int64(v * (1 << 20))
	switch m[2] {
	case "model":
		b.Weights += n
	case "KV":
		b.KV += n
	case "compute":
		b.Compute += n
	case "output":
		b.Output += n
	}
	if b.Device == "" {
		b.Device = strings.TrimSuffix(m[1], "_Mapped")
	}
}
