package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/perchapp/perch/app/chats/answer"
	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/format"
)

type runFlags struct {
	temperature float32
	topP        float32
	topK        int
	seed        int64
	numPredict  int
	ctx         int
	draftModel  string
	system      string
	verbose     bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run MODEL [PROMPT]",
		Short: "Chat with a model in the terminal, or answer one prompt",
		Long: "run loads MODEL (a library name or a path to a .gguf file). With a PROMPT it prints the answer and exits; " +
			"without one it starts a chat: /bye leaves, /clear forgets the conversation, Ctrl-C stops the current answer.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			be, err := chooseBackend(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			defer be.Close()
			r := &chatSession{be: be, model: args[0], flags: f, out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr()}
			if f.system != "" {
				r.history = append(r.history, chat.Message{Role: "system", Content: f.system})
			}
			if len(args) == 2 {
				return r.once(cmd.Context(), args[1])
			}
			if !isTerminal(os.Stdin) {
				// Piped input is one prompt, as ollama does.
				b, err := io.ReadAll(os.Stdin)
				if err != nil {
					return err
				}
				return r.once(cmd.Context(), strings.TrimSpace(string(b)))
			}
			return r.interactive(cmd.Context(), os.Stdin)
		},
	}
	fl := cmd.Flags()
	fl.Float32Var(&f.temperature, "temperature", 0.8, "sampling temperature (0 is greedy and deterministic)")
	fl.Float32Var(&f.topP, "top-p", 0.9, "nucleus sampling: keep the tokens making up this probability")
	fl.IntVar(&f.topK, "top-k", 40, "keep only the K most likely tokens (0: all)")
	fl.Int64Var(&f.seed, "seed", -1, "random seed (-1: random)")
	fl.IntVarP(&f.numPredict, "num-predict", "n", 0, "most tokens to generate (0: until the model stops or the context is full)")
	fl.IntVar(&f.ctx, "ctx", 0, "context length in tokens (0: the largest that fits, up to the model's)")
	fl.StringVar(&f.draftModel, "draft-model", "", "a smaller model of the same tokenizer that drafts tokens for speculative decoding (default: the model's draft_models setting; none: no draft model)")
	fl.StringVar(&f.system, "system", "", "system prompt")
	fl.BoolVar(&f.verbose, "verbose", false, "print token counts, speed and memory after each answer")
	return cmd
}

// chatBackend answers the terminal's chat: the engine in this process, or a running Perch.
type chatBackend interface {
	// Load loads the model; hasTemplate says whether it has a chat template of its own.
	Load(ctx context.Context, model string, opts engine.LoadOptions) (note string, hasTemplate bool, err error)
	Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error)
	// Complete continues a raw prompt, streaming text to fn.
	Complete(ctx context.Context, req engine.CompletionRequest, fn func(string)) (*engine.CompletionResult, error)
	// Memory reports what the model uses, when known.
	Memory(model string) (engine.MemoryUsage, bool)
	Close()
}

// chooseBackend talks to the Perch already running (the app or perch serve), so a model is
// loaded once, not once per terminal; without one, or for a .gguf path (the server serves
// only library names), it runs the engine here.
func chooseBackend(ctx context.Context, model string) (chatBackend, error) {
	if !looksLikePath(model) {
		addr := serverAddress()
		if pingServer(ctx, addr) != nil {
			// The server holding the data folder may listen elsewhere (--host): it says where.
			if _, held := config.DefaultPaths().Holder(); held != "" {
				addr = strings.Replace(held, "0.0.0.0:", "127.0.0.1:", 1)
			}
		}
		if pingServer(ctx, addr) == nil {
			return &remoteBackend{base: "http://" + addr}, nil
		}
	}
	eng, err := runEngine()
	if err != nil {
		return nil, err
	}
	return localBackend{eng}, nil
}

// localBackend is the engine in this process.
type localBackend struct{ *engine.Engine }

func (l localBackend) Load(ctx context.Context, model string, opts engine.LoadOptions) (string, bool, error) {
	st, err := l.Engine.Load(ctx, model, opts, nil)
	if err != nil {
		return "", false, err
	}
	return st.PlanNote, st.Info.ChatTemplate != "", nil
}

func (l localBackend) Complete(ctx context.Context, req engine.CompletionRequest, fn func(string)) (*engine.CompletionResult, error) {
	return l.Engine.Complete(ctx, req, func(ev engine.Event) error {
		fn(ev.Text)
		return nil
	})
}

