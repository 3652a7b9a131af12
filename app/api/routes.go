package api

import (
	"net/http"
)

// route is one line of the route table: a method (empty for a catch-all), a path in
// ServeMux syntax and the handler. method+" "+path is also the route's name in metrics and logs.
type route struct {
	method, path string
	h            http.HandlerFunc
}

func (rt route) pattern() string {
	if rt.method == "" {
		return rt.path
	}
	return rt.method + " " + rt.path
}

// handlerFunc is a handler that returns its error instead of writing it; an adapter for its
// wire format (openai, ollama, ui) writes it. A handler that has started a response (a
// stream) reports later errors in the stream itself and returns nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// openai writes a handler's error as OpenAI's {"error": {...}}.
func openai(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeOpenAIError(w, r, err)
		}
	}
}

// ollama writes a handler's error as Ollama's {"error": "..."}.
func ollama(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeOllamaError(w, r, err)
		}
	}
}

// ui writes a /perch handler's error. The UI's API uses OpenAI's error shape (docs/ui-api.md).
func ui(h handlerFunc) http.HandlerFunc { return openai(h) }

// requires guards the routes that need an optional dependency: when it is missing (present
// is false) they answer missing (a 501) instead of running.
func requires(present bool, missing error) func(handlerFunc) handlerFunc {
	return func(h handlerFunc) handlerFunc {
		if present {
			return h
		}
		return func(http.ResponseWriter, *http.Request) error { return missing }
	}
}

