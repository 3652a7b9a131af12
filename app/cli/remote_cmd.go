package cli

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/remote"
)

// openRemotes opens the remote endpoints kept beside the settings; their API keys go to the
// macOS Keychain, or to a 0600 file elsewhere (remote.DefaultKeys).
func openRemotes(paths config.Paths, log *slog.Logger) (*remote.Manager, error) {
	return remote.Open(filepath.Join(paths.Config, "remotes.json"), remote.DefaultKeys(filepath.Join(paths.Config, "remote-keys.json")),
		remote.Options{Log: log})
}

// newRemoteCmd manages the endpoints on other machines: perch remote add|list|rm. It edits
// the same file the server reads; a running server picks the change up on its next request.
func newRemoteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remote",
		Short: "Use models served by another machine (vLLM, llama-server, LM Studio, Ollama, another Perch)",
		Long: "remote manages endpoints on other machines. Their models appear in every model list as NAME/model, and requests " +
			"for them are forwarded to that machine: text you send to such a model leaves this Mac.",
	}
	cmd.AddCommand(newRemoteAddCmd(), newRemoteListCmd(), newRemoteRmCmd(), newRemoteFindCmd())
	return cmd
}

func withRemotes(fn func(*remote.Manager) error) error {
	paths := config.DefaultPaths()
	if err := paths.Ensure(); err != nil {
		return err
	}
	m, err := openRemotes(paths, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return fn(m)
}

func newRemoteAddCmd() *cobra.Command {
	var key, kind string
	cmd := &cobra.Command{
		Use:   "add NAME URL",
		Short: "Add (or replace) an endpoint; its models become NAME/model",
		Example: "  perch remote add gpu http://gpu-box:8000/v1 --api-key $VLLM_KEY\n" +
			"  perch remote add studio http://studio.local:11435 --api-key perch-…",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRemotes(func(m *remote.Manager) error {
				ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
				defer cancel()
				st, err := m.Add(ctx, args[0], args[1], remote.Kind(kind), key)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Added %s (%s, %s API) with %d models:\n", st.Name, st.URL, st.Kind, len(st.Models))
				for _, n := range st.Models {
					fmt.Fprintf(w, "  %s/%s\n", st.Name, n)
				}
				fmt.Fprintf(w, "Text sent to these models goes to %s.\n", st.URL)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&key, "api-key", "", "the key the endpoint requires (sent as Authorization: Bearer KEY)")
	cmd.Flags().StringVar(&kind, "kind", "", "openai or ollama (default: detected)")
	return cmd
}

func newRemoteListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the endpoints with their health and models",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRemotes(func(m *remote.Manager) error {
				sts, err := m.List(cmd.Context())
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if len(sts) == 0 {
					fmt.Fprintln(w, "No remote endpoints; add one with `perch remote add NAME URL`.")
					return nil
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tURL\tKIND\tSTATE\tLATENCY\tMODELS")
				for _, st := range sts {
					state := "reachable"
					if !st.Health.Reachable {
						state = "unreachable"
					} else if st.Health.LastError != "" {
						state = "error"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f ms\t%s\n", st.Name, st.URL, st.Kind, state, st.Health.LatencyMs, strings.Join(st.Models, ", "))
				}
				tw.Flush()
				for _, st := range sts {
					if st.Health.LastError != "" {
						fmt.Fprintf(w, "%s: %s\n", st.Name, st.Health.LastError)
					}
				}
				return nil
			})
		},
	}
}

func newRemoteRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove"},
		Short:   "Remove an endpoint and forget its API key",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRemotes(func(m *remote.Manager) error {
				if err := m.Remove(args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Removed %s.\n", args[0])
				return nil
			})
		},
	}
}

func newRemoteFindCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "find",
		Short: "List the other Perch apps on this network (Bonjour, those with LAN access on)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			found, err := remote.Discover(cmd.Context(), 2*time.Second)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if len(found) == 0 {
				fmt.Fprintln(w, "No other Perch with LAN access on answered.")
				return nil
			}
			for _, f := range found {
				fmt.Fprintf(w, "%s\t%s\t(perch remote add %s %s --api-key KEY)\n", f.Name, f.URL, f.Suggested, f.URL)
			}
			return nil
		},
	}
}
