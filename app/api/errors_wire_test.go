package api

import (
	"fmt"
	"testing"

	"github.com/perchapp/perch/app/wire"
)

// TestParamErrorMaps: a bad field from a wire conversion answers as badRequest did.
func TestParamErrorMaps(t *testing.T) {
	err := fmt.Errorf("converting: %w", wire.BadRequest("top_p", "top_p must be between 0 and 1, got %v", 2))
	got, want := toAPIError(err), badRequest("top_p", "top_p must be between 0 and 1, got 2")
	if *got != *want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
