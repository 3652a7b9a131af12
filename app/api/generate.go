package api

// The UI's TypeScript types of the /perch wire structs, generated from the Go types
// (app/tsgen lists them); app/tsgen's test fails when the checked-in file is stale.
//go:generate go run ../tsgen -out ../../frontend/src/api/wire.gen.ts
