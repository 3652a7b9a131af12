package main

import (
	"bytes"
	"os"
	"testing"
)

// TestWireTypesCurrent fails when a /perch wire struct changed and frontend/src/api/wire.gen.ts
// was not regenerated.
func TestWireTypesCurrent(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../frontend/src/api/wire.gen.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("frontend/src/api/wire.gen.ts is stale: run `go generate ./app/api`")
	}
}

func TestOptionalAndNested(t *testing.T) {
	src, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export interface Chat {\n  id: number;", // chatView flattens the embedded chats.Chat
		"  stats?: Stats;\n",                     // a pointer is optional
		"  generating: boolean;\n",
		"  tags?: string[];\n",                 // omitempty
		"export interface OpenAIErrorObject {", // referenced types follow under their Go names
	} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("the output lacks %q", want)
		}
	}
}
