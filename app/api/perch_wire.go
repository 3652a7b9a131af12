package api

import perchwire "github.com/perchapp/perch/app/wire/perch"

// The /perch wire types and the model store's shapes live in app/wire/perch; these names
// keep the API's adapters (storeadapter, the CLI, the tests) compiling while they move.
type (
	LibraryModel   = perchwire.LibraryModel
	PullPhase      = perchwire.PullPhase
	PullProgress   = perchwire.PullProgress
	MemorySnapshot = perchwire.MemorySnapshot
	FitQuery       = perchwire.FitQuery
	Fit            = perchwire.Fit
	CatalogModel   = perchwire.CatalogModel
	Quant          = perchwire.Quant
	RemoteModel    = perchwire.RemoteModel
	StorageDir     = perchwire.StorageDir
)

// Pull phases, in order, and the verdicts of a Fit (app/wire/perch).
const (
	PullManifest = perchwire.PullManifest
	PullDownload = perchwire.PullDownload
	PullVerify   = perchwire.PullVerify
	PullWrite    = perchwire.PullWrite
	PullDone     = perchwire.PullDone

	VerdictFits     = perchwire.VerdictFits
	VerdictTight    = perchwire.VerdictTight
	VerdictTooLarge = perchwire.VerdictTooLarge
)

// PhaseOf classifies an Ollama-style pull status.
func PhaseOf(status string) PullPhase { return perchwire.PhaseOf(status) }
