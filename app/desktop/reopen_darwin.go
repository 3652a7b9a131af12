//go:build desktop && darwin

package desktop

import "C"

// The app events platform_darwin.go's AppDelegate methods pass on. They are in a file of their
// own because a file with an //export may only declare C in its preamble. Both run on the
// main thread, which showing the window and quitting wait on, so the work runs off it.

//export perchGoReopen
func perchGoReopen() {
	if f := reopen.Load(); f != nil {
		go (*f)()
	}
}

//export perchGoQuit
func perchGoQuit() {
	if f := quitRequested.Load(); f != nil {
		go (*f)()
	}
}
