package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/docs/pdftest"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
	"github.com/perchapp/perch/engine/worker"
)

// TestCollectionsWorkerProcess is the engine's worker for the collections tests: the engine
// starts this test binary with -test.run naming it and the worker's arguments after "--"
// (the helper-process pattern, so the package needs no TestMain). Run alone, it skips.
func TestCollectionsWorkerProcess(t *testing.T) {
	args := flag.Args()
	if len(args) == 0 || args[0] != "engine" {
		t.Skip("the engine's worker for the collections tests; not a test by itself")
	}
	os.Exit(worker.Main(context.Background(), args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// recordingEngine is the real engine, keeping each chat request and the prompt it rendered.
type recordingEngine struct {
	*engine.Engine
	mu       sync.Mutex
	requests []engine.ChatRequest
	prompts  []string
}

func (e *recordingEngine) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	res, err := e.Engine.Chat(ctx, req, fn)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, req)
	if res != nil {
		e.prompts = append(e.prompts, res.Prompt)
	}
	return res, err
}

func (e *recordingEngine) last() (engine.ChatRequest, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) == 0 || len(e.prompts) == 0 {
		return engine.ChatRequest{}, ""
	}
	return e.requests[len(e.requests)-1], e.prompts[len(e.prompts)-1]
}

type collServer struct {
	url string
	eng *recordingEngine
}

