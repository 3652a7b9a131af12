package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/engine/format"
)

// loadedOnServer reports which models the running server has loaded, by name, from its
// /api/ps; nil when no server answers (perch list then leaves the IN USE column empty).
func loadedOnServer(ctx context.Context) map[string]bool {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	var out struct {
		Models []psModel `json:"models"`
	}
	if err := getJSON(ctx, "http://"+serverAddress()+"/api/ps", &out); err != nil {
		return nil
	}
	in := map[string]bool{}
	for _, m := range out.Models {
		in[m.Name] = true
	}
	return in
}

// psModel is what the server's /api/ps reports of a loaded model (Ollama's shape).
type psModel struct {
	Name          string    `json:"name"`
	Size          int64     `json:"size"`
	SizeVRAM      int64     `json:"size_vram"`
	ExpiresAt     time.Time `json:"expires_at"`
	ContextLength int       `json:"context_length"`
	Details       struct {
		QuantizationLevel string `json:"quantization_level"`
	} `json:"details"`
}

func newPsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the models the running Perch has loaded",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			addr := serverAddress()
			var out struct {
				Models []psModel `json:"models"`
			}
			if err := getJSON(cmd.Context(), "http://"+addr+"/api/ps", &out); err != nil {
				return fmt.Errorf("could not reach Perch at %s (%v); start it with perch serve or the app", addr, err)
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(out.Models)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tQUANT\tSIZE\tCONTEXT\tUNTIL")
			for _, m := range out.Models {
				until := "forever"
				if !m.ExpiresAt.IsZero() && m.ExpiresAt.Year() < 2200 {
					until = humanUntil(time.Until(m.ExpiresAt))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", m.Name, m.Details.QuantizationLevel, format.Memory(m.Size), m.ContextLength, until)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func humanUntil(d time.Duration) string {
	switch {
	case d <= 0:
		return "now"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds from now", int(d.Seconds()))
	default:
		return fmt.Sprintf("%d minutes from now", int(d.Minutes()+0.5))
	}
}

// getJSON fetches a JSON document from the local server, sending the API key when one is set.
func getJSON(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if k := os.Getenv("PERCH_API_KEY"); k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
