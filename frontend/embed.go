// Package frontend embeds the built web UI (React, TypeScript, Vite; `npm run build` writes
// dist/). The same files are served by the API server in a browser and by the desktop window.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built UI. It holds no index.html when the UI was not built.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Built reports whether the UI was built into this binary.
func Built() bool {
	_, err := fs.Stat(Files(), "index.html")
	return err == nil
}
