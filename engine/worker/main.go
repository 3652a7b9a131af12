package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// Probe is what `perch engine --probe` reports: the runtime llama.cpp was loaded from and
// what it found on this machine.
type Probe struct {
	LibDir     string          `json:"lib_dir"`
	Release    string          `json:"llama_release"`
	SystemInfo string          `json:"system_info"`
	Backends   []string        `json:"backends"`
	Devices    []engine.Device `json:"devices"`
	GPUOffload bool            `json:"gpu_offload"`
}

func runProbe(dir string, stdout, stderr io.Writer) int {
	llama.SetLogSink(nil)
	if err := llama.Init(dir); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	build, _ := llama.ReadBuildInfo(llama.Dir())
	p := Probe{LibDir: llama.Dir(), Release: build.Release, SystemInfo: llama.SystemInfo(),
		Backends: llama.Backends(), GPUOffload: llama.SupportsGPUOffload()}
	for _, d := range llama.Devices() {
		p.Devices = append(p.Devices, engine.Device(d))
	}
	if err := json.NewEncoder(stdout).Encode(p); err != nil {
		return 1
	}
	return 0
}

// Main runs a worker from command-line arguments (those after `perch engine`), reading its
// parent's pipe from stdin and writing the ready line to stdout. It returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == StandbyFlag {
		return standby(ctx, stdin, stdout, stderr)
	}
	var cfg Config
	var verbose bool
	f := flag.NewFlagSet("perch engine", flag.ContinueOnError)
	f.SetOutput(stderr)
	f.StringVar(&cfg.Model, "model", "", "GGUF file")
	f.StringVar(&cfg.Name, "name", "", "model name for messages")
	f.StringVar(&cfg.Digest, "digest", "", "model digest (keys saved state)")
	f.StringVar(&cfg.Socket, "socket", "", "Unix socket to serve on")
	f.IntVar(&cfg.SlotCtx, "ctx", 0, "context per slot (0: training context, capped)")
	f.IntVar(&cfg.Slots, "slots", 1, "parallel sequences")
	f.BoolVar(&cfg.PerSlotKV, "per-slot-kv", false, "give each slot its own KV cache of --ctx cells (default: one shared cache)")
	f.StringVar(&cfg.KVType, "kv-type", "", "KV cache type: f16, q8_0, q4_0")
	f.StringVar(&cfg.FlashAttn, "flash-attn", "", "flash attention: auto, on, off")
	f.IntVar(&cfg.GPULayers, "gpu-layers", -1, "layers on the GPU (-1: all)")
	f.IntVar(&cfg.Threads, "threads", 0, "threads (0: performance cores)")
	f.IntVar(&cfg.Batch, "batch", 0, "tokens per decode step (0: 512)")
	f.BoolVar(&cfg.Embedding, "embedding", false, "load as an embedding model")
	f.StringVar(&cfg.DraftModel, "draft-model", "", "GGUF of a draft model with the same tokenizer (speculative decoding)")
	f.StringVar(&cfg.Pooling, "pooling", "", "embedding pooling: mean, cls, last")
	f.StringVar(&cfg.StateDir, "state-dir", "", "folder for saved conversation state")
	f.Int64Var(&cfg.StateMax, "state-max", 0, "bytes of saved state to keep")
	f.BoolVar(&verbose, "verbose", false, "log llama.cpp's messages")
	probe := f.Bool("probe", false, "load llama.cpp, print what it found as JSON, and exit")
	if err := f.Parse(args); err != nil {
		return 2
	}
	if *probe {
		return runProbe(cfg.LibDir, stdout, stderr)
	}
	if cfg.Model == "" || cfg.Socket == "" {
		fmt.Fprintln(stderr, "perch engine: --model and --socket are required (this command is started by Perch itself)")
		return 2
	}
	level := slog.LevelInfo
	if verbose || os.Getenv("PERCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// The parent decides when a worker stops (by closing stdin); an interrupt meant for the
	// terminal's program must not kill the model under it.
	signal.Ignore(os.Interrupt)
	// A chat template that recurses without end (templates come from untrusted files) should
	// end this process quickly, not after growing a goroutine stack to a gigabyte.
	debug.SetMaxStack(64 << 20)
	cfg.Ready = stdout
	cfg.Parent = stdin
	if err := Run(ctx, cfg); err != nil {
		cfg.Log.Error("worker failed", "err", err)
		return 1
	}
	return 0
}

// StandbyFlag starts a worker ahead of need: see standby.
const StandbyFlag = "--standby"

// standby is a worker started before any model is asked for. It loads llama.cpp's libraries
// now and then waits for its arguments (those Main takes, as one JSON array on one line of
// stdin), so that the first load pays only for the model. A parent that goes away first
// (stdin closed) ends it quietly.
func standby(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
	signal.Ignore(os.Interrupt)
	llama.SetLogSink(nil)
	if err := llama.Init(""); err != nil {
		// Not fatal here: the real start reports it with the model's name.
		fmt.Fprintln(stderr, "standby:", err)
	}
	br := bufio.NewReader(stdin)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return 0
	}
	var args []string
	if err := json.Unmarshal(line, &args); err != nil || (len(args) > 0 && args[0] == StandbyFlag) {
		fmt.Fprintf(stderr, "perch engine --standby: want one JSON array of arguments on stdin, got %q\n", line)
		return 2
	}
	return Main(ctx, args, br, stdout, stderr)
}
