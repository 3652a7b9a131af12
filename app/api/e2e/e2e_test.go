// Package e2e runs the real-client conformance cases against the whole stack: the API
// server, the real engine (workers running llama.cpp) and a model store serving
// shared/models, as `perch serve --models-dir` does. It skips where the shared models or
// the llama.cpp libraries are missing.
package e2e_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
)

// TestMain lets this test binary act as the engine's worker.
func TestMain(m *testing.M) { enginetest.Main(m) }

// stories260KGreedy is the model's greedy continuation of "Once upon a time" (16 tokens), from
// shared/yardsticks/stories260K-reference.json.
const stories260KGreedy = "Once upon a time, there was a little girl named Lily. She loved to play"

// realEngine opens a library over dirs and the real engine over it, its workers this test
// binary, with cfg's other settings (one thread unless cfg says).
func realEngine(t *testing.T, cfg engine.Config, dirs ...string) (*engine.Engine, *library.Store) {
	t.Helper()
	store, err := library.Open(t.TempDir(), library.WithDirs(dirs...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Resolver, cfg.Command, cfg.RuntimeDir = store, []string{os.Args[0], "engine"}, t.TempDir()
	cfg.Threads = cmp.Or(cfg.Threads, 1)
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng, store
}

// serveOn serves srv on a loopback port until the test ends and returns its URL.
func serveOn(t *testing.T, srv *api.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

func TestRealStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama.cpp workers")
	}
	models := filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))
	store, err := library.Open(t.TempDir(), library.WithDirs(models))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var srv *api.Server
	resolver := &countingResolver{Store: store}
	eng, err := engine.New(engine.Config{
		Resolver: resolver, Command: []string{os.Args[0], "engine"}, RuntimeDir: t.TempDir(), Threads: 1, ContextLength: 512, Log: log,
		OnWorkerExit: func(model string, _ error) { srv.ObserveWorkerRestart(model) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	if _, err := eng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil); err != nil {
		sharedtest.Skipf(t, "the engine cannot load stories260K here (llama.cpp libraries missing?): %v", err)
	}
	srv = api.New(api.Config{APIKey: "e2e-key", Version: "0.1.0", Logger: log}, api.Deps{Engine: eng, Library: storeadapter.New(store)})
	base := serveOn(t, srv)

	tg := compat.Target{BaseURL: base, Model: "stories260k", EmbedModel: "stories260k", APIKey: "e2e-key", Story: stories260KGreedy}
	t.Run("openai", func(t *testing.T) { compat.Run(t, tg, withoutForcedCalls(compat.OpenAI())) })
	t.Run("ollama", func(t *testing.T) { compat.Run(t, tg, compat.Ollama()) })
	t.Run("responses", func(t *testing.T) { compat.Run(t, tg, withoutForcedCalls(compat.Responses())) })
	t.Run("npm SDKs", func(t *testing.T) { npmSDKs(t, tg) })
	t.Run("disconnect frees the slot", func(t *testing.T) { disconnect(t, tg, eng) })
	t.Run("worker killed mid-stream", func(t *testing.T) { killWorker(t, tg, eng) })
	t.Run("keep_alive 0 loads once", func(t *testing.T) { loadsOnce(t, tg, eng, resolver) })
	t.Run("one runner per model", func(t *testing.T) { oneRunnerPerModel(t, tg, eng) })
	t.Run("a models-directory file is not deleted", func(t *testing.T) { notDeleted(t, tg, eng) })
	t.Run("npm", func(t *testing.T) {
		node, err := exec.LookPath("node")
		dir := filepath.Join("..", "testdata", "npm")
		if _, serr := os.Stat(filepath.Join(dir, "node_modules", "openai")); err != nil || serr != nil {
			t.Skip("node or the npm clients (npm ci in app/api/testdata/npm) are missing")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "clients.mjs", tg.BaseURL, tg.Model, tg.EmbedModel)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PERCH_API_KEY="+tg.APIKey)
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("the npm clients failed: %v", err)
		}
	})
}

