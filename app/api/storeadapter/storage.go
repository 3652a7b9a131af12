package storeadapter

import (
	"context"

	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// Storage implements api.StorageReporter: the downloads folder, earlier ones and the models
// folders, with their bytes and their disks' free space.
func (a *Store) Storage(ctx context.Context) []perchwire.StorageDir {
	us := a.s.Storage(ctx)
	out := make([]perchwire.StorageDir, len(us))
	for i, u := range us {
		out[i] = perchwire.StorageDir{Path: u.Path, Kind: u.Kind, UsedBytes: u.UsedBytes, Files: u.Files,
			FreeBytes: u.FreeBytes, TotalBytes: u.TotalBytes}
		if u.Err != nil {
			out[i].Error = u.Err.Error()
		}
	}
	return out
}
