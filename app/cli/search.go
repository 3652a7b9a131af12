package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/engine/format"
)

func newSearchCmd() *cobra.Command {
	var (
		limit                    int
		asJSON, offline, refresh bool
		task                     string
	)
	cmd := &cobra.Command{
		Use:   "search [TEXT]",
		Short: "Find models: Perch's catalog and GGUF repositories on Hugging Face",
		Long: `Find models to pull: the curated catalog (chat, coding, reasoning, embeddings, with
models strong in Korean) and GGUF repositories on Hugging Face with the quantizations each
offers. Without TEXT it lists the catalog.`,
		Example: "  perch search qwen\n  perch search --task embedding\n  perch search korean --offline",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			text := strings.Join(args, " ")
			if task != "" && !containsStr([]string{"chat", "coding", "reasoning", "embedding"}, task) {
				return fmt.Errorf("--task %q: use chat, coding, reasoning or embedding", task)
			}
			s, err := openStore(nil)
			if err != nil {
				return err
			}
			cachePath := filepath.Join(config.DefaultPaths().Cache, "catalog.json")
			cat := catalog.Open(cachePath)
			if refresh {
				if err := cat.Refresh(cmd.Context(), s.HF()); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "perch: some catalog entries could not be refreshed: %v\n", err)
				}
				if err := cat.Save(cachePath); err != nil {
					return err
				}
			}
			var res catalog.Results
			if offline {
				res.Catalog = cat.Search(text)
			} else {
				res = cat.Find(cmd.Context(), s.HF(), text, limit)
			}
			if task != "" {
				var keep []catalog.Entry
				for _, e := range res.Catalog {
					if containsStr(e.Tasks, task) {
						keep = append(keep, e)
					}
				}
				res.Catalog = keep
			}
			if res.HubErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "perch: Hugging Face search failed (showing the catalog only): %v\n", res.HubErr)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			writeSearch(out, res)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&limit, "limit", 20, "at most this many Hugging Face repositories")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	fl.BoolVar(&offline, "offline", false, "search the catalog only")
	fl.BoolVar(&refresh, "refresh", false, "re-read the catalog's quantizations and sizes from Hugging Face first")
	fl.StringVar(&task, "task", "", "only catalog models for chat, coding, reasoning or embedding")
	return cmd
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func writeSearch(w io.Writer, res catalog.Results) {
	if len(res.Catalog) > 0 {
		fmt.Fprintln(w, "Catalog:")
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "MODEL\tFOR\tLANGUAGES\tSIZE\tPULL")
		for _, e := range res.Catalog {
			size := "-"
			if q, ok := e.Quant(e.Recommended); ok {
				size = format.Size(q.Size)
				if e.Approximate {
					size = "~" + size
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, strings.Join(e.Tasks, ","), strings.Join(e.Languages, ","), size, e.Ref(""))
		}
		_ = tw.Flush()
	}
	if len(res.Hub) > 0 {
		if len(res.Catalog) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "Hugging Face:")
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "PULL\tDOWNLOADS\tQUANTIZATIONS")
		for _, r := range res.Hub {
			quants := strings.Join(r.Quants, " ")
			if quants == "" {
				quants = "-"
			}
			fmt.Fprintf(tw, "hf.co/%s\t%s\t%s\n", r.Repo, humanize.Comma(int64(r.Downloads)), quants)
		}
		_ = tw.Flush()
	}
	if len(res.Catalog) == 0 && len(res.Hub) == 0 {
		fmt.Fprintln(w, "Nothing found.")
	}
}
