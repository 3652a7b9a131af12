package storeadapter

import (
	"context"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/library/ggufmeta"
)

var _ api.ModelInfoReader = (*Store)(nil)

// ModelInfo reads the model's GGUF header key/values for /api/show; full reads the tokenizer
// arrays and lists the tensors too.
func (a *Store) ModelInfo(ctx context.Context, name string, full bool) (map[string]any, []api.ModelTensor, error) {
	m, err := a.s.Get(ctx, name)
	if err != nil {
		return nil, nil, invalid("model", err)
	}
	info, err := a.s.Info(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	kvs, tensors, err := ggufmeta.Metadata(info, m.Path, full)
	if err != nil {
		return nil, nil, err
	}
	out := make([]api.ModelTensor, len(tensors))
	for i, t := range tensors {
		out[i] = api.ModelTensor(t)
	}
	if !full {
		out = nil
	}
	return kvs, out, nil
}
