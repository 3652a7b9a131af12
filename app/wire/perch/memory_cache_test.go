package perch

import (
	"testing"

	"github.com/perchapp/perch/engine"
)

// TestModelsMemoryCache: the Memory view shows the KV cache type and flash attention each
// model was loaded with, llama.cpp's defaults where the load named none, and what flash
// attention came to.
func TestModelsMemoryCache(t *testing.T) {
	tests := []struct {
		name            string
		opts            engine.LoadOptions
		used            string // what llama.cpp made of it
		kv, flash, uses string
	}{
		{"defaults", engine.LoadOptions{}, "on", "f16", "auto", "on"},
		{"quantized", engine.LoadOptions{KVType: "q8_0", FlashAttn: "on"}, "on", "q8_0", "on", "on"},
		{"off", engine.LoadOptions{KVType: "f16", FlashAttn: "off"}, "off", "f16", "off", "off"},
		{"upper case", engine.LoadOptions{KVType: "Q4_0"}, "", "q4_0", "auto", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ModelsMemory([]engine.Status{{Name: "m", Options: tt.opts, FlashAttnUsed: tt.used}})
			if len(got) != 1 || got[0].KVType != tt.kv || got[0].FlashAttn != tt.flash || got[0].FlashAttnUsed != tt.uses {
				t.Errorf("ModelsMemory = %+v; want kv %s, flash %s, used %q", got, tt.kv, tt.flash, tt.uses)
			}
		})
	}
}
