package storeadapter

import (
	"context"

	"github.com/perchapp/perch/app/api"
)

// Storage implements api.StorageReporter: the downloads folder, earlier ones and the models
// folders, with their bytes and their disks' free space.
func (a *Store) Storage(ctx context.Context) []api.StorageDir {
	us := a.s.Storage(ctx)
	out := make([]api.StorageDir, len(us))
	for i, u := range us {
		out[i] = api.StorageDir{Path: u.Path, Kind: u.Kind, UsedBytes: u.UsedBytes, Files: u.Files,
			FreeBytes: u.FreeBytes, TotalBytes: u.TotalBytes}
		if u.Err != nil {
			out[i].Error = u.Err.Error()
		}
	}
	return out
}