func (l localBackend) Memory(model string) (engine.MemoryUsage, bool) {
	for _, s := range l.Loaded() {
		if s.Name == model {
			return s.Memory, true
		}
	}
	return engine.MemoryUsage{}, false
}

func runEngine() (*engine.Engine, error) {
	paths := config.DefaultPaths()
	st, err := config.Open(paths.SettingsFile())
	if err != nil {
		return nil, err
	}
	s := st.Get()
	s.Slots = 1 // one conversation
	level := slog.LevelWarn
	if os.Getenv("PERCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	sampler := system.NewSampler()
	planner, err := newPlanner(sampler, 1, "")
	if err != nil {
		return nil, err
	}
	eng, err := newEngine(engineOptions{paths: paths, settings: s, log: log, resolver: libraryResolver(), planner: planner})
	if err != nil {
		return nil, err
	}
	sampler.Device = deviceMemory(eng)
	return eng, nil
}

// chatSession is a conversation in the terminal.
type chatSession struct {
	be      chatBackend
	model   string
	flags   runFlags
	history []chat.Message
	out     io.Writer
	errOut  io.Writer
}

func (r *chatSession) request() engine.ChatRequest {
	f := r.flags
	return engine.ChatRequest{
		Model:    r.model,
		Messages: r.history,
		// A terminal chat runs on; the oldest turns give way when the context fills.
		RequestOptions: engine.RequestOptions{
			Sampling:  engine.Sampling{Temperature: f.temperature, TopP: f.topP, TopK: f.topK, Seed: f.seed, RepeatPenalty: 1.1, RepeatLastN: 64},
			MaxTokens: f.numPredict, ContextShift: true, SaveState: true,
			Load: engine.LoadOptions{ContextLength: f.ctx, Slots: 1, DraftModel: f.draftModel},
		},
	}
}

// ask sends the conversation plus the user's message and streams the answer. A conversation
// grown past the context loses its oldest turns (the system prompt and the question stay), as
// the UI's chats do (app/chats/answer), and stays trimmed for the next turn.
func (r *chatSession) ask(ctx context.Context, text string) error {
	r.history = append(r.history, chat.Message{Role: "user", Content: text})
	w := answer.Stream(ctx, r.be, r.request(), &terminalSink{out: r.out, errOut: r.errOut}, time.Now)
	fmt.Fprintln(r.out)
	if w.Dropped > 0 {
		r.history = w.Req.Messages
	}
	if w.Err != nil {
		r.history = r.history[:len(r.history)-1]
		return w.Err
	}
	res := w.Result
	r.history = append(r.history, res.Message)
	for _, tc := range res.Message.ToolCalls {
		fmt.Fprintf(r.out, "[tool call] %s(%s)\n", tc.Function.Name, tc.Function.Arguments)
	}
	if r.flags.verbose {
		r.printStats(res)
	}
	return nil
}

// terminalSink prints an answer as it comes, its thinking set apart.
type terminalSink struct {
	out, errOut io.Writer
	inThink     bool
}

func (s *terminalSink) Reasoning(text string) error {
	if !s.inThink {
		fmt.Fprint(s.out, "Thinking…\n")
		s.inThink = true
	}
	fmt.Fprint(s.out, text)
	return nil
}

func (s *terminalSink) Content(text string) error {
	if s.inThink {
		fmt.Fprint(s.out, "\n…done thinking.\n\n")
		s.inThink = false
	}
	fmt.Fprint(s.out, text)
	return nil
}

func (s *terminalSink) Trimmed(dropped int) error {
	fmt.Fprintf(s.errOut, "(the %d oldest messages were left out to fit the context)\n", dropped)
	return nil
}

func (r *chatSession) printStats(res *engine.ChatResult) {
	u, t := res.Usage, res.Timings
	fmt.Fprintf(r.errOut, "prompt tokens:   %d (%d cached)\n", u.PromptTokens, u.CachedTokens)
	fmt.Fprintf(r.errOut, "generated:       %d tokens, %.1f tokens/s\n", u.CompletionTokens, t.PredictPerS)
	fmt.Fprintf(r.errOut, "first token:     %.0f ms (prefill %.1f tokens/s)\n", t.FirstTokenM, t.PromptPerS)
	if t.LoadMs > 1 {
		fmt.Fprintf(r.errOut, "load:            %.0f ms\n", t.LoadMs)
	}
	if t.DraftTokens > 0 {
		fmt.Fprintf(r.errOut, "drafts:          %d of %d accepted (%.0f%%, %s)\n", t.DraftAccepted, t.DraftTokens, 100*float64(t.DraftAccepted)/float64(t.DraftTokens), t.DraftSource)
	}
	if m, ok := r.be.Memory(r.model); ok {
		fmt.Fprintf(r.errOut, "memory:          weights %s, KV %s (%d of %d cells used), compute %s; worker resident %s\n",
			format.Memory(m.WeightsBytes), format.Memory(m.KVBytes), m.KVUsedCells, m.KVCells, format.Memory(m.ComputeBytes), format.Memory(m.RSSBytes))
	}
}

// once answers one prompt. A model without a chat template (a base model) continues the prompt
// as it is, as ollama's {{ .Prompt }} template does; a chat model answers it as a message.
func (r *chatSession) once(ctx context.Context, prompt string) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if prompt == "" {
		return errors.New("the prompt is empty")
	}
	_, hasTemplate, err := r.be.Load(ctx, r.model, r.request().Load)
	if err != nil {
		return err
	}
	if hasTemplate || r.flags.system != "" {
		return r.ask(ctx, prompt)
	}
	req := r.request()
	res, err := r.be.Complete(ctx, engine.CompletionRequest{Model: r.model, Prompt: prompt,
		RequestOptions: engine.RequestOptions{
			MaxTokens: req.MaxTokens, Sampling: req.Sampling, ContextShift: true, Load: req.Load,
		},
	}, func(text string) { fmt.Fprint(r.out, text) })
	fmt.Fprintln(r.out)
	if err != nil {
		return err
	}
	if r.flags.verbose {
		r.printStats(&engine.ChatResult{Usage: res.Usage, Timings: res.Timings})
	}
	return nil
}

