// Package icons holds Perch's tray and window icons, drawn by gen.go.
package icons

import _ "embed"

//go:generate go run gen.go

// Template and TemplateBusy are macOS menu-bar template images (black; macOS tints them),
// 32 px for the 16 pt status item on Retina screens. Busy shows a model generating.
var (
	//go:embed tray-template.png
	Template []byte
	//go:embed tray-template-busy.png
	TemplateBusy []byte
)

// Tray and TrayBusy are the coloured tray icons for Linux panels (light or dark).
var (
	//go:embed tray.png
	Tray []byte
	//go:embed tray-busy.png
	TrayBusy []byte
)

// App is the window icon (256 px); build/appicon.png is the same drawing at 1024 px.
//
//go:embed app.png
var App []byte
