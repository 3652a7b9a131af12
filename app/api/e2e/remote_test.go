package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/remote"
	"github.com/perchapp/perch/app/remote/remotetest"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
)

// newEngine starts an engine over a store of the given models directories (none: empty).
// Its 2048-token context holds a forced tool call's ~460-token tool prompt and the call: with
// 512, the grammar-forced arguments ran into the end of the context now and then.
func newEngine(t *testing.T, log *slog.Logger, dirs ...string) (*engine.Engine, *library.Store) {
	t.Helper()
	return realEngine(t, engine.Config{ContextLength: 2048, Log: log}, dirs...)
}

func pick(cases []compat.Case, names ...string) []compat.Case {
	return slices.DeleteFunc(slices.Clone(cases), func(c compat.Case) bool { return !slices.Contains(names, c.Name) })
}

// TestRemotes puts a second Perch (the real engine on stories260K) and a vLLM-like server
// behind a front Perch whose own engine has no models, so every answer comes from a remote.
func TestRemotes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama.cpp workers")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	models := filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))
	backEng, backStore := newEngine(t, log, models)
	if _, err := backEng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil); err != nil {
		sharedtest.Skipf(t, "the engine cannot load stories260K here (llama.cpp libraries missing?): %v", err)
	}
	back := serveOn(t, api.New(api.Config{APIKey: "back-key", Logger: log}, api.Deps{Engine: backEng, Library: storeadapter.New(backStore)}))
	vllm := remotetest.NewVLLM("sk-vllm")
	t.Cleanup(vllm.Close)

	frontEng, frontStore := newEngine(t, log)
	dir := t.TempDir()
	rm, err := remote.Open(filepath.Join(dir, "remotes.json"), &remote.FileKeys{Path: filepath.Join(dir, "keys.json")},
		remote.Options{Log: log, ConnectTimeout: time.Second, ProbeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	settings, err := config.Open(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	chatStore, err := chats.Open(context.Background(), filepath.Join(dir, "chats.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chatStore.Close() })
	front := serveOn(t, api.New(api.Config{APIKey: "front-key", Logger: log},
		api.Deps{Engine: frontEng, Library: storeadapter.New(frontStore), Remotes: rm, Chats: chatStore, Settings: settings}))
	tg := compat.Target{BaseURL: front, Model: "back/stories260k", EmbedModel: "back/stories260k", APIKey: "front-key", Story: stories260KGreedy}

	addRemote(t, tg, `{"name":"back","url":"`+back+`","api_key":"back-key"}`, "ollama")
	addRemote(t, tg, `{"name":"gpu","url":"`+vllm.URL+`/v1","api_key":"sk-vllm"}`, "openai")

	t.Run("perch behind perch: openai", func(t *testing.T) {
		compat.Run(t, tg, pick(compat.OpenAI(), "models", "chat", "chat stream", "chat max_tokens and stop", "chat n and logprobs",
			"chat forced tool call", "chat json_schema", "completions", "embeddings", "errors", "auth"))
	})
	t.Run("perch behind perch: ollama", func(t *testing.T) {
		compat.Run(t, tg, pick(compat.Ollama(), "generate", "chat format and tools", "embed", "errors"))
		// Ollama's own chat case also wants the model in /api/ps, where remote models are not.
		code, out := send(t, tg, "POST", "/api/chat", `{"model":"back/stories260k","messages":[{"role":"user","content":"Once upon a time"}],"options":{"temperature":0,"num_predict":8}}`)
		if code != 200 || !strings.Contains(out, `"model":"back/stories260k"`) || !strings.Contains(out, `"done":true`) {
			t.Fatalf("/api/chat: %d %s", code, out)
		}
	})
	t.Run("show asks the remote", func(t *testing.T) {
		// Before, /api/show answered from the listing alone: no model_info, template or
		// parameters for a model on another machine.
		for _, body := range []string{`{"model":"back/stories260k"}`, `{"name":"back/stories260k"}`} {
			code, out := send(t, tg, "POST", "/api/show", body)
			if code != 200 || !strings.Contains(out, `"general.architecture":"llama"`) || !strings.Contains(out, `"model_info"`) {
				t.Errorf("/api/show %s: %d %.300s", body, code, out)
			}
		}
		// An OpenAI-only remote has no /api/show: what its listing says is shown.
		if code, out := send(t, tg, "POST", "/api/show", `{"model":"gpu/`+remotetest.Chat+`"}`); code != 200 {
			t.Errorf("/api/show of an OpenAI-only remote's model: %d %.300s", code, out)
		}
	})
	t.Run("lists say where models run", func(t *testing.T) { listsSayWhere(t, tg) })
	t.Run("vllm: openai routes pass through", func(t *testing.T) { vllmOpenAI(t, tg, vllm) })
	t.Run("vllm: ollama routes are converted", func(t *testing.T) { vllmOllama(t, tg) })
	t.Run("ui chat records the machine", func(t *testing.T) { uiChat(t, tg) })
	t.Run("remote killed mid-stream", func(t *testing.T) { killedMidStream(t, tg) })
	t.Run("wrong key", func(t *testing.T) { wrongKey(t, tg, vllm) })
	t.Run("not a default model", func(t *testing.T) {
		if code, body := send(t, tg, "POST", "/perch/models/default", `{"name":"back/stories260k"}`); code != 400 || !strings.Contains(body, "cannot be the default") {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("unreachable fails fast", func(t *testing.T) { unreachable(t, tg, rm) })
	t.Run("another Perch found by Bonjour", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := remote.Advertise(ctx, 47124, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
			t.Skipf("multicast DNS is not available here: %v", err)
		}
		code, out := send(t, tg, "GET", "/perch/remotes/discover", "")
		if code != 200 || !strings.Contains(out, `"url":"http://127.0.0.1:47124"`) || !strings.Contains(out, `"suggested":"`) {
			t.Fatalf("discover: %d %s", code, out)
		}
	})
}

func addRemote(t *testing.T, tg compat.Target, body, kind string) {
	t.Helper()
	code, out := send(t, tg, "POST", "/perch/remotes", body)
	if code != http.StatusCreated || !strings.Contains(out, `"kind":"`+kind+`"`) {
		t.Fatalf("add remote: %d %s", code, out)
	}
}

func listsSayWhere(t *testing.T, tg compat.Target) {
	_, out := send(t, tg, "GET", "/v1/models", "")
	if !strings.Contains(out, `"id":"gpu/`+remotetest.Chat+`","object":"model","created":0,"owned_by":"gpu"`) || !strings.Contains(out, `"owned_by":"back"`) {
		t.Fatalf("/v1/models: %s", out)
	}
	if _, out = send(t, tg, "GET", "/api/tags", ""); !strings.Contains(out, `"name":"back/stories260k:latest"`) || !strings.Contains(out, `"name":"gpu/`+remotetest.Embed+`:latest"`) {
		t.Fatalf("/api/tags: %s", out)
	}
	type entry struct {
		Name   string `json:"name"`
		Remote *struct {
			Endpoint  string `json:"endpoint"`
			Reachable bool   `json:"reachable"`
			Memory    string `json:"memory"`
		} `json:"remote"`
	}
	var pm struct {
		Models []entry `json:"models"`
	}
	_, out = send(t, tg, "GET", "/perch/models", "")
	json.Unmarshal([]byte(out), &pm)
	i := slices.IndexFunc(pm.Models, func(m entry) bool { return m.Name == "back/stories260k" })
	if i < 0 || pm.Models[i].Remote == nil || pm.Models[i].Remote.Endpoint != "back" || !pm.Models[i].Remote.Reachable ||
		!strings.Contains(pm.Models[i].Remote.Memory, "none of this Mac's memory") {
		t.Fatalf("/perch/models: %s", out)
	}
	if code, out := send(t, tg, "GET", "/perch/remotes", ""); code != 200 || !strings.Contains(out, `"name":"gpu"`) || strings.Contains(out, "sk-vllm") {
		t.Fatalf("/perch/remotes: %d %s", code, out)
	}
}

func oa(t *testing.T, tg compat.Target) openai.Client {
	return openai.NewClient(option.WithBaseURL(tg.BaseURL+"/v1/"), option.WithAPIKey(tg.APIKey), option.WithMaxRetries(0),
		option.WithHTTPClient(compat.HTTPClient(t, tg)))
}

var weatherTool = openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_weather",
	Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}})

// vllmOpenAI: the OpenAI SDK reaches the vLLM-like server through Perch, text, tools and
// usage as vLLM sent them, the model under its Perch name.
func vllmOpenAI(t *testing.T, tg compat.Target, v *remotetest.VLLM) {
	c := oa(t, tg)
	model := "gpu/" + remotetest.Chat
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")}
	res, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: model, Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model != model || res.Choices[0].Message.Content != remotetest.Answer || res.Usage.TotalTokens != 18 {
		t.Fatalf("chat: %+v", res)
	}
	if got := v.Requests["/v1/chat/completions"]; got[len(got)-1]["model"] != remotetest.Chat {
		t.Fatalf("the remote got model %v", got[len(got)-1]["model"])
	}
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{Model: model, Messages: msgs,
		Tools: []openai.ChatCompletionToolUnionParam{weatherTool}, StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if m := stream.Current().Model; m != model {
			t.Fatalf("chunk model %q", m)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	call := acc.Choices[0].Message.ToolCalls
	if len(call) != 1 || call[0].Function.Name != "get_weather" || call[0].Function.Arguments != `{"city": "Seoul"}` ||
		acc.Choices[0].FinishReason != "tool_calls" || acc.Usage.TotalTokens != 18 {
		t.Fatalf("streamed tool call: %+v usage %+v", acc.Choices, acc.Usage)
	}
	emb, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{Model: "gpu/" + remotetest.Embed,
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"ab", "abcd"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || emb.Data[1].Embedding[0] != 4 || emb.Model != "gpu/"+remotetest.Embed {
		t.Fatalf("embeddings: %+v", emb)
	}
	_, err = c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "gpu/no-such-model", Messages: msgs})
	var ae *openai.Error
	if !errors.As(err, &ae) || ae.StatusCode != 404 || !strings.Contains(ae.Message, `remote endpoint "gpu"`) || !strings.Contains(ae.Message, "does not exist") {
		t.Fatalf("unknown model on the remote: %v", err)
	}
	comp, err := c.Completions.New(context.Background(), openai.CompletionNewParams{Model: openai.CompletionNewParamsModel(model),
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")}})
	if err != nil || comp.Choices[0].Text != " there was a GPU." {
		t.Fatalf("completions: %+v %v", comp, err)
	}
}

// vllmOllama: Ollama's routes reach an OpenAI-only server through the converters.
func vllmOllama(t *testing.T, tg compat.Target) {
	model := "gpu/" + remotetest.Chat
	code, out := send(t, tg, "POST", "/api/chat", `{"model":"`+model+`","messages":[{"role":"user","content":"hi"}],"stream":false}`)
	if code != 200 || !strings.Contains(out, `"content":"`+remotetest.Answer+`"`) || !strings.Contains(out, `"model":"`+model+`"`) || !strings.Contains(out, `"done":true`) {
		t.Fatalf("/api/chat: %d %s", code, out)
	}
	code, out = send(t, tg, "POST", "/api/chat", `{"model":"`+model+`","messages":[{"role":"user","content":"weather?"}],
		"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`)
	if code != 200 || !strings.Contains(out, `"name":"get_weather","arguments":{"city":"Seoul"}`) {
		t.Fatalf("/api/chat tools (stream): %d %s", code, out)
	}
	code, out = send(t, tg, "POST", "/api/generate", `{"model":"`+model+`","prompt":"hi","stream":false}`)
	if code != 200 || !strings.Contains(out, `"response":"`+remotetest.Answer+`"`) {
		t.Fatalf("/api/generate: %d %s", code, out)
	}
	code, out = send(t, tg, "POST", "/api/embed", `{"model":"gpu/`+remotetest.Embed+`","input":["abc"]}`)
	if code != 200 || !strings.Contains(out, `"embeddings":[[0.5`) {
		t.Fatalf("/api/embed: %d %s", code, out)
	}
}

// uiChat: a chat in the UI with a remote model answers and records the model that answered,
// whose name says the machine.
func uiChat(t *testing.T, tg compat.Target) {
	code, out := send(t, tg, "POST", "/perch/chats", `{"model":"back/stories260k","title":"remote"}`)
	var c struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal([]byte(out), &c); code != 201 && code != 200 || c.ID == 0 {
		t.Fatalf("create chat: %d %s", code, out)
	}
	code, out = send(t, tg, "POST", "/perch/chats/"+itoa(c.ID)+"/messages", `{"content":"Once upon a time"}`)
	if code != 200 || !strings.Contains(out, `"type":"done"`) {
		t.Fatalf("send: %d %s", code, out)
	}
	code, out = send(t, tg, "GET", "/perch/chats/"+itoa(c.ID), "")
	if code != 200 || !strings.Contains(out, `"role":"assistant"`) || !strings.Contains(out, `"model":"back/stories260k"`) {
		t.Fatalf("chat: %d %s", code, out)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// killedMidStream: the remote drops the connection after a word; each client gets an error
// naming the endpoint instead of a silently short answer.
func killedMidStream(t *testing.T, tg compat.Target) {
	model := "gpu/" + remotetest.Crash
	c := oa(t, tg)
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{Model: model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), `remote endpoint \"gpu\"`) || !strings.Contains(err.Error(), "broke off") || n == 0 {
		t.Fatalf("openai stream: %d chunks, err %v", n, err)
	}
	// Ollama's route converts the stream; the break ends it with an error line.
	req, _ := http.NewRequest("POST", tg.BaseURL+"/api/chat", strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var last string
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
		last = sc.Text()
	}
	if !strings.Contains(last, `"error"`) || !strings.Contains(last, `broke off the answer`) {
		t.Fatalf("ollama stream ended with %q", last)
	}
	// A whole answer cut short is a 502, not half a JSON document.
	code, out := send(t, tg, "POST", "/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`)
	if code != 502 || !strings.Contains(out, "broke off the answer") {
		t.Fatalf("non-streamed: %d %s", code, out)
	}
}

// wrongKey: a key the remote refuses gives a 401 naming the endpoint.
func wrongKey(t *testing.T, tg compat.Target, v *remotetest.VLLM) {
	v.SetKey("sk-rotated")
	defer v.SetKey("sk-vllm")
	code, out := send(t, tg, "POST", "/v1/chat/completions", `{"model":"gpu/`+remotetest.Chat+`","messages":[{"role":"user","content":"hi"}]}`)
	if code != 401 || !strings.Contains(out, `remote endpoint \"gpu\"`) || !strings.Contains(out, "refused the API key") {
		t.Fatalf("openai: %d %s", code, out)
	}
	code, out = send(t, tg, "POST", "/api/chat", `{"model":"gpu/`+remotetest.Chat+`","messages":[{"role":"user","content":"hi"}]}`)
	if code != 401 || !strings.Contains(out, `remote endpoint \"gpu\"`) {
		t.Fatalf("ollama: %d %s", code, out)
	}
}

// unreachable: a remote that went away fails fast with a clear error, and shows as down.
func unreachable(t *testing.T, tg compat.Target, rm *remote.Manager) {
	v := remotetest.NewVLLM("")
	addRemote(t, tg, `{"name":"gone","url":"`+v.URL+`"}`, "openai")
	v.Close()
	start := time.Now()
	code, out := send(t, tg, "POST", "/v1/chat/completions", `{"model":"gone/`+remotetest.Chat+`","messages":[{"role":"user","content":"hi"}]}`)
	if code != 502 || !strings.Contains(out, `remote endpoint \"gone\"`) || !strings.Contains(out, "not reachable") || time.Since(start) > 3*time.Second {
		t.Fatalf("%d %s after %v", code, out, time.Since(start))
	}
	if h := rm.Health("gone"); h.Reachable {
		t.Fatalf("health %+v", h)
	}
	if code, _ := send(t, tg, "DELETE", "/perch/remotes/gone", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := send(t, tg, "DELETE", "/perch/remotes/gone", ""); code != 404 {
		t.Fatalf("delete again: %d", code)
	}
}