// routes is every route the server answers, built from its dependencies.
func (s *Server) routes() []route {
	d := s.deps
	a := &perchAPI{s: s, perch: s.perch}
	c := &collectionsAPI{s: s, store: d.Collections, chats: d.Chats}

	library := requires(d.Library != nil, errNoLibrary)
	chats := requires(d.Chats != nil, unavailable("chat history"))
	catalog := requires(d.Catalog != nil, unavailable("the model catalog"))
	fit := requires(d.Fit != nil, unavailable("memory estimates"))
	settings := requires(d.Settings != nil, unavailable("settings"))
	importer := requires(d.Importer != nil, unavailable("importing models"))
	uploads := requires(d.Importer != nil && d.UploadDir != "", unavailable("importing models"))
	collections := requires(d.Collections != nil, unavailable("document collections"))
	remotes := requires(d.Remotes != nil, unavailable("remote endpoints"))
	storage := requires(d.Storage != nil, unavailable("the storage report"))
	hfToken := requires(d.HFToken != nil, unavailable("keeping a Hugging Face token"))
	dk := &desktopAPI{picker: d.FolderPicker, store: d.Collections}
	folderPicker := requires(d.FolderPicker != nil && d.Collections != nil, unavailable("the folder dialog (it is part of the desktop app)"))

	return []route{
		{"GET", "/health", health},
		{"GET", "/metrics", s.metrics.serve},

		// OpenAI (/v1)
		{"POST", "/v1/chat/completions", openai(s.viaRemote(wireOpenAI, s.openaiChat))},
		{"POST", "/v1/completions", openai(s.viaRemote(wireOpenAI, s.openaiCompletions))},
		{"POST", "/v1/embeddings", openai(s.viaRemote(wireOpenAI, s.openaiEmbeddings))},
		{"POST", "/v1/responses", openai(s.openaiResponses)},
		{"GET", "/v1/responses/{id}", openai(s.openaiResponseGet)},
		{"DELETE", "/v1/responses/{id}", openai(s.openaiResponseDelete)},
		{"GET", "/v1/models", openai(s.openaiModels)},
		{"GET", "/v1/models/{id...}", openai(s.openaiModel)},

		// Ollama (/api)
		{"POST", "/api/generate", ollama(s.viaRemote(wireOllama, s.ollamaGenerate))},
		{"POST", "/api/chat", ollama(s.viaRemote(wireOllama, s.ollamaChat))},
		{"POST", "/api/embed", ollama(s.viaRemote(wireOllama, s.ollamaEmbed))},
		{"POST", "/api/embeddings", ollama(s.viaRemote(wireOllama, s.ollamaEmbeddings))},
		{"GET", "/api/tags", ollama(s.ollamaTags)},
		{"POST", "/api/show", ollama(s.viaRemote(wireOllama, s.ollamaShow))},
		{"GET", "/api/ps", ollama(s.ollamaPS)},
		{"POST", "/api/pull", ollama(library(s.ollamaPull))},
		{"DELETE", "/api/delete", ollama(library(s.ollamaDelete))},
		{"POST", "/api/copy", ollama(library(s.ollamaCopy))},
		{"GET", "/api/version", ollama(s.ollamaVersion)},

		// The UI (/perch, docs/ui-api.md)
		{"GET", "/perch/status", ui(a.status)},

		{"GET", "/perch/chats", ui(chats(a.chatsList))},
		{"POST", "/perch/chats", ui(chats(a.chatCreate))},
		{"POST", "/perch/chats/import", ui(chats(a.chatImport))},
		{"POST", "/perch/chats/delete", ui(chats(a.chatsDelete))},
		{"PUT", "/perch/chats/{id}/pin", ui(chats(a.chatPin))},
		{"GET", "/perch/chats/{id}", ui(chats(a.chatGet))},
		{"PATCH", "/perch/chats/{id}", ui(chats(a.chatPatch))},
		{"DELETE", "/perch/chats/{id}", ui(chats(a.chatDelete))},
		{"POST", "/perch/chats/{id}/messages", ui(chats(a.chatSend))},
		{"POST", "/perch/chats/{id}/regenerate", ui(chats(a.chatRegenerate))},
		{"POST", "/perch/chats/{id}/messages/{mid}/edit", ui(chats(a.chatEdit))},
		{"POST", "/perch/chats/{id}/messages/{mid}/continue", ui(chats(a.chatContinue))},
		{"POST", "/perch/chats/{id}/messages/{mid}/select", ui(chats(a.chatSelectVersion))},
		{"POST", "/perch/chats/{id}/stop", ui(a.chatStop)},
		{"GET", "/perch/chats/{id}/collection", ui(collections(c.chatCollection))},
		{"PUT", "/perch/chats/{id}/collection", ui(collections(c.attach))},
		{"GET", "/perch/chats/{id}/sources", ui(collections(c.chatSources))},

		{"GET", "/perch/models", ui(a.modelsList)},
		{"POST", "/perch/models/load", ui(a.modelLoad)},
		{"POST", "/perch/models/unload", ui(a.modelUnload)},
		{"POST", "/perch/models/default", ui(settings(a.modelDefault))},
		{"POST", "/perch/models/delete", ui(library(a.modelDelete))},
		{"POST", "/perch/models/import", ui(importer(a.modelImportPath))},
		{"POST", "/perch/uploads", ui(uploads(a.uploadStart))},
		{"PUT", "/perch/uploads/{id}", ui(uploads(a.uploadChunk))},
		{"POST", "/perch/uploads/{id}/finish", ui(uploads(a.uploadFinish))},
		{"DELETE", "/perch/uploads/{id}", ui(uploads(a.uploadDiscard))},

		{"GET", "/perch/catalog", ui(catalog(a.catalogList))},
		{"GET", "/perch/search", ui(catalog(a.catalogSearch))},
		{"POST", "/perch/inspect", ui(catalog(a.catalogInspect))},
		{"GET", "/perch/recommended", ui(catalog(a.recommended))},
		{"POST", "/perch/fit", ui(fit(a.fitRoute))},

		{"POST", "/perch/pulls", ui(library(a.pullStart))},
		{"GET", "/perch/pulls", ui(a.pullList)},
		{"GET", "/perch/pulls/events", ui(a.pullEvents)},
		{"POST", "/perch/pulls/{id}/pause", ui(a.pullPause)},
		{"POST", "/perch/pulls/{id}/resume", ui(library(a.pullResume))},
		{"POST", "/perch/pulls/{id}/cancel", ui(a.pullCancel)},
		{"DELETE", "/perch/pulls/{id}", ui(a.pullDismiss)},

		{"GET", "/perch/memory", ui(a.memoryGet)},
		{"GET", "/perch/memory/events", ui(a.memoryEvents)},
		{"POST", "/perch/tokenize", ui(a.tokenize)},
		{"GET", "/perch/remotes", ui(remotes(a.remotesList))},
		{"POST", "/perch/remotes", ui(remotes(a.remoteAdd))},
		{"DELETE", "/perch/remotes/{name}", ui(remotes(a.remoteRemove))},
		{"GET", "/perch/remotes/discover", ui(remotes(a.remotesDiscover))},
		{"GET", "/perch/settings", ui(settings(a.settingsGet))},
		{"PUT", "/perch/settings", ui(settings(a.settingsPut))},
		{"GET", "/perch/settings/storage", ui(storage(a.storageGet))},
		{"GET", "/perch/settings/hf-token", ui(hfToken(a.hfTokenGet))},
		{"PUT", "/perch/settings/hf-token", ui(hfToken(a.hfTokenPut))},
		{"DELETE", "/perch/settings/hf-token", ui(hfToken(a.hfTokenDelete))},
		{"POST", "/perch/restart", ui(requires(s.cfg.Restart != nil, unavailable("restarting the server"))(a.restart))},

		{"GET", "/perch/collections", ui(collections(c.list))},
		{"POST", "/perch/collections", ui(collections(c.create))},
		{"GET", "/perch/collections/{id}", ui(collections(c.get))},
		{"PATCH", "/perch/collections/{id}", ui(collections(c.patch))},
		{"DELETE", "/perch/collections/{id}", ui(collections(c.delete))},
		{"POST", "/perch/collections/{id}/documents", ui(collections(c.addDocument))},
		{"GET", "/perch/collections/{id}/documents", ui(collections(c.listDocuments))},
		{"GET", "/perch/collections/{id}/documents/{doc}", ui(collections(c.getDocument))},
		{"DELETE", "/perch/collections/{id}/documents/{doc}", ui(collections(c.deleteDocument))},
		{"POST", "/perch/collections/{id}/folders", ui(collections(c.addFolder))},
		{"POST", "/perch/collections/{id}/reindex", ui(collections(c.reindex))},
		{"POST", "/perch/collections/{id}/search", ui(collections(c.search))},
		{"POST", "/perch/desktop/pick-folder", ui(folderPicker(dk.pickFolder))},

		// Anything else under /perch is an API miss, not a UI page; "/" serves the UI.
		{"", "/perch/", ui(perchMiss)},
		{"", "/", s.fallback},
	}
}
