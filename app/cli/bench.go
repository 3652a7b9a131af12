package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/bench"
	"github.com/perchapp/perch/engine/shareddir"
	"github.com/perchapp/perch/engine/synth"
	"github.com/perchapp/perch/engine/worker"
)

func newBenchCmd() *cobra.Command {
	var (
		models   []string
		presets  []string
		quants   []string
		vocab    string
		runs     int
		threads  int
		asJSON   bool
		decode   int
		prompt   int
		resumeTk int
		sweep    []int
		specPath string
		cold     int
		coldBase string
		pair     string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure speed through the whole engine against a raw llama.cpp loop",
		Long: "bench measures, on the same model in the same run, a raw llama.cpp decode loop (the ceiling) and the whole path " +
			"(engine API → worker): time to first token, prefill and decode speed, 1, 2 and 4 concurrent streams, a 10-turn chat, " +
			"and a 2,000-token conversation resumed from saved state versus prefilled again. Without --model it builds synthetic " +
			"models (about 100M and 1B parameters, Q4_K_M and Q8_0) from a vocabulary GGUF.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths := config.DefaultPaths()
			if err := paths.Ensure(); err != nil {
				return err
			}
			if threads <= 0 {
				threads = worker.DefaultThreads()
			}
			if cold > 0 {
				return runServeCold(cmd, models, coldBase, cold, asJSON)
			}
			if pair != "" {
				exe, err := os.Executable()
				if err != nil {
					return err
				}
				return benchDraftPair(cmd, pair, bench.Options{Threads: threads, Runs: runs, DecodeTokens: decode,
					WorkDir: paths.Runtime, Command: engine.WorkerCommand(cmd.Context(), exe)}, filepath.Join(paths.Cache, "synth"), asJSON)
			}
			type target struct{ name, path string }
			var targets []target
			for _, m := range models {
				abs, err := filepath.Abs(m)
				if err != nil {
					return err
				}
				targets = append(targets, target{filepath.Base(m), abs})
			}
			if len(targets) == 0 {
				if vocab == "" {
					vocab = defaultVocab()
				}
				if vocab == "" {
					return errors.New("no vocabulary for synthetic models: pass --vocab FILE.gguf (any GGUF with a tokenizer) or --model FILE.gguf")
				}
				for _, p := range presets {
					spec, err := synth.Preset(p)
					if err != nil {
						return err
					}
					for _, q := range quants {
						fmt.Fprintf(cmd.ErrOrStderr(), "building synthetic %s %s (cached after the first time)…\n", p, q)
						path, err := synth.Build(cmd.Context(), spec, vocab, q, filepath.Join(paths.Cache, "synth"))
						if err != nil {
							return err
						}
						targets = append(targets, target{"synth-" + p + "-" + strings.ToLower(q), path})
					}
				}
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			// The workers the app itself would start (perch-engine when it is of this build).
			worker := engine.WorkerCommand(cmd.Context(), exe)
			var results []*bench.Result
			for _, t := range targets {
				fmt.Fprintf(cmd.ErrOrStderr(), "benchmarking %s\n", t.name)
				r, err := bench.Run(cmd.Context(), bench.Options{
					Name: t.name, Path: t.path, Threads: threads, Runs: runs, DecodeTokens: decode, PromptTokens: prompt,
					ResumeTokens: resumeTk, WorkDir: paths.Runtime, Command: worker, ThreadCounts: sweep,
					Progress: func(s string) { fmt.Fprintf(cmd.ErrOrStderr(), "  %s\n", s) },
				})
				if err != nil {
					return fmt.Errorf("%s: %w", t.name, err)
				}
				results = append(results, r)
			}
			spec, err := benchSpecStories(cmd, specPath, bench.Options{Threads: threads, Runs: runs, WorkDir: paths.Runtime, Command: worker})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"machine": machine(), "threads": threads, "results": results, "spec_ngram": spec})
			}
			printBench(cmd, results, threads)
			if spec != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "\nspeculation (%s): %.2fx, %.0f%% of drafts accepted\n", spec.Workload, spec.Speedup, 100*spec.Acceptance)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&models, "model", nil, "GGUF file to measure instead of synthetic models (repeatable)")
	f.StringSliceVar(&presets, "preset", []string{"100m", "1b"}, "synthetic model shapes: "+strings.Join(synth.Presets(), ", "))
	f.StringSliceVar(&quants, "quant", []string{"Q4_K_M", "Q8_0"}, "quantizations of the synthetic models")
	f.StringVar(&vocab, "vocab", "", "GGUF whose tokenizer the synthetic models use (default: ../shared/vocab/ggml-vocab-phi-3.gguf when present)")
	f.IntVar(&runs, "runs", 5, "runs per measurement (the median is reported)")
	f.IntVar(&threads, "threads", 0, "threads for both paths (0: the worker's default)")
	f.IntVar(&decode, "decode", 128, "tokens generated per run")
	f.IntVar(&prompt, "prompt", 128, "prompt tokens per run")
	f.IntVar(&resumeTk, "resume-tokens", 2000, "length of the conversation resumed from saved state")
	f.BoolVar(&asJSON, "json", false, "print the figures as JSON")
	f.IntSliceVar(&sweep, "sweep-threads", nil, "thread counts of the single-stream comparison (default: 1 and every core)")
	f.IntVar(&cold, "serve-cold", 0, "only measure `perch serve` from process start (listening, /health, first token with and without an idle worker, idle memory), this many runs each, on --model (default stories260K)")
	f.StringVar(&coldBase, "serve-baseline", "", "with --serve-cold: another perch binary measured in the same runs, alternating")
	f.StringVar(&specPath, "spec-model", "", "model for the speculative-decoding run where drafts are often right (default: ../shared/models/stories260K.gguf when present; \"none\" skips it)")
	f.StringVar(&pair, "draft-pair", "", "only measure speculative decoding with a draft model: TARGET.gguf,DRAFT.gguf (DRAFT \"synth\": a random-weight synthetic draft with TARGET's tokenizer, for the identity check), --decode tokens from \"Once upon a time\", greedy")
	return cmd
}

