package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/memplan"
)

type showFlags struct {
	dirs                                         []string
	path, asJSON, template, params, license, sys bool
}

func newShowCmd() *cobra.Command {
	var f showFlags
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a model's details: architecture, size, quantization, template, parameters",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(f.dirs)
			if err != nil {
				return err
			}
			m, err := s.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			info, err := s.Info(cmd.Context(), m.Name)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case f.path:
				fmt.Fprintln(out, m.Path)
			case f.asJSON:
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					library.Model
					GGUF ggufmeta.Info `json:"gguf"`
				}{m, info})
			case f.template:
				fmt.Fprintln(out, template(m, info))
			case f.params:
				writeParams(out, m.Params)
			case f.license:
				fmt.Fprintln(out, m.License)
			case f.sys:
				fmt.Fprintln(out, m.System)
			default:
				writeShow(out, m, info)
				writeMemory(cmd.Context(), out, info)
			}
			return nil
		},
	}
	addModelsDirFlag(cmd, &f.dirs)
	fl := cmd.Flags()
	fl.BoolVar(&f.path, "path", false, "print only the GGUF file's path (the first part of a split model)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	fl.BoolVar(&f.template, "template", false, "print the chat template")
	fl.BoolVar(&f.params, "parameters", false, "print the publisher's recommended parameters")
	fl.BoolVar(&f.license, "license", false, "print the licence")
	fl.BoolVar(&f.sys, "system", false, "print the system prompt")
	cmd.MarkFlagsMutuallyExclusive("path", "json", "template", "parameters", "license", "system")
	return cmd
}

// template is the Ollama template layer's, else the GGUF's chat template.
func template(m library.Model, info ggufmeta.Info) string {
	if m.Template != "" {
		return m.Template
	}
	return info.ChatTemplate
}

func writeShow(w io.Writer, m library.Model, info ggufmeta.Info) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "    %s\t%v\n", k, v) }
	fmt.Fprintln(tw, "  Model")
	row("name", m.Name)
	row("architecture", orDash(info.Architecture))
	row("parameters", format.Params(info.ParameterCount))
	row("quantization", orDash(info.Quantization))
	row("context length", info.ContextLength)
	row("embedding length", info.EmbeddingLength)
	row("layers", info.BlockCount)
	row("heads", fmt.Sprintf("%d (%d for K/V)", info.HeadCount, info.HeadCountKV))
	row("size", format.Size(m.Size))
	if len(m.Files) > 1 {
		row("parts", len(m.Files))
	}
	row("chat template", yesNo(template(m, info) != ""))
	if m.Digest != "" {
		row("digest", m.Digest)
	}
	row("path", m.Path)
	if m.External {
		row("from", "models directory (not managed by Perch)")
	} else if m.Source != "" {
		row("pulled from", m.Source)
	}
	row("modified", humanize.Time(m.ModifiedAt))
	if len(m.Params) > 0 {
		fmt.Fprintln(tw, "\n  Parameters")
		for _, k := range sortedKeys(m.Params) {
			row(k, paramValue(m.Params[k]))
		}
	}
	if m.System != "" {
		fmt.Fprintln(tw, "\n  System")
		fmt.Fprintf(tw, "    %s\n", firstLines(m.System, 3))
	}
	if m.License != "" {
		fmt.Fprintln(tw, "\n  License")
		fmt.Fprintf(tw, "    %s\n", firstLines(m.License, 2))
	}
	_ = tw.Flush()
}

func writeParams(w io.Writer, p map[string]any) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range sortedKeys(p) {
		fmt.Fprintf(tw, "%s\t%s\n", k, paramValue(p[k]))
	}
	_ = tw.Flush()
}

func paramValue(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, len(list))
		for i, x := range list {
			parts[i] = fmt.Sprintf("%q", x)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n    ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeMemory adds the memory plan the server would make to load the model with nothing else
// loaded, judged against this machine: its planner with the settings' slots and context (the
// largest that fits up to the training context, capped, when the settings leave it to Perch).
func writeMemory(ctx context.Context, w io.Writer, info ggufmeta.Info) {
	shape, err := memplan.ShapeFromGGUF(info.File)
	if err != nil {
		return
	}
	budget, machine, err := fitBudget(ctx, "")
	if err != nil {
		return
	}
	st := config.Defaults()
	if s, err := config.Open(config.DefaultPaths().SettingsFile()); err == nil {
		st = s.Get()
	}
	// As perch serve builds its planner (newPlanner) and engine (newEngine) from the settings.
	p := memplan.Planner{Slots: st.Slots}
	plan, err := p.Plan(shape, budget.Machine, engine.LoadOptions{Slots: st.Slots, ContextLength: st.ContextLength, PerSlotKV: st.PerSlotKV}, nil)
	if err != nil {
		return
	}
	f, o := plan.Fit, plan.Options
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\n  Memory (perch fit for more)")
	fmt.Fprintf(tw, "    at %d tokens of context, %s\t%s total: weights %s, KV cache %s, compute %s\n", o.Context, slotsText(o.Slots, !o.PerSlot),
		format.Memory(f.TotalBytes), format.Memory(f.WeightsBytes), format.Memory(f.KVBytes+f.StateBytes), format.Memory(f.ComputeBytes+f.OutputBytes))
	fmt.Fprintf(tw, "    on %s\t%s (budget %s, largest context %d)\n", machine, f.Verdict, format.Memory(f.BudgetBytes), f.MaxCtx)
	_ = tw.Flush()
}