// newCollServer serves the real engine, a real collections database and chat history on
// 127.0.0.1.
func newCollServer(t *testing.T) *collServer {
	t.Helper()
	// "synth": a small random-weight llama with Phi-3's vocabulary and chat template
	// (128-dimensional embeddings); "stories": stories260K (64).
	models := enginetest.Files{
		"synth":   synthtest.Model(t, "tiny", "ggml-vocab-phi-3.gguf", "F16"),
		"stories": sharedtest.Model(t, "stories260K.gguf"),
	}
	e, err := engine.New(engine.Config{Resolver: models, RuntimeDir: t.TempDir(), Threads: 2,
		Command: []string{os.Args[0], "-test.run=^TestCollectionsWorkerProcess$", "--", "engine"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	rec := &recordingEngine{Engine: e}
	ctx := context.Background()
	store, err := docs.Open(ctx, filepath.Join(t.TempDir(), "collections.db"), docs.Options{Embedder: rec, Roots: []string{os.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	history, err := chats.Open(ctx, filepath.Join(t.TempDir(), "chats.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { history.Close() })
	srv := api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		api.Deps{Engine: rec, Collections: store, Chats: history})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &collServer{url: "http://" + ln.Addr().String(), eng: rec}
}

// call sends a JSON body (or none) and decodes a JSON answer into out when given.
func (cs *collServer) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, cs.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return cs.send(t, req, out)
}

func (cs *collServer) send(t *testing.T, req *http.Request, out any) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", req.Method, req.URL.Path, err, b)
		}
	}
	return resp.StatusCode
}

// upload sends a file as multipart/form-data.
func (cs *collServer) upload(t *testing.T, path, name string, data []byte, out any) int {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, cs.url+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return cs.send(t, req, out)
}

// events posts a JSON body and reads the SSE events of the answer.
func (cs *collServer) events(t *testing.T, path string, body any) []map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(cs.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
	var out []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		out = append(out, ev)
	}
	return out
}

type apiErr struct {
	Error struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		Param   string `json:"param"`
	} `json:"error"`
}

const guide = "# Perch guide\n\nPerch runs models on your Mac.\n\n## Troubleshooting\n\nError ERR-4821 means the model file failed its checksum. Pull it again.\n"

func TestCollectionsAPI(t *testing.T) {
	cs := newCollServer(t)

	// Create, with bad input refused.
	var c docs.Collection
	if st := cs.call(t, "POST", "/perch/collections", map[string]any{"name": "Manuals", "embedding_model": "synth"}, &c); st != 201 || c.ID == 0 || c.Status != docs.StatusEmpty {
		t.Fatalf("create: %d %+v", st, c)
	}
	id := "/perch/collections/" + itoa(c.ID)
	for _, tt := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"embedding_model": "synth"}, 400, "name is required"},
		{map[string]any{"name": "x"}, 400, "embedding_model"},
		{map[string]any{"name": "x", "embedding_model": "../etc"}, 400, ".."},
		{map[string]any{"name": "manuals", "embedding_model": "synth"}, 409, "exists"},
		{map[string]any{"name": "x", "embedding_model": "synth", "min_score": 9}, 400, "min_score"},
	} {
		var e apiErr
		if st := cs.call(t, "POST", "/perch/collections", tt.body, &e); st != tt.status || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("create %v: %d %q; want %d mentioning %q", tt.body, st, e.Error.Message, tt.status, tt.want)
		}
	}

	// Documents: JSON text, a PDF upload; a scanned PDF and an image are refused with reasons.
	type added struct {
		ID       int64  `json:"id"`
		Passages int    `json:"passages"`
		Status   string `json:"status"`
	}
	var a added
	if st := cs.call(t, "POST", id+"/documents", map[string]any{"name": "guide.md", "text": guide}, &a); st != 201 || a.ID == 0 || a.Passages != 2 || a.Status != "indexed" {
		t.Fatalf("add text: %d %+v", st, a)
	}
	if st := cs.call(t, "POST", id+"/documents", map[string]any{"name": "guide.md", "text": guide}, &a); st != 200 || a.Status != "unchanged" {
		t.Errorf("same text again: %d %+v", st, a)
	}
	var pdf added
	if st := cs.upload(t, id+"/documents", "pump.pdf", pdftest.Text("Pump manual", "Replace the filter F-220 every year."), &pdf); st != 201 || pdf.Passages != 2 {
		t.Fatalf("upload PDF: %d %+v", st, pdf)
	}
	for _, tt := range []struct {
		name       string
		data       []byte
		code, want string
	}{
		{"scan.pdf", pdftest.Drawing(1), "no_text", "OCR"},
		{"photo.png", []byte{0x89, 'P', 'N', 'G'}, "unsupported_file", "images"},
		{"blob.txt", []byte{1, 0, 2}, "binary_file", "NUL"},
	} {
		var e apiErr
		if st := cs.upload(t, id+"/documents", tt.name, tt.data, &e); st != 422 || e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("upload %s: %d %+v; want 422 %s mentioning %q", tt.name, st, e.Error, tt.code, tt.want)
		}
	}
	var e apiErr
	if st := cs.call(t, "POST", id+"/documents", map[string]any{"name": "a.txt"}, &e); st != 400 || e.Error.Param != "text" {
		t.Errorf("no text: %d %+v", st, e)
	}

	// Search finds the passage with the exact code (the keyword part), named by document.
	var found struct {
		Results []struct {
			Document string  `json:"document"`
			Text     string  `json:"text"`
			Score    float64 `json:"score"`
			Keyword  float64 `json:"keyword"`
		} `json:"results"`
	}
	if st := cs.call(t, "POST", id+"/search", map[string]any{"query": "filter F-220", "top_k": 2, "min_score": -1}, &found); st != 200 || len(found.Results) == 0 {
		t.Fatalf("search: %d %+v", st, found)
	}
	if r := found.Results[0]; r.Document != "pump.pdf" || !strings.Contains(r.Text, "F-220") || r.Keyword <= 0 {
		t.Errorf("search found %+v first", r)
	}
	if st := cs.call(t, "POST", id+"/search", map[string]any{"query": ""}, &e); st != 400 {
		t.Errorf("empty query: %d", st)
	}

	// Listing and opening a source in its document.
	var list struct{ Collections []docs.Collection }
	if cs.call(t, "GET", "/perch/collections", nil, &list); len(list.Collections) != 1 || list.Collections[0].Documents != 2 || list.Collections[0].Status != docs.StatusReady {
		t.Errorf("list: %+v", list)
	}
	var one struct {
		Collection docs.Collection
		Documents  []docs.Document
	}
	if st := cs.call(t, "GET", id, nil, &one); st != 200 || one.Collection.Documents != 2 || len(one.Documents) != 2 {
		t.Errorf("get collection: %d %+v", st, one)
	}
	var docList struct{ Documents []docs.Document }
	if st := cs.call(t, "GET", id+"/documents", nil, &docList); st != 200 || len(docList.Documents) != 2 {
		t.Errorf("documents: %d %+v", st, docList)
	}
	var opened struct {
		Document docs.Document
		Passages []docs.Passage
	}
	if st := cs.call(t, "GET", id+"/documents/"+itoa(pdf.ID), nil, &opened); st != 200 || len(opened.Passages) != 2 || opened.Passages[1].Page != 2 {
		t.Errorf("open document: %d %+v", st, opened)
	}

	// A folder, with progress as SSE, then again without changes as JSON.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "안내.md"), []byte("# 안내\n\n통합 메모리는 GPU와 함께 쓰기 때문입니다.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("Sarah Kim owns the migration.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "image.jpg"), []byte{0xff, 0xd8}, 0o644)
	evs := cs.events(t, id+"/folders", map[string]any{"path": dir})
	phases := map[string]int{}
	for _, ev := range evs {
		phases[ev["phase"].(string)]++
	}
	last := evs[len(evs)-1]
	sum, _ := last["summary"].(map[string]any)
	if phases["scan"] == 0 || phases["file"] != 3 || last["phase"] != "summary" || sum["indexed"] != 2.0 || sum["skipped"] != 1.0 {
		t.Errorf("folder events %v; last %v", phases, last)
	}
	var again docs.Summary
	if st := cs.call(t, "POST", id+"/folders", map[string]any{"path": dir, "stream": false}, &again); st != 200 || again.Unchanged != 2 || again.Indexed != 0 {
		t.Errorf("folder again: %d %+v", st, again)
	}
	if st := cs.call(t, "POST", id+"/folders", map[string]any{"path": "relative/dir"}, &e); st != 400 || !strings.Contains(e.Error.Message, "absolute") {
		t.Errorf("relative folder: %d %+v", st, e)
	}

	// Deleting a document.
	if st := cs.call(t, "DELETE", id+"/documents/"+itoa(a.ID), nil, nil); st != 204 {
		t.Errorf("delete document: %d", st)
	}
	if st := cs.call(t, "GET", id+"/documents/"+itoa(a.ID), nil, &e); st != 404 {
		t.Errorf("deleted document: %d", st)
	}

	// Switching the embedding model: marked for re-indexing, search refuses, reindex fixes.
	var patched docs.Collection
	if st := cs.call(t, "PATCH", id, map[string]any{"embedding_model": "stories"}, &patched); st != 200 || patched.Status != docs.StatusNeedsReindex {
		t.Fatalf("switch model: %d %+v", st, patched)
	}
	if st := cs.call(t, "POST", id+"/search", map[string]any{"query": "memory"}, &e); st != 409 || e.Error.Code != "needs_reindex" || !strings.Contains(e.Error.Message, "/reindex") {
		t.Errorf("search before re-indexing: %d %+v", st, e.Error)
	}
	evs = cs.events(t, id+"/reindex", map[string]any{})
	if last := evs[len(evs)-1]; last["phase"] != "summary" || last["summary"].(map[string]any)["indexed"] != 3.0 {
		t.Errorf("reindex ended with %v", last)
	}
	if st := cs.call(t, "POST", id+"/search", map[string]any{"query": "memory", "min_score": -1}, &found); st != 200 || len(found.Results) == 0 {
		t.Errorf("search after re-indexing: %d %+v", st, found)
	}

	if st := cs.call(t, "DELETE", id, nil, nil); st != 204 {
		t.Errorf("delete collection: %d", st)
	}
	if st := cs.call(t, "GET", id, nil, &e); st != 404 {
		t.Errorf("deleted collection: %d", st)
	}
	if st := cs.call(t, "POST", "/perch/collections/abc/search", map[string]any{"query": "x"}, &e); st != 400 {
		t.Errorf("bad id: %d", st)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// setupManuals creates a collection holding the guide.
func setupManuals(t *testing.T, cs *collServer) docs.Collection {
	t.Helper()
	var c docs.Collection
	if st := cs.call(t, "POST", "/perch/collections", map[string]any{"name": "Manuals", "embedding_model": "synth"}, &c); st != 201 {
		t.Fatalf("create: %d", st)
	}
	if st := cs.call(t, "POST", "/perch/collections/"+itoa(c.ID)+"/documents", map[string]any{"name": "guide.md", "text": guide}, nil); st != 201 {
		t.Fatalf("add: %d", st)
	}
	return c
}

const passage = "Error ERR-4821 means the model file failed its checksum."

// TestOpenAIChatCitesCollection: the model sees the question with the cited passages (in the
// messages and the rendered prompt), and the answer lists its sources.
func TestOpenAIChatCitesCollection(t *testing.T) {
	cs := newCollServer(t)
	setupManuals(t, cs)
	ask := map[string]any{
		"model": "synth", "max_tokens": 3, "temperature": 0, "collection": "Manuals",
		"messages": []map[string]any{{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What does ERR-4821 mean?"}},
	}
	var resp struct {
		Choices []struct{ Message struct{ Content string } }
		Sources []docs.Source
	}
	if st := cs.call(t, "POST", "/v1/chat/completions", ask, &resp); st != 200 || len(resp.Choices) != 1 {
		t.Fatalf("chat: %d %+v", st, resp)
	}
	if len(resp.Sources) == 0 || resp.Sources[0].N != 1 || resp.Sources[0].Document != "guide.md" || !strings.Contains(resp.Sources[0].Text, "ERR-4821") || resp.Sources[0].StartLine != 5 {
		t.Errorf("sources %+v", resp.Sources)
	}
	req, prompt := cs.eng.last()
	user := req.Messages[len(req.Messages)-1].Content
	for _, want := range []string{"[1] guide.md, lines 5-7 (Perch guide › Troubleshooting)", passage, "Question: What does ERR-4821 mean?"} {
		if !strings.Contains(user, want) || !strings.Contains(prompt, want) {
			t.Errorf("the user turn or the rendered prompt lacks %q:\n%s", want, prompt)
		}
	}
	if req.Messages[0].Content != "Be brief." {
		t.Errorf("the system message changed: %q", req.Messages[0].Content)
	}

	// Streaming: the sources come first, in a chunk without choices.
	ask["stream"] = true
	evs := cs.events(t, "/v1/chat/completions", ask)
	if src, _ := evs[0]["sources"].([]any); len(src) == 0 || len(evs[0]["choices"].([]any)) != 0 || evs[0]["object"] != "chat.completion.chunk" {
		t.Errorf("first chunk %v", evs[0])
	}
	if len(evs) < 3 {
		t.Errorf("only %d chunks", len(evs))
	}

	// Nothing relevant: no sources, and the model is told so.
	ask["stream"] = false
	ask["collection"] = map[string]any{"name": "manuals", "min_score": 1.9}
	resp.Sources = nil
	if st := cs.call(t, "POST", "/v1/chat/completions", ask, &resp); st != 200 || resp.Sources == nil || len(resp.Sources) != 0 {
		t.Errorf("nothing relevant: %d sources %v", st, resp.Sources)
	}
	if _, prompt := cs.eng.last(); !strings.Contains(prompt, "No passage in the document collection \"Manuals\" is relevant") || strings.Contains(prompt, passage) {
		t.Errorf("prompt without sources:\n%s", prompt)
	}

	for _, tt := range []struct {
		collection any
		status     int
		code, want string
	}{
		{"Nope", 404, "collection_not_found", "no collection named"},
		{true, 400, "invalid_request", "must be a name, an id or an object"},
		{map[string]any{"name": "Manuals", "top_k": 99}, 400, "invalid_request", "top_k"},
	} {
		ask["collection"] = tt.collection
		var e apiErr
		if st := cs.call(t, "POST", "/v1/chat/completions", ask, &e); st != tt.status || e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.want) {
			t.Errorf("collection %v: %d %+v", tt.collection, st, e.Error)
		}
	}
}

// TestUIChatCitesCollection: a chat with a collection attached gets a sources event, the
// prompt cites the passages, and the sources are kept for the history view.
func TestUIChatCitesCollection(t *testing.T) {
	cs := newCollServer(t)
	c := setupManuals(t, cs)
	var chat struct{ ID int64 }
	if st := cs.call(t, "POST", "/perch/chats", map[string]any{"model": "synth", "params": map[string]any{"max_tokens": 3, "temperature": 0}}, &chat); st != 201 {
		t.Fatalf("create chat: %d", st)
	}
	base := "/perch/chats/" + itoa(chat.ID)
	var att struct{ Collection *docs.Collection }
	if st := cs.call(t, "PUT", base+"/collection", map[string]any{"collection": c.ID}, &att); st != 200 || att.Collection == nil || att.Collection.ID != c.ID {
		t.Fatalf("attach: %d %+v", st, att)
	}
	if cs.call(t, "GET", base+"/collection", nil, &att); att.Collection == nil || att.Collection.Name != "Manuals" {
		t.Errorf("attached: %+v", att)
	}

	evs := cs.events(t, base+"/messages", map[string]any{"content": "What does ERR-4821 mean?"})
	var types []string
	for _, ev := range evs {
		types = append(types, ev["type"].(string))
	}
	if len(types) < 3 || types[0] != "start" || types[1] != "sources" || types[len(types)-1] != "done" {
		t.Fatalf("events %v", types)
	}
	src, _ := evs[1]["sources"].([]any)
	if len(src) == 0 || !strings.Contains(src[0].(map[string]any)["text"].(string), "ERR-4821") {
		t.Errorf("sources event %v", evs[1])
	}
	if _, prompt := cs.eng.last(); !strings.Contains(prompt, passage) || !strings.Contains(prompt, "[1] guide.md") {
		t.Errorf("rendered prompt lacks the cited passage:\n%s", prompt)
	}
	userID := int64(evs[0]["user"].(map[string]any)["id"].(float64))
	var saved struct{ Sources map[string][]docs.Source }
	if st := cs.call(t, "GET", base+"/sources", nil, &saved); st != 200 || len(saved.Sources[itoa(userID)]) == 0 {
		t.Errorf("saved sources: %d %+v (user message %d)", st, saved, userID)
	}
	// The history keeps the question as asked.
	var full chats.Chat
	cs.call(t, "GET", base, nil, &full)
	if full.Messages[0].Content != "What does ERR-4821 mean?" {
		t.Errorf("stored question %q", full.Messages[0].Content)
	}

	if st := cs.call(t, "PUT", base+"/collection", map[string]any{"collection": nil}, &att); st != 200 || att.Collection != nil {
		t.Errorf("detach: %d %+v", st, att)
	}
	var e apiErr
	if st := cs.call(t, "PUT", "/perch/chats/999/collection", map[string]any{"collection": c.ID}, &e); st != 404 {
		t.Errorf("unknown chat: %d %+v", st, e)
	}
	if st := cs.call(t, "PUT", base+"/collection", map[string]any{"collection": "Nope"}, &e); st != 404 {
		t.Errorf("unknown collection: %d %+v", st, e)
	}
}
