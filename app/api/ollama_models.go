package api

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/app/wire"
	ollamawire "github.com/perchapp/perch/app/wire/ollama"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

var errNoLibrary = &apiError{Status: http.StatusNotImplemented, Type: "not_supported_error", Message: "this server has no model library; manage models with the perch command"}

func (s *Server) ollamaEmbed(w http.ResponseWriter, r *http.Request) error {
	start := s.now()
	var req ollamawire.EmbedRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	er, err := ollamawire.EmbedRequestFromOllama(req)
	if err != nil {
		return err
	}
	noteModel(r, er.Model)
	er.KeepAlive = s.keepAlive(er.Model, er.KeepAlive)
	resp := ollamawire.EmbedResponse{Model: req.Model, Embeddings: [][]float32{}}
	if len(er.Inputs) == 0 { // Ollama loads the model and answers with no vectors
		if _, err := s.eng.Load(r.Context(), er.Model, er.Load, er.KeepAlive); err != nil {
			s.countEngineError(err)
			return err
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
	res, err := s.eng.Embed(r.Context(), er)
	if err != nil {
		s.countEngineError(err)
		return err
	}
	for _, v := range res.Embeddings {
		if req.Dimensions > 0 && req.Dimensions != len(v) {
			return badRequest("dimensions", "model %q gives %d-dimensional vectors and does not support other sizes; leave out dimensions or ask for %d", req.Model, len(v), len(v))
		}
		resp.Embeddings = append(resp.Embeddings, v) // unit length: the worker normalised it
	}
	resp.PromptEvalCount = res.PromptTokens
	resp.LoadDuration = int64(res.Timings.LoadMs * 1e6)
	resp.TotalDuration = max(int64(s.now().Sub(start)), 1)
	noteTokens(r, res.PromptTokens, 0)
	s.metrics.tokens.WithLabelValues(er.Model, "prompt").Add(float64(res.PromptTokens))
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// ollamaEmbeddings is the older endpoint: one prompt, a vector of float64, not normalised.
func (s *Server) ollamaEmbeddings(w http.ResponseWriter, r *http.Request) error {
	var req ollamawire.EmbeddingsRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return err
	}
	noteModel(r, req.Model)
	run, err := ollamawire.RunOptions(req.Options)
	if err != nil {
		return err
	}
	keepAlive, err := wire.ParseKeepAlive(req.KeepAlive, "keep_alive")
	if err != nil {
		return err
	}
	// Load options stay as the request gave them: the engine knows whether a model needs
	// loading for embeddings.
	load := run.Load
	if req.Prompt == "" {
		if _, err := s.eng.Load(r.Context(), req.Model, load, s.keepAlive(req.Model, keepAlive)); err != nil {
			s.countEngineError(err)
			return err
		}
		writeJSON(w, http.StatusOK, map[string][]float64{"embedding": {}})
		return nil
	}
	res, err := s.eng.Embed(r.Context(), engine.EmbedRequest{Model: req.Model, Inputs: []string{req.Prompt}, Truncate: true, KeepAlive: s.keepAlive(req.Model, keepAlive), Load: load})
	if err != nil {
		s.countEngineError(err)
		return err
	}
	out := []float64{}
	if len(res.Embeddings) > 0 {
		for _, x := range res.Embeddings[0] {
			out = append(out, float64(x))
		}
	}
	noteTokens(r, res.PromptTokens, 0)
	writeJSON(w, http.StatusOK, map[string][]float64{"embedding": out})
	return nil
}

func (s *Server) ollamaTags(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.listModels(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Models []ollamawire.ListModel `json:"models"`
	}{Models: make([]ollamawire.ListModel, 0, len(ms))}
	for _, m := range ms {
		out.Models = append(out.Models, ollamawire.ListModelOf(m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decodeName reads {"model": ...} (or the older "name") and validates it.
func decodeName(r *http.Request) (ollamawire.NameRequest, error) {
	var req ollamawire.NameRequest
	if err := decodeBody(r, &req); err != nil {
		return req, err
	}
	return req, wire.ValidateModelName("model", req.ModelName())
}

func (s *Server) ollamaShow(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeName(r)
	if err != nil {
		return err
	}
	m, err := s.getModel(r.Context(), req.ModelName())
	if err != nil {
		return ollamaNotFound(req.ModelName(), err)
	}
	writeJSON(w, http.StatusOK, s.showResponse(r.Context(), m, req.Verbose))
	return nil
}

// ollamaNotFound words an unknown model as Ollama does.
func ollamaNotFound(name string, err error) error {
	if e := toAPIError(err); e.Status == http.StatusNotFound {
		return notFound("model '%s' not found", name)
	}
	return err
}

func (s *Server) ollamaPS(w http.ResponseWriter, r *http.Request) error {
	out := struct {
		Models []ollamawire.ProcessModel `json:"models"`
	}{Models: []ollamawire.ProcessModel{}}
	for _, st := range s.eng.Loaded() {
		m := perchwire.LibraryModelOf(st)
		if s.lib != nil {
			if lm, err := s.lib.Get(r.Context(), st.Name); err == nil {
				m = lm
			}
		}
		out.Models = append(out.Models, ollamawire.ProcessOf(st, m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) ollamaPull(w http.ResponseWriter, r *http.Request) error {
	var req ollamawire.NameRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	ref := req.ModelName()
	if err := wire.ValidatePullRef("model", ref); err != nil {
		return err
	}
	noteModel(r, ref)
	stream := req.Stream == nil || *req.Stream
	sw := newNDJSON(w)
	var (
		mu       sync.Mutex
		last     string
		lastSent time.Time
	)
	progress := func(p perchwire.PullProgress) {
		if !stream {
			return
		}
		st := ollamawire.PullProgressOf(p)
		mu.Lock()
		// Byte counts can come thousands of times a second; a few lines a second suffice.
		skip := ollamawire.IsDownload(p) && st.Status == last && p.Completed < p.Total && s.now().Sub(lastSent) < 100*time.Millisecond
		if !skip {
			last, lastSent = st.Status, s.now()
		}
		mu.Unlock()
		if !skip {
			sw.Send(st)
		}
	}
	if err := s.lib.Pull(r.Context(), ref, progress); err != nil {
		s.endNDJSONWithError(w, r, sw, err)
		return nil
	}
	mu.Lock()
	done := last == "success"
	mu.Unlock()
	if !stream {
		writeJSON(w, http.StatusOK, ollamawire.Progress{Status: "success"})
		return nil
	}
	if !done {
		sw.Send(ollamawire.Progress{Status: "success"})
	}
	return nil
}

func (s *Server) ollamaDelete(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeName(r)
	if err != nil {
		return err
	}
	name := req.ModelName()
	m, err := s.lib.Get(r.Context(), name)
	if err != nil {
		return ollamaNotFound(name, err)
	}
	// A loaded model goes first, so its worker does not hold a deleted file. A
	// models-directory file is never deleted (Remove says why), so it stays loaded.
	if !m.External {
		if err := s.eng.Unload(r.Context(), name); err != nil && engine.KindOf(err) != engine.KindNotFound {
			s.log.Warn("unload before delete", "model", name, "error", err)
		}
	}
	if err := s.lib.Remove(r.Context(), name); err != nil {
		return ollamaNotFound(name, err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) ollamaCopy(w http.ResponseWriter, r *http.Request) error {
	var req ollamawire.CopyRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidateModelName("source", req.Source); err != nil {
		return err
	}
	if err := wire.ValidateModelName("destination", req.Destination); err != nil {
		return err
	}
	if err := s.lib.Copy(r.Context(), req.Source, req.Destination); err != nil {
		return ollamaNotFound(req.Source, err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) ollamaVersion(w http.ResponseWriter, r *http.Request) error {
	// Clients compare it as a semantic version, so a leading "v" is dropped.
	writeJSON(w, http.StatusOK, map[string]string{"version": strings.TrimPrefix(s.cfg.Version, "v")})
	return nil
}
