// Command goclients drives a Perch server with the Go clients people use: go-openai
// (github.com/sashabaranov/go-openai) and langchaingo's openai and ollama llms, each with list
// (where the client has one), chat, stream, embeddings, a JSON schema, a forced tool call and an
// unknown model. It is its own module so that Perch's go.mod gains none of their dependencies.
//
// Usage: go run . BASE_URL MODEL EMBED_MODEL   (PERCH_API_KEY is sent when set; PERCH_ONLY runs
// only the cases whose name contains it; PERCH_REAL marks a real model, which may decline a
// tool call that the Ollama API cannot force). It prints one line per case and exits 1 when
// any case failed.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// env is what every case gets: the server, the models and the key.
type env struct {
	base, model, embed, key string
	real                    bool
	http                    *http.Client
}

// skipped is returned by a case that the client cannot express; it is printed as "skip".
type skipped string

func (s skipped) Error() string { return string(s) }

type testCase struct {
	name string
	fn   func(ctx context.Context, e env) error
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go run . BASE_URL MODEL EMBED_MODEL")
		os.Exit(2)
	}
	e := env{base: strings.TrimSuffix(os.Args[1], "/"), model: os.Args[2], embed: os.Args[3], key: os.Getenv("PERCH_API_KEY"), real: os.Getenv("PERCH_REAL") != ""}
	if e.key == "" {
		e.key = "unused"
	}
	e.http = &http.Client{Transport: bearer{key: e.key}, Timeout: 2 * time.Minute}
	only := os.Getenv("PERCH_ONLY")
	var cases []testCase
	for _, group := range [][]testCase{goOpenAICases(), langchainOpenAICases(), langchainOllamaCases()} {
		for _, c := range group {
			if strings.Contains(c.name, only) {
				cases = append(cases, c)
			}
		}
	}
	failed, skips := 0, 0
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := c.fn(ctx, e)
		cancel()
		var s skipped
		switch {
		case err == nil:
			fmt.Printf("ok   %s\n", c.name)
		case asSkip(err, &s):
			skips++
			fmt.Printf("skip %s: %s\n", c.name, s)
		default:
			failed++
			fmt.Printf("FAIL %s: %v\n", c.name, err)
		}
	}
	fmt.Printf("%d passed, %d skipped, %d failed\n", len(cases)-failed-skips, skips, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func asSkip(err error, s *skipped) bool {
	v, ok := err.(skipped)
	if ok {
		*s = v
	}
	return ok
}

// bearer adds the API key to every request (langchaingo's ollama client has no option for it).
type bearer struct{ key string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// check returns an error naming what was wrong when ok is false.
func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

// notFound checks that err is the unknown-model error, naming the model.
func notFound(err error) error {
	if err == nil {
		return fmt.Errorf("a request for no-such-model succeeded")
	}
	s := strings.ToLower(err.Error())
	return check(strings.Contains(s, "no-such-model") || strings.Contains(s, "not found"), "unknown model: %v", err)
}

// pet is the structured answer the langchaingo clients ask for.
type pet struct {
	Name string `json:"name"`
	Age  *int   `json:"age"`
	Legs *int   `json:"legs"`
}

// petSchema is the schema written as Zod 4 writes it, with ±2^53-1 as the bounds of an integer.
const petSchema = `{"type":"object","properties":{"name":{"type":"string","maxLength":12},` +
	`"age":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991},` +
	`"legs":{"type":"integer","minimum":0,"maximum":8}},"required":["name","age","legs"],"additionalProperties":false}`

// weatherSchema is the forced tool's parameters.
const weatherSchema = `{"type":"object","properties":{"city":{"type":"string","maxLength":20},` +
	`"days":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991}},"required":["city","days"],"additionalProperties":false}`

// weatherArgs checks a tool call's arguments against weatherSchema.
type weatherArgs struct {
	City *string `json:"city"`
	Days *int    `json:"days"`
}
