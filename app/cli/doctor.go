package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/worker"
)

// check is one line of the doctor's report.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

func newDoctorCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the engine, its GPU, the data folders and the server",
		Long:  "doctor reports the llama.cpp libraries Perch found and their version, the compute backends llama.cpp loaded (Metal on a Mac), the GPU working-set limit, the data folders, and the server address. It exits non-zero when the engine cannot run.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks, engineOK := doctor(cmd.Context())
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(checks); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, c := range checks {
					mark := "ok"
					if !c.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, c.Name, c.Detail)
				}
				tw.Flush()
			}
			if !engineOK {
				return ExitError{Code: 1, Err: fmt.Errorf("the engine cannot run; see above")}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func doctor(ctx context.Context) ([]check, bool) {
	var checks []check
	add := func(name string, ok bool, format string, args ...any) {
		checks = append(checks, check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	engineOK := false
	dir, err := llama.Locate()
	if err != nil {
		add("engine libraries", false, "%v", err)
	} else {
		build, _ := llama.ReadBuildInfo(dir)
		add("engine libraries", true, "%s (llama.cpp %s)", dir, orUnknown(build.Release))
		probe, err := runProbe(ctx, dir)
		if err != nil {
			add("engine load", false, "%v", err)
		} else {
			engineOK = true
			add("engine load", true, "llama.cpp loaded; backends: %s", strings.Join(probe.Backends, ", "))
			gpu := false
			for _, d := range probe.Devices {
				if d.Type == "gpu" || d.Type == "igpu" {
					gpu = true
					add("GPU "+d.Name, true, "%s; working-set limit %s, %s free", d.Description, format.Memory(int64(d.TotalBytes)), format.Memory(int64(d.FreeBytes)))
				}
			}
			if !gpu {
				add("GPU", true, "none: models run on the CPU (%s)", cpuSummary(probe))
			}
		}
	}
	paths := config.DefaultPaths()
	for _, d := range []struct{ name, dir string }{{"data folder", paths.Data}, {"config folder", paths.Config}, {"runtime folder", paths.Runtime}} {
		if err := writable(d.dir); err != nil {
			add(d.name, false, "%s: %v", d.dir, err)
		} else {
			add(d.name, true, "%s", d.dir)
		}
	}
	addr := serverAddress()
	if err := pingServer(ctx, addr); err != nil {
		add("server", true, "http://%s (not running: start it with perch serve or the app)", addr)
	} else {
		add("server", true, "http://%s answers", addr)
	}
	return checks, engineOK
}

func orUnknown(s string) string {
	if s == "" {
		return "version unknown"
	}
	return s
}

func cpuSummary(p worker.Probe) string {
	for _, d := range p.Devices {
		if d.Type == "cpu" {
			return d.Description
		}
	}
	return "CPU"
}

// runProbe loads llama.cpp in a child process, so a broken library cannot crash the doctor.
func runProbe(ctx context.Context, dir string) (worker.Probe, error) {
	exe, err := os.Executable()
	if err != nil {
		return worker.Probe{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "engine", "--probe")
	cmd.Env = append(os.Environ(), llama.EnvLib+"="+dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return worker.Probe{}, fmt.Errorf("llama.cpp did not load (%v): %s", err, strings.TrimSpace(lastLines(stderr.String(), 3)))
	}
	var p worker.Probe
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		return worker.Probe{}, fmt.Errorf("unreadable probe answer: %w", err)
	}
	return p, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".doctor*")
	if err != nil {
		return fmt.Errorf("not writable: %w", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(filepath.Clean(name))
}

// serverAddress is where the server listens: PERCH_HOST, else the settings, else the default.
func serverAddress() string {
	if h := os.Getenv("PERCH_HOST"); h != "" {
		return strings.TrimPrefix(strings.TrimPrefix(h, "http://"), "https://")
	}
	if st, err := config.Open(config.DefaultPaths().SettingsFile()); err == nil {
		return st.Get().Address
	}
	return config.DefaultAddress
}

func pingServer(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/health", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}