// endless asks for a generation that outlasts the test (context shift, a cap far off) and
// returns the response after its first NDJSON line.
func endless(t *testing.T, ctx context.Context, tg compat.Target) (*http.Response, *bufio.Reader) {
	t.Helper()
	body := `{"model":"` + tg.Model + `","prompt":"Once upon a time","raw":true,"options":{"num_predict":10000000,"temperature":0}}`
	req, _ := http.NewRequestWithContext(ctx, "POST", tg.BaseURL+"/api/generate", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, `"response"`) {
		t.Fatalf("first line %q, %v", line, err)
	}
	return resp, br
}

// countingResolver counts the engine's model loads (each resolves the name once).
type countingResolver struct {
	*library.Store
	n atomic.Int32
}

func (c *countingResolver) Resolve(ctx context.Context, name string) (engine.ModelRef, error) {
	c.n.Add(1)
	return c.Store.Resolve(ctx, name)
}

// send sends an authorised JSON request and returns the status and body.
func send(t *testing.T, tg compat.Target, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, tg.BaseURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	c := http.Client{Timeout: time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func loaded(eng *engine.Engine, model string) bool {
	return slices.ContainsFunc(eng.Loaded(), func(st engine.Status) bool { return st.Name == model })
}

// loadsOnce: /api/generate with keep_alive 0 on a model that is not loaded loads it once
// (a look at the model's template must not unload it before the answer).
func loadsOnce(t *testing.T, tg compat.Target, eng *engine.Engine, res *countingResolver) {
	if err := eng.Unload(context.Background(), tg.Model); err != nil {
		t.Fatal(err)
	}
	before := res.n.Load()
	code, body := send(t, tg, "POST", "/api/generate", `{"model":"`+tg.Model+`","prompt":"Once upon a time","keep_alive":0,"stream":false,"options":{"num_predict":4}}`)
	if code != http.StatusOK || !strings.Contains(body, `"response"`) {
		t.Fatalf("generate: %d %s", code, body)
	}
	if n := res.n.Load() - before; n != 1 {
		t.Errorf("the model was loaded %d times for one request", n)
	}
	if loaded(eng, tg.Model) {
		t.Error("the model is still loaded after keep_alive 0")
	}
}

// notDeleted: deleting a models-directory file is refused with a 400, and the model stays
// loaded.
func notDeleted(t *testing.T, tg compat.Target, eng *engine.Engine) {
	if _, err := eng.Load(context.Background(), tg.Model, engine.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	for route, body := range map[string]string{"DELETE /api/delete": `{"model":"` + tg.Model + `"}`, "POST /perch/models/delete": `{"name":"` + tg.Model + `"}`} {
		method, path, _ := strings.Cut(route, " ")
		code, out := send(t, tg, method, path, body)
		if code != http.StatusBadRequest || !strings.Contains(out, "models director") {
			t.Errorf("%s: %d %s, want a 400 about the models directory", route, code, out)
		}
		if !loaded(eng, tg.Model) {
			t.Fatalf("%s unloaded the model it did not delete", route)
		}
	}
}

func busy(eng *engine.Engine, model string) int {
	for _, st := range eng.Loaded() {
		if st.Name == model {
			return st.Busy
		}
	}
	return 0
}

func disconnect(t *testing.T, tg compat.Target, eng *engine.Engine) {
	ctx, cancel := context.WithCancel(context.Background())
	resp, _ := endless(t, ctx, tg)
	if busy(eng, tg.Model) == 0 {
		t.Fatal("no slot is busy during the stream")
	}
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(2 * time.Second)
	for busy(eng, tg.Model) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slot is still busy 2 s after the client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func killWorker(t *testing.T, tg compat.Target, eng *engine.Engine) {
	resp, br := endless(t, context.Background(), tg)
	defer resp.Body.Close()
	var pid int
	for _, st := range eng.Loaded() {
		if st.Name == tg.Model {
			pid = st.PID
		}
	}
	if pid <= 0 {
		t.Fatal("no worker pid")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var last string
	for {
		line, err := br.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			last = line
		}
		if err != nil {
			break
		}
	}
	if !strings.Contains(last, `"error"`) {
		t.Fatalf("the stream ended without an error line; last line %q", last)
	}
	// The next request works: the worker is started again.
	c := http.Client{Timeout: time.Minute}
	req, _ := http.NewRequest("POST", tg.BaseURL+"/api/generate", strings.NewReader(`{"model":"`+tg.Model+`","prompt":"Once upon a time","raw":true,"stream":false,"options":{"num_predict":4}}`))
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("after the crash: status %d", r.StatusCode)
	}
	req, _ = http.NewRequest("GET", tg.BaseURL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	m, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Body.Close()
	body, _ := io.ReadAll(m.Body)
	if !strings.Contains(string(body), `perch_worker_restarts_total{model="`+tg.Model+`"} 1`) {
		t.Fatal("the worker restart is not counted in /metrics")
	}
}

// oneRunnerPerModel: the names of one model reach one worker (/api/ps shows one row),
// num_ctx is capped at the training context, and a later request without num_ctx runs at the
// default context again.
func oneRunnerPerModel(t *testing.T, tg compat.Target, eng *engine.Engine) {
	for _, m := range eng.Resident() {
		eng.Unload(context.Background(), m.Name)
	}
	type ps struct {
		Models []struct {
			Name          string `json:"name"`
			ContextLength int    `json:"context_length"`
		} `json:"models"`
	}
	psNow := func() ps {
		t.Helper()
		code, body := send(t, tg, "GET", "/api/ps", "")
		var p ps
		if code != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("/api/ps: %d %s", code, body)
		}
		return p
	}
	generate := func(model, options string) {
		t.Helper()
		code, body := send(t, tg, "POST", "/api/generate", `{"model":"`+model+`","prompt":"Once","stream":false,"options":{"num_predict":2`+options+`}}`)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", model, code, body)
		}
	}
	for _, name := range []string{"stories260k", "Stories260K", "stories260k:latest"} {
		generate(name, "")
	}
	if p := psNow(); len(p.Models) != 1 {
		t.Errorf("/api/ps after three names of one model: %+v", p.Models)
	}
	generate("stories260k", `,"num_ctx":1000000`)
	if p := psNow(); len(p.Models) != 1 || p.Models[0].ContextLength > 2048 {
		t.Errorf("num_ctx 1000000 on a model trained on 2048: %+v", p.Models)
	}
	eng.Unload(context.Background(), "stories260k")
	generate("stories260k", `,"num_ctx":256`)
	if p := psNow(); len(p.Models) != 1 || p.Models[0].ContextLength != 256 {
		t.Errorf("num_ctx 256: %+v", p.Models)
	}
	generate("Stories260K", "")
	if p := psNow(); len(p.Models) != 1 || p.Models[0].ContextLength != 512 {
		t.Errorf("a request without num_ctx after num_ctx 256: %+v, want the default 512", p.Models)
	}
	// A context below 256 is a 400 naming the field, and loads nothing.
	eng.Unload(context.Background(), "stories260k")
	code, body := send(t, tg, "POST", "/api/generate", `{"model":"stories260k","prompt":"Once","stream":false,"options":{"num_ctx":100}}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "num_ctx") {
		t.Errorf("num_ctx 100: %d %s", code, body)
	}
	if p := psNow(); len(p.Models) != 0 {
		t.Errorf("bad options loaded %+v", p.Models)
	}
}

// npmSDKs runs testdata/npm/sdks.mjs on the real stack, where its Zod schemas go through a real
// grammar. The forced tool calls' prompt is larger than this stack's 512-token context; they
// run in TestRealStackClients. The AI SDK's Ollama provider sends maxOutputTokens as a
// top-level max_output_tokens, which Ollama ignores (only options.num_predict caps an answer),
// so its answers run to the end of this small context, as they would on Ollama.
func npmSDKs(t *testing.T, tg compat.Target) {
	runSDKs(t, tg, "PERCH_SKIP=forced tool call", "PERCH_SKIP_WHY=the tool prompt does not fit a 512-token context; TestRealStackClients runs it with 2048")
}

// withoutForcedCalls leaves out the cases whose tool prompt (~460 tokens) leaves too little of
// this stack's 512-token context for the call; TestRealStackClients runs them at 2048.
func withoutForcedCalls(cases []compat.Case) []compat.Case {
	return slices.DeleteFunc(cases, forcedCall)
}

// forcedCall says whether a case forces a tool call.
func forcedCall(c compat.Case) bool {
	return strings.Contains(c.Name, "function call") || strings.Contains(c.Name, "forced tool call")
}
