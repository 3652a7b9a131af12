package ollama

import (
	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
)

// EmbedRequestFromOllama converts /api/embed's request; a bad field is a *wire.ParamError.
func EmbedRequestFromOllama(req EmbedRequest) (engine.EmbedRequest, error) {
	var er engine.EmbedRequest
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return er, err
	}
	inputs, err := wire.StringOrList(req.Input, "input")
	if err != nil {
		return er, err
	}
	if len(inputs) == 1 && inputs[0] == "" {
		inputs = nil
	}
	for i, in := range inputs {
		if in == "" {
			return er, wire.BadRequest("input", "input[%d] is an empty string; every input needs text", i)
		}
	}
	if req.Dimensions < 0 {
		return er, wire.BadRequest("dimensions", "dimensions must be 1 or more, got %d", req.Dimensions)
	}
	run, err := RunOptions(req.Options)
	if err != nil {
		return er, err
	}
	if er.KeepAlive, err = wire.ParseKeepAlive(req.KeepAlive, "keep_alive"); err != nil {
		return er, err
	}
	er.Model, er.Inputs, er.Normalize, er.Load = req.Model, inputs, true, run.Load
	er.Truncate = req.Truncate == nil || *req.Truncate // Ollama's default
	return er, nil
}
