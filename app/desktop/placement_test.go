package desktop

import "testing"

func TestPlaceUnder(t *testing.T) {
	// A 1512×982 MacBook screen: menu bar 0..37, usable area below it.
	screen := Rect{X: 0, Y: 37, W: 1512, H: 945}
	tests := []struct {
		name   string
		anchor Rect
		screen Rect
		wantX  int
		wantY  int
	}{
		{"centred under the icon", Rect{X: 1000, Y: 0, W: 30, H: 37}, screen, 1000 + 15 - 210, 37 + popoverGap},
		{"icon near the right edge", Rect{X: 1480, Y: 0, W: 24, H: 37}, screen, 1512 - 420 - popoverMargin, 37 + popoverGap},
		{"icon near the left edge", Rect{X: 2, Y: 0, W: 24, H: 37}, screen, popoverMargin, 37 + popoverGap},
		{"second screen to the left (negative x)", Rect{X: -900, Y: 0, W: 30, H: 24}, Rect{X: -1920, Y: 24, W: 1920, H: 1056}, -900 + 15 - 210, 24 + popoverGap},
		{"taskbar at the bottom opens above", Rect{X: 1800, Y: 1040, W: 40, H: 40}, Rect{X: 0, Y: 0, W: 1920, H: 1040}, 1920 - 420 - popoverMargin, 1040 - popoverGap - 640},
		{"screen smaller than the window", Rect{X: 100, Y: 0, W: 20, H: 20}, Rect{X: 0, Y: 20, W: 400, H: 600}, 0, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := PlaceUnder(tt.anchor, tt.screen, PopoverWidth, PopoverHeight)
			if x != tt.wantX || y != tt.wantY {
				t.Fatalf("PlaceUnder = (%d, %d), want (%d, %d)", x, y, tt.wantX, tt.wantY)
			}
		})
	}
}

func TestPlaceTopRight(t *testing.T) {
	x, y := PlaceTopRight(Rect{W: 1280, H: 800}, PopoverWidth, PopoverHeight)
	if x != 1280-420-popoverMargin || y != popoverMargin {
		t.Fatalf("PlaceTopRight = (%d, %d)", x, y)
	}
	// A second monitor to the right of the first.
	x, y = PlaceTopRight(Rect{X: 1280, W: 1920, H: 1080}, PopoverWidth, PopoverHeight)
	if x != 1280+1920-420-popoverMargin || y != popoverMargin {
		t.Fatalf("PlaceTopRight on the second monitor = (%d, %d)", x, y)
	}
	// Too small a screen keeps the window's corner on it.
	x, y = PlaceTopRight(Rect{W: 300, H: 300}, PopoverWidth, PopoverHeight)
	if x != 0 || y != 0 {
		t.Fatalf("PlaceTopRight on a tiny screen = (%d, %d)", x, y)
	}
}