// interactive reads messages until /bye or end of input. Ctrl-C stops the answer being
// generated, not the program.
func (r *chatSession) interactive(ctx context.Context, in io.Reader) error {
	// Load first, so the wait happens before the first prompt.
	fmt.Fprintf(r.errOut, "Loading %s…\n", r.model)
	note, _, err := r.be.Load(ctx, r.model, r.request().Load)
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(r.errOut, note)
	}
	fmt.Fprintln(r.errOut, "Send a message (/? for help, /bye to leave).")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	var mu sync.Mutex
	var cancelAnswer context.CancelFunc
	go func() {
		for range sigs {
			mu.Lock()
			if cancelAnswer != nil {
				cancelAnswer()
			} else {
				fmt.Fprint(r.errOut, "\n(Use /bye or Ctrl-D to leave.)\n>>> ")
			}
			mu.Unlock()
		}
	}()
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for {
		fmt.Fprint(r.out, ">>> ")
		text, ok := readMessage(lines, r.out)
		if !ok {
			fmt.Fprintln(r.out)
			return nil
		}
		switch strings.TrimSpace(text) {
		case "":
			continue
		case "/bye", "/exit":
			return nil
		case "/clear":
			r.history = r.history[:0]
			if r.flags.system != "" {
				r.history = append(r.history, chat.Message{Role: "system", Content: r.flags.system})
			}
			fmt.Fprintln(r.out, "Cleared the conversation.")
			continue
		case "/?", "/help":
			fmt.Fprintln(r.out, "/bye leaves, /clear forgets the conversation, \"\"\" starts and ends a message of several lines; Ctrl-C stops an answer.")
			continue
		}
		actx, cancel := context.WithCancel(ctx)
		mu.Lock()
		cancelAnswer = cancel
		mu.Unlock()
		start := time.Now()
		err := r.ask(actx, text)
		mu.Lock()
		cancelAnswer = nil
		mu.Unlock()
		cancel()
		switch {
		case errors.Is(err, context.Canceled) && ctx.Err() == nil:
			fmt.Fprintf(r.errOut, "(stopped after %s)\n", time.Since(start).Round(100*time.Millisecond))
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintln(r.errOut, "error:", err)
		}
	}
}

// readMessage reads one message: a line, or the lines between two """ lines.
func readMessage(lines *bufio.Scanner, out io.Writer) (string, bool) {
	if !lines.Scan() {
		return "", false
	}
	first := lines.Text()
	if !strings.HasPrefix(strings.TrimSpace(first), `"""`) {
		return first, true
	}
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(strings.TrimSpace(first), `"""`))
	for {
		fmt.Fprint(out, "... ")
		if !lines.Scan() {
			return b.String(), true
		}
		l := lines.Text()
		if i := strings.Index(l, `"""`); i >= 0 {
			b.WriteString("\n" + l[:i])
			return strings.TrimSpace(b.String()), true
		}
		b.WriteString("\n" + l)
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