// benchDraftPair measures a target with its draft model against plain decoding.
func benchDraftPair(cmd *cobra.Command, pair string, o bench.Options, synthCache string, asJSON bool) error {
	target, draft, ok := strings.Cut(pair, ",")
	if !ok || target == "" || draft == "" {
		return fmt.Errorf("--draft-pair %q: give two GGUF files, TARGET.gguf,DRAFT.gguf (or TARGET.gguf,synth)", pair)
	}
	if draft == "synth" {
		spec, _ := synth.Preset("tiny")
		fmt.Fprintf(cmd.ErrOrStderr(), "building a synthetic draft with %s's tokenizer…\n", filepath.Base(target))
		p, err := synth.Build(cmd.Context(), spec, target, "F16", synthCache)
		if err != nil {
			return err
		}
		draft = p
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "speculative decoding on %s with draft model %s\n", filepath.Base(target), filepath.Base(draft))
	r, err := bench.SpecDraft(cmd.Context(), o, target, draft)
	if err != nil {
		return fmt.Errorf("draft-model run: %w", err)
	}
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"machine": machine(), "threads": o.Threads, "spec_draft": r})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "draft model %s for %s (%s): %.2fx (%.1f → %.1f tokens/s), %d of %d drafts accepted (%.0f%%), output identical to plain decoding: %v\n",
		filepath.Base(r.DraftModel), filepath.Base(r.Model), r.Workload, r.Speedup, r.PlainPerS, r.SpecPerS, r.Accepted, r.Drafted, 100*r.Acceptance, r.Identical)
	return nil
}

// benchSpecStories measures prompt-lookup speculation on stories260K's own stories.
func benchSpecStories(cmd *cobra.Command, path string, o bench.Options) (*bench.SpecResult, error) {
	if path == "none" {
		return nil, nil
	}
	if path == "" {
		d := shareddir.Find()
		if d == "" {
			return nil, nil
		}
		path = filepath.Join(d, "models", "stories260K.gguf")
		if _, err := os.Stat(path); err != nil {
			return nil, nil
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "speculative decoding on %s\n", filepath.Base(path))
	r, err := bench.SpecStories(cmd.Context(), o, path)
	if err != nil {
		return nil, fmt.Errorf("speculation run: %w", err)
	}
	return &r, nil
}

func defaultVocab() string {
	candidates := []string{}
	if d := shareddir.Find(); d != "" {
		// Phi-3's vocabulary comes with a chat template and special turn tokens, as real chat
		// models do (Llama 2's has neither).
		candidates = append(candidates, filepath.Join(d, "vocab", "ggml-vocab-phi-3.gguf"))
	}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "..", "shared", "vocab", "ggml-vocab-phi-3.gguf"))
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return ""
}

