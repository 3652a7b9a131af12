package cli

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/memplan"
)

// envPrewarm set to "off" starts no idle worker ahead of need.
const envPrewarm = "PERCH_PREWARM"

// prewarmMinFree is the memory that must be free for an idle worker (tens of MB) to be
// worth keeping: below it, models need every byte.
const prewarmMinFree = 2 << 30

// prewarm starts one idle worker ahead of need when memory allows, so the first request pays
// only for its model's load.
func prewarm(eng *engine.Engine, planner *memplan.Planner, log *slog.Logger) {
	if os.Getenv(envPrewarm) == "off" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	m, err := planner.Machine(ctx)
	if err != nil || m.AvailableBytes < prewarmMinFree {
		log.Debug("no idle worker ahead of need", "available", m.AvailableBytes, "err", err)
		return
	}
	eng.Prewarm()
}
