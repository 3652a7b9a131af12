package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/engine/format"
)

func newPullCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Download a model from Hugging Face or the Ollama registry, or add a local file",
		Long: `Download a model into the library.

REF is one of:
  hf.co/ORG/REPO[:QUANT]     a GGUF repository on Hugging Face (QUANT such as Q4_K_M, q8_0,
                             IQ4_XS, F16; without it the recommended one, Q4_K_M when present)
  https://huggingface.co/…   the same as a URL, or the URL of one .gguf file in a repository
  NAME[:TAG], NS/NAME:TAG    a model in the Ollama registry (llama3.2:3b)
  HOST/NS/NAME:TAG           a model in another registry
  https://…/FILE.gguf        a GGUF file on the web
  PATH.gguf                  a GGUF file on this computer (linked or copied into the library)

A stopped pull (Ctrl-C, a dropped connection) resumes where it was when run again.
HF_TOKEN gives access to gated repositories; HF_ENDPOINT points at a mirror.`,
		Example: "  perch pull hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M\n  perch pull llama3.2:3b\n  perch pull ~/Downloads/model.gguf --name mymodel",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			s, err := openStore(nil)
			if err != nil {
				return err
			}
			var opts []library.PullOption
			if name != "" {
				opts = append(opts, library.WithName(name))
			}
			out := cmd.OutOrStdout()
			tty := false
			if f, ok := out.(*os.File); ok {
				tty = isTerminal(f)
			}
			p := &pullPrinter{w: out, tty: tty}
			m, err := s.Pull(ctx, args[0], p.update, opts...)
			p.finish()
			if err != nil {
				if errors.Is(err, ctx.Err()) && cmd.Context().Err() == nil {
					return ExitError{Code: 130, Err: fmt.Errorf("pull of %s stopped; what was downloaded is kept: run the same command to resume", args[0])}
				}
				return err
			}
			fmt.Fprintf(out, "%s is ready: %s, %s %s, %s\n", m.Name, orDash(m.Architecture), format.Params(m.ParameterCount), orDash(m.Quantization), format.Size(m.Size))
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "store the model under this name")
	return cmd
}

// pullPrinter shows a pull: a progress bar per file on a terminal, plain lines otherwise
// (one per step, and one every few seconds while a file downloads).
type pullPrinter struct {
	w   io.Writer
	tty bool

	mu        sync.Mutex
	bar       *progressbar.ProgressBar
	barStatus string
	status    string
	lastLine  time.Time
}

const plainEvery = 2 * time.Second

func (p *pullPrinter) update(pr library.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	downloading := pr.Total > 0 && strings.HasPrefix(pr.Status, "pulling ")
	if p.tty && downloading {
		if p.bar == nil || p.barStatus != pr.Status {
			p.finishBar()
			p.bar = progressbar.NewOptions64(pr.Total,
				progressbar.OptionSetDescription(pr.Status),
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowTotalBytes(true),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionFullWidth(),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
			)
			p.barStatus = pr.Status
		}
		_ = p.bar.Set64(pr.Completed)
		p.status = pr.Status
		return
	}
	changed := pr.Status != p.status
	p.status = pr.Status
	if p.tty {
		if changed {
			p.finishBar()
			fmt.Fprintln(p.w, pr.Status)
		}
		return
	}
	if !changed && !(downloading && time.Since(p.lastLine) >= plainEvery) {
		return
	}
	p.lastLine = time.Now()
	if !downloading {
		fmt.Fprintln(p.w, pr.Status)
		return
	}
	line := fmt.Sprintf("%s: %s of %s (%d%%)", pr.Status, format.Size(pr.Completed), format.Size(pr.Total), pr.Completed*100/pr.Total)
	if pr.BytesPerSecond > 0 {
		line += fmt.Sprintf(", %s/s", format.Size(pr.BytesPerSecond))
	}
	if pr.ETA > 0 {
		line += ", " + pr.ETA.String() + " left"
	}
	fmt.Fprintln(p.w, line)
}

func (p *pullPrinter) finishBar() {
	if p.bar != nil {
		if !p.bar.IsFinished() {
			_ = p.bar.Exit()
			fmt.Fprintln(p.w)
		}
		p.bar = nil
	}
}

func (p *pullPrinter) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishBar()
}
