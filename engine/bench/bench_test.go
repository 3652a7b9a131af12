package bench

import (
	"context"
	"testing"

	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
)

func TestMain(m *testing.M) { enginetest.Main(m) }

// A whole run on the smallest model: every measurement, the raw and engine aggregates on the
// same prompts, and the ratios, without error.
func TestRunStories(t *testing.T) {
	path := sharedtest.Model(t, "stories260K.gguf")
	res, err := Run(context.Background(), Options{
		Name: "stories", Path: path, Threads: 1, PromptTokens: 24, DecodeTokens: 8, Runs: 1,
		Streams: []int{1, 4}, Turns: 2, TurnTokens: 8, ResumeTokens: 64, SlotCtx: 256, WorkDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 4} {
		if res.Aggregate[n] <= 0 || res.RawAggregate[n] <= 0 {
			t.Errorf("%d streams: engine %v, raw %v tokens/s", n, res.Aggregate[n], res.RawAggregate[n])
		}
	}
	if res.Raw.DecodePerS <= 0 || res.Engine.DecodePerS <= 0 || len(res.TurnTTFTMs) != 2 {
		t.Errorf("result %+v", res)
	}
}
