// Package remotetest is test support: a loopback server that speaks the OpenAI API the way
// vLLM's OpenAI-compatible server does (model ids with the organisation, FastAPI's 404
// body, {"error": "Unauthorized"} for a wrong key, SSE chunks with the role first, tool
// calls in indexed deltas, a usage chunk with empty choices, then [DONE]). Its answers are
// fixed texts: it stands in for the wire protocol, not for a model.
package remotetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Models the server lists. Crash sends two chunks and then drops the connection.
const (
	Chat  = "meta-llama/Llama-3.1-8B-Instruct"
	Embed = "BAAI/bge-small-en-v1.5"
	Crash = "crash/model"
)

// Answer is the text every chat answer gives, streamed word by word.
const Answer = "Hello from the GPU box."

// VLLM is the running server.
type VLLM struct {
	*httptest.Server
	mu  sync.Mutex
	key string
	// Requests are the JSON bodies received, by path.
	Requests map[string][]map[string]any
}

// NewVLLM starts a server on 127.0.0.1 that requires key (none when empty).
func NewVLLM(key string) *VLLM {
	v := &VLLM{key: key, Requests: map[string][]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", v.models)
	mux.HandleFunc("POST /v1/chat/completions", v.chat)
	mux.HandleFunc("POST /v1/completions", v.completions)
	mux.HandleFunc("POST /v1/embeddings", v.embeddings)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	})
	v.Server = httptest.NewServer(v.auth(mux))
	return v
}

// SetKey changes the key the server requires (a rotated key).
func (v *VLLM) SetKey(k string) {
	v.mu.Lock()
	v.key = k
	v.mu.Unlock()
}

func (v *VLLM) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		key := v.key
		v.mu.Unlock()
		if key != "" && r.Header.Get("Authorization") != "Bearer "+key {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (v *VLLM) record(r *http.Request) map[string]any {
	var body map[string]any
	json.NewDecoder(r.Body).Decode(&body)
	v.mu.Lock()
	v.Requests[r.URL.Path] = append(v.Requests[r.URL.Path], body)
	v.mu.Unlock()
	return body
}

func (v *VLLM) models(w http.ResponseWriter, r *http.Request) {
	var data []map[string]any
	for _, id := range []string{Chat, Embed, Crash} {
		data = append(data, map[string]any{"id": id, "object": "model", "created": 1700000000, "owned_by": "vllm", "root": id, "parent": nil, "max_model_len": 8192})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func notFound(w http.ResponseWriter, model string) {
	writeJSON(w, http.StatusNotFound, map[string]any{"object": "error", "message": fmt.Sprintf("The model `%s` does not exist.", model),
		"type": "NotFoundError", "param": nil, "code": 404})
}

func (v *VLLM) chat(w http.ResponseWriter, r *http.Request) {
	body := v.record(r)
	model, _ := body["model"].(string)
	if model != Chat && model != Crash {
		notFound(w, model)
		return
	}
	_, tools := body["tools"]
	id, created := "chatcmpl-7b3e", time.Now().Unix()
	usage := map[string]any{"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}
	if stream, _ := body["stream"].(bool); !stream && model == Crash {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "400")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"id":"chatcmpl-7b3e","object":"chat.completion",`)
		hangUp(w)
		return
	}
	if stream, _ := body["stream"].(bool); !stream {
		msg := map[string]any{"role": "assistant", "content": Answer, "refusal": nil, "tool_calls": []any{}}
		finish := "stop"
		if tools {
			msg = map[string]any{"role": "assistant", "content": nil, "refusal": nil, "tool_calls": []any{toolCall(true)}}
			finish = "tool_calls"
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish, "stop_reason": nil}},
			"usage":   usage, "prompt_logprobs": nil})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	send := func(choices []any, u any) {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices, "usage": u})
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "logprobs": nil, "finish_reason": finish}}
	}
	send(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil)
	if model == Crash {
		send(delta(map[string]any{"content": "Hello"}, nil), nil)
		hangUp(w)
		return
	}
	finish := "stop"
	if tools {
		send(delta(map[string]any{"tool_calls": []any{toolCall(false)}}, nil), nil)
		send(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": `"Seoul"}`}}}}, nil), nil)
		finish = "tool_calls"
	} else {
		for _, word := range strings.SplitAfter(Answer, " ") {
			send(delta(map[string]any{"content": word}, nil), nil)
		}
	}
	send(delta(map[string]any{"content": ""}, finish), nil)
	if so, _ := body["stream_options"].(map[string]any); so != nil && so["include_usage"] == true {
		send([]any{}, usage)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// hangUp drops the connection, as a server that crashed does.
func hangUp(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		conn.Close()
	}
}

// toolCall is the weather call the server makes when given tools: whole, or the first delta
// of a stream (arguments to follow).
func toolCall(whole bool) map[string]any {
	args := `{"city": `
	if whole {
		args = `{"city": "Seoul"}`
	}
	return map[string]any{"index": 0, "id": "chatcmpl-tool-1", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": args}}
}

func (v *VLLM) completions(w http.ResponseWriter, r *http.Request) {
	body := v.record(r)
	model, _ := body["model"].(string)
	if model != Chat {
		notFound(w, model)
		return
	}
	choice := func(text string, finish any) []any {
		return []any{map[string]any{"index": 0, "text": text, "logprobs": nil, "finish_reason": finish, "stop_reason": nil}}
	}
	if stream, _ := body["stream"].(bool); !stream {
		writeJSON(w, http.StatusOK, map[string]any{"id": "cmpl-1", "object": "text_completion", "created": time.Now().Unix(), "model": model,
			"choices": choice(" there was a GPU.", "stop"), "usage": map[string]any{"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	for _, c := range [][]any{choice(" there was", nil), choice(" a GPU.", nil), choice("", "stop")} {
		b, _ := json.Marshal(map[string]any{"id": "cmpl-1", "object": "text_completion", "created": time.Now().Unix(), "model": model, "choices": c})
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

func (v *VLLM) embeddings(w http.ResponseWriter, r *http.Request) {
	body := v.record(r)
	model, _ := body["model"].(string)
	if model != Embed {
		notFound(w, model)
		return
	}
	var inputs []any
	switch in := body["input"].(type) {
	case string:
		inputs = []any{in}
	case []any:
		inputs = in
	}
	var data []any
	for i, in := range inputs {
		s, _ := in.(string)
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": []float64{float64(len(s)), 3, 4}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": "embd-1", "object": "list", "created": time.Now().Unix(), "model": model,
		"data": data, "usage": map[string]any{"prompt_tokens": 7, "total_tokens": 7, "completion_tokens": 0}})
}
