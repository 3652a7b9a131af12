package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/engine/format"
)

// addModelsDirFlag adds --models-dir to a command that reads the library.
func addModelsDirFlag(cmd *cobra.Command, dirs *[]string) {
	cmd.Flags().StringArrayVar(dirs, "models-dir", nil, "also use the .gguf files under this folder (repeatable; or PERCH_MODELS_DIRS, colon-separated)")
}

// openStore opens the model library under the data folder (PERCH_HOME for tests) with the
// models directories from the flags, PERCH_MODELS_DIRS and the settings file.
func openStore(flagDirs []string) (*library.Store, error) {
	paths := config.DefaultPaths()
	dirs := library.ParseDirs(flagDirs, os.Getenv(library.EnvModelsDirs))
	var opts []library.Option
	if st, err := config.Open(paths.SettingsFile()); err == nil {
		dirs = append(dirs, library.ParseDirs(st.Get().ModelsDirs, "")...)
		opts = append(opts, library.WithDownloadDir(st.Get().DownloadDir))
	}
	// The token set in Settings wins over HF_TOKEN (hftoken.go).
	if tok := savedHFToken(paths); tok != "" {
		opts = append(opts, library.WithHF(os.Getenv("HF_ENDPOINT"), tok))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Read at each URL pull, so that a change in the settings applies to a running server.
	allowPrivate := func() bool {
		st, err := config.Open(paths.SettingsFile())
		return err == nil && st.Get().AllowPrivateURLs
	}
	return library.Open(paths.Models(), append(opts, library.WithDirs(dirs...), library.WithLogger(log), library.WithPrivateURLs(allowPrivate))...)
}

func newListCmd() *cobra.Command {
	var (
		dirs   []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the models: the library's and those in models directories",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openStore(dirs)
			if err != nil {
				return err
			}
			models, err := s.List(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(models)
			}
			if len(models) == 0 {
				fmt.Fprintln(out, "No models yet. Get one with `perch pull hf.co/Qwen/Qwen3-4B-GGUF` or find one with `perch search`.")
				return nil
			}
			used := loadedOnServer(cmd.Context())
			tw := tabwriter.NewWriter(out, 0, 0, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tQUANT\tSIZE\tMODIFIED\tIN USE\tWHERE")
			for _, m := range models {
				inUse := ""
				if used[m.Name] {
					inUse = "yes"
				}
				where := "library"
				if m.External {
					where = shortPath(filepath.Dir(m.Path))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, orDash(m.Quantization), format.Size(m.Size),
					humanize.Time(m.ModifiedAt), inUse, where)
			}
			return tw.Flush()
		},
	}
	addModelsDirFlag(cmd, &dirs)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortPath writes the home folder as ~.
func shortPath(p string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" && strings.HasPrefix(p, home+string(filepath.Separator)) {
		return "~" + p[len(home):]
	}
	return p
}
