package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/memplan"
)

// FitResolver turns a model reference that is neither a .gguf path nor an http(s) URL (a
// library name, hf.co/org/repo:QUANT, a catalog entry) into the shapes of its
// quantizations: one candidate is judged alone, several are ranked and the best that fits is
// named. perch fit uses resolveFit (fitresolve.go); tests give their own to newFitCmdWith.
type FitResolver func(ctx context.Context, ref string) ([]memplan.Candidate, error)

type fitFlags struct {
	ctx     int
	kv      string
	slots   int
	perSlot bool
	memory  string
	asJSON  bool
	// resolve turns names into candidates; nil refuses them.
	resolve FitResolver
}

func newFitCmd() *cobra.Command { return newFitCmdWith(resolveFit) }

// newFitCmdWith is perch fit with names resolved by resolve.
func newFitCmdWith(resolve FitResolver) *cobra.Command {
	f := fitFlags{resolve: resolve}
	cmd := &cobra.Command{
		Use:   "fit REF",
		Short: "Say whether a model fits in memory, and with how much context",
		Long: "fit estimates the memory a model needs — weights, KV cache, compute buffers, overhead — from its GGUF header " +
			"alone (an https URL is read with range requests, so nothing is downloaded) and judges it against this machine's " +
			"budget, or a Mac with --memory. The verdict is fits, tight (less than 10% to spare) or too_large, with the largest " +
			"context that fits. Without --ctx the context is the server's default: the largest of 4K/8K/16K/32K that fits with 10% to " +
			"spare, never above the model's training context. --slots counts parallel requests (the server runs 4); they share one KV " +
			"cache of the context (llama.cpp's unified KV) unless --per-slot gives each its own.",
		Example: "  perch fit ./Qwen3-8B-Q4_K_M.gguf\n  perch fit https://huggingface.co/Qwen/Qwen3-8B-GGUF/resolve/main/Qwen3-8B-Q4_K_M.gguf --memory 16GB\n  perch fit model.gguf --ctx 32768 --kv q8_0 --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFit(cmd.Context(), cmd.OutOrStdout(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.ctx, "ctx", 0, "context in tokens, 256 up to the training context (0: the default for the machine)")
	fl.StringVar(&f.kv, "kv", "f16", "KV cache type: f16, q8_0 or q4_0")
	fl.IntVar(&f.slots, "slots", 4, "parallel requests, 1 to 64 (they share the context's KV cache)")
	fl.BoolVar(&f.perSlot, "per-slot", false, "give each slot its own KV cache of the context (memory × slots)")
	fl.StringVar(&f.memory, "memory", "", "answer for an Apple Silicon Mac with this much memory, e.g. 16GB (default: this machine, or "+memplan.EnvSimulateMemory+")")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	return cmd
}

// fitReport is what perch fit prints.
type fitReport struct {
	Model   string `json:"model"`
	Machine string `json:"machine"`
	// ContextTokens is the context the verdict assumes (the KV cache's cells).
	ContextTokens int `json:"context"`
	memplan.Fit
	// ContextNote says how the context was chosen when none was asked.
	ContextNote string `json:"context_note,omitempty"`
}

// catalogReport is perch fit's answer for a reference with several quantizations.
type catalogReport struct {
	Model   string          `json:"model"`
	Machine string          `json:"machine"`
	Best    string          `json:"best"`
	Quants  []fitReport     `json:"quants"`
	Budget  int64           `json:"budget_bytes"`
	Options memplan.Options `json:"options"`
}

func runFit(ctx context.Context, out io.Writer, ref string, f fitFlags) error {
	if f.slots < 1 || f.slots > 64 {
		return fmt.Errorf("--slots must be from 1 to 64, not %d", f.slots)
	}
	if f.ctx != 0 && f.ctx < 256 {
		return fmt.Errorf("--ctx must be 0 (the default for the machine) or at least 256 tokens, not %d", f.ctx)
	}
	switch strings.ToLower(f.kv) {
	case "f16", "q8_0", "q4_0":
	default:
		return fmt.Errorf("--kv must be f16, q8_0 or q4_0, not %q", f.kv)
	}
	cands, err := fitCandidates(ctx, ref, f.resolve)
	if err != nil {
		return err
	}
	budget, machine, err := fitBudget(ctx, f.memory)
	if err != nil {
		return err
	}
	o := memplan.Options{Context: f.ctx, Slots: f.slots, KVTypeK: f.kv, KVTypeV: f.kv, Backend: budget.Machine.Backend(), PerSlot: f.perSlot}
	for _, c := range cands {
		if n := c.Shape.ContextLength; f.ctx > 0 && n > 0 && f.ctx > n {
			return fmt.Errorf("--ctx %d is above %s's training context of %d tokens; ask for %d or less", f.ctx, c.Name, n, n)
		}
	}

	if len(cands) > 1 {
		best, ranked, err := memplan.BestQuant(cands, o, budget, nil)
		if err != nil {
			return err
		}
		rep := catalogReport{Model: ref, Machine: machine, Best: best, Budget: budget.Bytes, Options: o}
		for _, r := range ranked {
			rep.Quants = append(rep.Quants, fitReport{Model: r.Name, Machine: machine, ContextTokens: r.Fit.Context, Fit: r.Fit})
		}
		if f.asJSON {
			return writeJSON(out, rep)
		}
		return writeCatalogFit(out, rep, budget)
	}

	c := cands[0]
	rep := fitReport{Model: c.Name, Machine: machine}
	rep.Fit, rep.ContextNote, err = memplan.Judge(c.Shape, o, budget, nil)
	if err != nil {
		return err
	}
	rep.ContextTokens = rep.Context
	if f.asJSON {
		return writeJSON(out, rep)
	}
	return writeFit(out, rep, c.Shape, budget)
}

// fitCandidates reads the model's shape from a file, a URL, or the resolver.
func fitCandidates(ctx context.Context, ref string, resolve FitResolver) ([]memplan.Candidate, error) {
	switch {
	case strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://"):
		u, err := url.Parse(ref)
		if err != nil {
			return nil, fmt.Errorf("bad URL %q: %w", ref, err)
		}
		var headers map[string]string
		if tok := os.Getenv("HF_TOKEN"); tok != "" && strings.HasSuffix(u.Hostname(), "huggingface.co") {
			headers = map[string]string{"Authorization": "Bearer " + tok}
		}
		s, err := memplan.FetchShape(ctx, ref, headers)
		if err != nil {
			return nil, err
		}
		return []memplan.Candidate{{Name: filepath.Base(u.Path), Shape: s}}, nil
	case strings.HasSuffix(strings.ToLower(ref), ".gguf") || fileExists(ref):
		s, err := memplan.ReadShape(ref)
		if err != nil {
			return nil, err
		}
		return []memplan.Candidate{{Name: filepath.Base(ref), Shape: s}}, nil
	}
	if resolve == nil {
		return nil, fmt.Errorf("perch fit takes a .gguf file or an http(s) URL to one; %q is neither", ref)
	}
	cands, err := resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, fmt.Errorf("%s: no GGUF files to judge", ref)
	}
	return cands, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// fitBudget is the budget of this machine, or of the Mac --memory or the environment names.
func fitBudget(ctx context.Context, memory string) (memplan.Budget, string, error) {
	if memory != "" {
		n, err := memplan.ParseSize(memory)
		if err != nil {
			return memplan.Budget{}, "", fmt.Errorf("--memory: %w", err)
		}
		return memplan.BudgetFor(memplan.SimulatedMac(n), 0), "Apple Silicon Mac with " + format.Memory(n) + " (simulated)", nil
	}
	if m, ok, err := memplan.SimulatedFromEnv(); err != nil {
		return memplan.Budget{}, "", err
	} else if ok {
		return memplan.BudgetFor(m, 0), "Apple Silicon Mac with " + format.Memory(m.TotalBytes) + " (simulated by " + memplan.EnvSimulateMemory + ")", nil
	}
	snap, err := system.NewSampler().Sample(ctx)
	if err != nil {
		return memplan.Budget{}, "", err
	}
	m := snap.Machine()
	desc := fmt.Sprintf("this machine: %s, %s available", format.Memory(m.TotalBytes), format.Memory(m.AvailableBytes))
	if m.AppleSilicon {
		desc = fmt.Sprintf("this Mac: %s, Metal working set %s (%s)", format.Memory(m.TotalBytes), format.Memory(m.WorkingSetBytes), snap.GPU.Source)
	}
	return memplan.BudgetFor(m, 0), desc, nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeFit(out io.Writer, r fitReport, s memplan.Shape, b memplan.Budget) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	desc := s.Architecture
	if s.FileType != "" {
		desc += ", " + s.FileType
	}
	switch {
	case s.Parameters >= 1e9:
		desc += fmt.Sprintf(", %.1fB parameters", float64(s.Parameters)/1e9)
	case s.Parameters > 0:
		desc += fmt.Sprintf(", %.0fM parameters", float64(s.Parameters)/1e6)
	}
	fmt.Fprintf(tw, "model\t%s (%s)\n", r.Model, desc)
	fmt.Fprintf(tw, "machine\t%s\n", r.Machine)
	fmt.Fprintf(tw, "context\t%d, %s, KV cache %s\n", r.Context, slotsText(r.Slots, r.KVUnified), r.KVTypeK)
	if r.ContextNote != "" {
		fmt.Fprintf(tw, "\t%s\n", r.ContextNote)
	}
	fmt.Fprintln(tw)
	rows := []struct {
		name string
		n    int64
	}{{"weights", r.WeightsBytes}, {"KV cache", r.KVBytes}, {"recurrent state", r.StateBytes}, {"compute", r.ComputeBytes},
		{"output", r.OutputBytes}, {"overhead", r.OverheadBytes}, {"total", r.TotalBytes}, {"budget", r.BudgetBytes}}
	for _, row := range rows {
		if row.name == "recurrent state" && row.n == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%10s\n", row.name, format.Memory(row.n))
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "verdict\t%s\n", r.Verdict)
	fmt.Fprintf(tw, "max context\t%d\n", r.MaxCtx)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s\n(budget: %s)\n", r.Message, b.Rule)
	return nil
}

func writeCatalogFit(out io.Writer, r catalogReport, b memplan.Budget) error {
	fmt.Fprintf(out, "model    %s\nmachine  %s\nbudget   %s (%s)\nslots    %s, KV cache %s\n\n",
		r.Model, r.Machine, format.Memory(r.Budget), b.Rule, slotsText(r.Options.Slots, !r.Options.PerSlot), r.Options.KVTypeK)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "QUANT\tCONTEXT\tWEIGHTS\tTOTAL\tVERDICT\tMAX CONTEXT\t")
	for _, q := range r.Quants {
		mark := ""
		if q.Model == r.Best {
			mark = "  ← best that fits"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\n", q.Model, q.Context, format.Memory(q.WeightsBytes), format.Memory(q.TotalBytes), q.Verdict, q.MaxCtx, mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Best == "" {
		fmt.Fprintln(out, "\nNo quantization fits; try a smaller model, a shorter context (--ctx) or a q8_0 KV cache (--kv q8_0).")
	}
	return nil
}

func slotsText(slots int, unified bool) string {
	if unified {
		return fmt.Sprintf("%d slot(s) sharing one cache", slots)
	}
	return fmt.Sprintf("%d slot(s), each its own cache", slots)
}
