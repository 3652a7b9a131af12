package cli

import (
	"testing"

	"github.com/perchapp/perch/engine/enginetest"
)

// TestMain lets this test binary act as the engine's worker.
func TestMain(m *testing.M) { enginetest.Main(m) }
