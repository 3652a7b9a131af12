package perch

import (
	"testing"

	"github.com/perchapp/perch/engine"
)

// TestModelsMemoryCache: the Memory view shows the KV cache type and flash attention each
// model was loaded with, and llama.cpp's defaults where the load named none.
func TestModelsMemoryCache(t *testing.T) {
	tests := []struct {
		name      string
		opts      engine.LoadOptions
		kv, flash string
	}{
		{"defaults", engine.LoadOptions{}, "f16", "auto"},
		{"quantized", engine.LoadOptions{KVType: "q8_0", FlashAttn: "on"}, "q8_0", "on"},
		{"off", engine.LoadOptions{KVType: "f16", FlashAttn: "off"}, "f16", "off"},
		{"upper case", engine.LoadOptions{KVType: "Q4_0"}, "q4_0", "auto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ModelsMemory([]engine.Status{{Name: "m", Options: tt.opts}})
			if len(got) != 1 || got[0].KVType != tt.kv || got[0].FlashAttn != tt.flash {
				t.Errorf("ModelsMemory = %+v; want kv %s, flash %s", got, tt.kv, tt.flash)
			}
		})
	}
}