func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s %s/%s, %d CPUs", host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

func printBench(cmd *cobra.Command, results []*bench.Result, threads int) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "%s, %d threads; medians\n\n", machine(), threads)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tparams\traw ttft ms\tengine ttft ms\traw prefill/s\tengine prefill/s\traw decode/s\tengine decode/s\tdecode ratio\tttft +ms\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0fM\t%.1f\t%.1f\t%.0f\t%.0f\t%.1f\t%.1f\t%.3f\t%+.1f\t\n", r.Model, float64(r.Parameters)/1e6,
			r.Raw.TTFTMs, r.Engine.TTFTMs, r.Raw.PrefillPerS, r.Engine.PrefillPerS, r.Raw.DecodePerS, r.Engine.DecodePerS,
			r.Ratios.DecodeRatioVsRaw, r.Ratios.TTFTOverheadMs)
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\t1 stream/s\t2 streams/s\t4 streams/s\t4 over 1\traw 4 over 1\tturn 1 ttft ms\tturn 10 ttft ms\t10 over 1\tworst turn\tworst over 1\tresume ms\tprefill ms\tresume over prefill\t")
	for _, r := range results {
		t1, tn := 0.0, 0.0
		if len(r.TurnTTFTMs) > 0 {
			t1, tn = r.TurnTTFTMs[0], r.TurnTTFTMs[len(r.TurnTTFTMs)-1]
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%.1f\t%.1f\t%.2f\t%d\t%.2f\t%.1f\t%.1f\t%.3f\t\n", r.Model, r.Aggregate[1], r.Aggregate[2], r.Aggregate[4],
			r.Ratios.Aggregate4Over1, r.Ratios.RawAggregate4Over1, t1, tn, r.Ratios.Turn10OverTurn1TTFT, r.WorstTurn, r.Ratios.WorstTurnOverTurn1TTFT, r.ResumeTTFTMs, r.PrefillAgainTTFTMs, r.Ratios.ResumeOverPrefillTTFT)
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tthreads\tdecode ratio\tttft +ms\tcold first token ms\trss over model MB\tspec speedup\tspec accepted\t")
	for _, r := range results {
		for _, b := range r.ByThreads {
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%+.1f\t%.0f\t%.1f\t%.2f\t%.0f%%\t\n", r.Model, b.Threads, b.DecodeRatioVsRaw, b.TTFTOverheadMs,
				r.FirstTokenColdMs, float64(r.RSSLoadedOverModelBytes)/(1<<20), r.Spec.Speedup, 100*r.Spec.Acceptance)
		}
	}
	tw.Flush()
}

// runServeCold is `perch bench --serve-cold N`.
func runServeCold(cmd *cobra.Command, models []string, baseline string, runs int, asJSON bool) error {
	path := ""
	if len(models) > 0 {
		path = models[0]
	} else if d := shareddir.Find(); d != "" {
		path = filepath.Join(d, "models", "stories260K.gguf")
	}
	if path == "" {
		return errors.New("--serve-cold needs --model FILE.gguf")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	r, err := benchServeCold(cmd.Context(), exe, baseline, abs, runs)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"machine": machine(), "serve_cold": r})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s, %s, medians of %d\nlistening %.1f ms, /health %.1f ms, first token %.0f ms (no idle worker: %.0f ms)\n"+
		"a first request 1 s after start: %.0f ms to its first token (no idle worker: %.0f ms)\nidle: server %.1f MB, idle worker %.1f MB resident\n",
		machine(), r.Model, runs, r.ListenMs, r.HealthMs, r.FirstTokenMs, r.FirstTokenNoPrewarmMs, r.FirstRequestAfter1sMs, r.FirstRequestAfter1sNoPrewarmMs,
		float64(r.IdleRSSBytes)/(1<<20), float64(r.IdleWorkerRSSBytes)/(1<<20))
	if b := r.Baseline; b != nil {
		fmt.Fprintf(cmd.OutOrStdout(), "baseline %s: listening %.1f ms, /health %.1f ms, first token %.0f ms, idle server %.1f MB\n",
			b.Exe, b.ListenMs, b.HealthMs, b.FirstTokenMs, float64(b.IdleRSSBytes)/(1<<20))
	}
	return nil
}
