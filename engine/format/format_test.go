package format

import "testing"

func TestParams(t *testing.T) {
	for _, c := range []struct {
		n             uint64
		human, ollama string
	}{
		{0, "-", ""},
		{999, "999", "999"},
		{292_800, "292.8K", "293K"},
		{125_000_000, "125.0M", "125M"},
		{7_615_616_512, "7.6B", "7.6B"},
	} {
		if got := Params(c.n); got != c.human {
			t.Errorf("Params(%d) = %q, want %q", c.n, got, c.human)
		}
		if got := OllamaParams(c.n); got != c.ollama {
			t.Errorf("OllamaParams(%d) = %q, want %q", c.n, got, c.ollama)
		}
	}
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{Size(int64(1_750_560)), "1.8 MB"},
		{Size(uint64(4_700_000_000)), "4.7 GB"},
		{Size(float64(0)), "0 B"},
		{Memory(3 << 29), "1.5 GiB"},
		{Memory(640 << 20), "640 MiB"},
		{Memory(12 << 10), "12 KiB"},
		{Memory(-2 << 30), "-2.0 GiB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
