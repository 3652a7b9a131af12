package desktop

// Rect is a screen rectangle with y growing downwards (pixels on Linux, points on macOS).
type Rect struct{ X, Y, W, H int }

// Popover size and spacing. The window is created at this size and kept alive while hidden.
const (
	PopoverWidth  = 420
	PopoverHeight = 640
	// DetachedWidth and DetachedHeight are the size a detached window starts at.
	DetachedWidth  = 900
	DetachedHeight = 700
	// popoverGap separates the window from the tray icon; popoverMargin keeps it off the
	// screen's edges.
	popoverGap    = 4
	popoverMargin = 8
)

// PlaceUnder returns the top-left corner of a w×h window hanging from anchor (the tray icon's
// frame): centred on it horizontally, kept inside screen (the usable area, without menu bar
// or panels). When the anchor sits in the lower half of the screen (a taskbar at the bottom)
// the window opens above it instead.
func PlaceUnder(anchor, screen Rect, w, h int) (x, y int) {
	x = clamp(anchor.X+anchor.W/2-w/2, screen.X+popoverMargin, screen.X+screen.W-w-popoverMargin, screen.X)
	below := anchor.Y+anchor.H/2 < screen.Y+screen.H/2
	if below {
		y = anchor.Y + anchor.H + popoverGap
	} else {
		y = anchor.Y - popoverGap - h
	}
	y = clamp(y, screen.Y, screen.Y+screen.H-h, screen.Y)
	return x, y
}

// PlaceTopRight returns the top-left corner of a w×h window in the top-right corner of
// screen: where a tray icon is on most Linux desktops, whose tray hosts do not say where the
// icon is.
func PlaceTopRight(screen Rect, w, h int) (x, y int) {
	x = clamp(screen.X+screen.W-w-popoverMargin, screen.X+popoverMargin, screen.X+screen.W-w-popoverMargin, screen.X)
	y = clamp(screen.Y+popoverMargin, screen.Y, screen.Y+screen.H-h, screen.Y)
	return x, y
}

// clamp keeps v within [lo, hi]; when the range is empty (the window is larger than the
// screen) it returns fallback, the screen's origin, so the window's top-left stays visible.
func clamp(v, lo, hi, fallback int) int {
	if hi < lo {
		return fallback
	}
	return min(max(v, lo), hi)
}
