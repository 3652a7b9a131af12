package openai

import (
	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
)

// EmbedRequestFromOpenAI converts /v1/embeddings' request; a bad field is a *wire.ParamError.
func EmbedRequestFromOpenAI(req EmbeddingRequest) (engine.EmbedRequest, error) {
	var er engine.EmbedRequest
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return er, err
	}
	texts, tokens, err := EmbedInputs(req.Input)
	if err != nil {
		return er, err
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return er, wire.BadRequest("encoding_format", "encoding_format must be \"float\" or \"base64\", got %q", req.EncodingFormat)
	}
	if req.Dimensions != nil && *req.Dimensions < 1 {
		return er, wire.BadRequest("dimensions", "dimensions must be at least 1, got %d", *req.Dimensions)
	}
	if er.KeepAlive, err = wire.ParseKeepAlive(req.KeepAlive, "keep_alive"); err != nil {
		return er, err
	}
	er.Model, er.Inputs, er.Tokens, er.Normalize = req.Model, texts, tokens, true
	return er, nil
}

// EmbeddingResponseOf builds OpenAI's answer. dimensions must match the model's vectors: the
// engine cannot tell which models were trained to be shortened (Matryoshka), and cutting
// any other model's vectors would silently give poor ones.
func EmbeddingResponseOf(req EmbeddingRequest, res *engine.EmbedResult) (EmbeddingResponse, error) {
	out := EmbeddingResponse{Object: "list", Model: req.Model, Data: make([]Embedding, len(res.Embeddings)),
		Usage: EmbedUsage{PromptTokens: res.PromptTokens, TotalTokens: res.PromptTokens}}
	for i, v := range res.Embeddings {
		if req.Dimensions != nil && *req.Dimensions != len(v) {
			return out, wire.BadRequest("dimensions", "model %q gives %d-dimensional vectors and does not support other sizes; leave out dimensions or ask for %d", req.Model, len(v), len(v))
		}
		out.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: EncodeEmbedding(v, req.EncodingFormat)}
	}
	return out, nil
}
