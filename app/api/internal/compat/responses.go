package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// postJSON sends body to path through the validating client and decodes the answer.
func postJSON(t *testing.T, tg Target, path, body string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tg.BaseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := HTTPClient(t, tg).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: not JSON (%v): %s", path, err, b)
		}
	}
	return resp.StatusCode, v, string(b)
}

// sseEvents splits a Responses stream into its events' types and data.
func sseEvents(body string) (types []string, data []map[string]any) {
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var v map[string]any
			json.Unmarshal([]byte(d), &v)
			typ, _ := v["type"].(string)
			types, data = append(types, typ), append(data, v)
		}
	}
	return types, data
}

// Responses are the cases for /v1/responses: the official SDK's Responses client, and raw
// requests for the items it does not easily build.
func Responses() []Case {
	return []Case{
		{"responses text", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			res, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
				Model: tg.Model, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Tell me a story.")},
				Instructions: openai.String("You tell stories."), Temperature: openai.Float(0), MaxOutputTokens: openai.Int(16),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Object != "response" || res.OutputText() == "" || res.Usage.InputTokens <= 0 || res.Usage.OutputTokens <= 0 || res.Usage.OutputTokens > 16 {
				t.Fatalf("response %s", res.RawJSON())
			}
			if res.Status != "completed" && !(res.Status == "incomplete" && res.IncompleteDetails.Reason == "max_output_tokens") {
				t.Fatalf("status %s, incomplete %+v", res.Status, res.IncompleteDetails)
			}
			if tg.Fake && !strings.HasPrefix(tg.Story, res.OutputText()) {
				t.Fatalf("text %q is not the start of the story %q", res.OutputText(), tg.Story)
			}
			got, err := c.Responses.Get(context.Background(), res.ID, responses.ResponseGetParams{})
			if err != nil || got.OutputText() != res.OutputText() {
				t.Fatalf("get %s: %v", res.ID, err)
			}
		}},
		{"responses stream", func(t *testing.T, tg Target) {
			c := oaClient(t, tg)
			params := responses.ResponseNewParams{
				Model: tg.Model, Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Tell me a story.")},
				Temperature: openai.Float(0), MaxOutputTokens: openai.Int(16),
			}
			want, err := c.Responses.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			stream := c.Responses.NewStreaming(context.Background(), params)
			var deltas strings.Builder
			var types []string
			var final responses.Response
			for stream.Next() {
				ev := stream.Current()
				types = append(types, ev.Type)
				switch ev.Type {
				case "response.output_text.delta":
					deltas.WriteString(ev.Delta)
				case "response.completed", "response.incomplete":
					final = ev.Response
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			order := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta"}
			for i, typ := range order {
				if i >= len(types) || types[i] != typ {
					t.Fatalf("events %v do not begin %v", types, order)
				}
			}
			end := []string{"response.output_text.done", "response.content_part.done", "response.output_item.done"}
			if n := len(types); n < 4 || strings.Join(types[n-4:n-1], ",") != strings.Join(end, ",") {
				t.Fatalf("events %v do not end with %v and the response", types, end)
			}
			if deltas.String() != want.OutputText() || final.OutputText() != want.OutputText() || final.Usage.OutputTokens != want.Usage.OutputTokens {
				t.Fatalf("streamed %q (final %q), plain %q", deltas.String(), final.OutputText(), want.OutputText())
			}
		}},
		{"responses function call round trip", func(t *testing.T, tg Target) {
			tools := `[{"type":"function","name":"record","description":"Record a value","strict":true,"parameters":{"type":"object","properties":{"value":{"type":"string","maxLength":8}},"required":["value"],"additionalProperties":false}}]`
			status, v, raw := postJSON(t, tg, "/v1/responses", `{"model":"`+tg.Model+`","input":"Call the tool.","max_output_tokens":64,"tools":`+tools+`,"tool_choice":{"type":"function","name":"record"}}`)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, raw)
			}
			var call map[string]any
			for _, it := range v["output"].([]any) {
				if m := it.(map[string]any); m["type"] == "function_call" {
					call = m
				}
			}
			if call == nil || call["name"] != "record" || call["call_id"] == "" {
				t.Fatalf("no function_call item: %s", raw)
			}
			args := mustJSON(t, call["arguments"].(string))
			if _, ok := args["value"].(string); !ok {
				t.Fatalf("arguments %v", args)
			}
			// The tool's output goes back as an item, the call carried by previous_response_id
			// (tools left out: a 512-token test context holds the conversation, not them too).
			next := `{"model":"` + tg.Model + `","previous_response_id":"` + v["id"].(string) + `","max_output_tokens":8` +
				`,"input":[{"type":"function_call_output","call_id":"` + call["call_id"].(string) + `","output":"stored"}]}`
			status, v2, raw := postJSON(t, tg, "/v1/responses", next)
			if status != http.StatusOK || v2["previous_response_id"] != v["id"] {
				t.Fatalf("status %d: %s", status, raw)
			}
			// The same conversation as explicit items, without previous_response_id.
			items := `[{"role":"user","content":[{"type":"input_text","text":"Call the tool."}]},{"type":"function_call","call_id":"c1","name":"record","arguments":"{\"value\":\"x\"}"},{"type":"function_call_output","call_id":"c1","output":"stored"}]`
			status, _, raw = postJSON(t, tg, "/v1/responses", `{"model":"`+tg.Model+`","max_output_tokens":8,"input":`+items+`}`)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, raw)
			}
		}},
		{"responses json_schema", func(t *testing.T, tg Target) {
			format := `{"type":"json_schema","name":"status","strict":true,"schema":{"type":"object","properties":{"status":{"type":"string","enum":["ok"]},"n":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991}},"required":["status","n"],"additionalProperties":false}}`
			for _, stream := range []string{"false", "true"} {
				status, v, raw := postJSON(t, tg, "/v1/responses", `{"model":"`+tg.Model+`","input":"Say ok.","max_output_tokens":48,"stream":`+stream+`,"text":{"format":`+format+`}}`)
				if status != http.StatusOK {
					t.Fatalf("status %d: %s", status, raw)
				}
				text := ""
				if stream == "true" {
					_, data := sseEvents(raw)
					for _, d := range data {
						if d["type"] == "response.output_text.done" {
							text = d["text"].(string)
						}
					}
				} else {
					text = v["output"].([]any)[0].(map[string]any)["content"].([]any)[0].(map[string]any)["text"].(string)
				}
				got := mustJSON(t, text)
				if got["status"] != "ok" || strings.ContainsAny(text, " \n") {
					t.Fatalf("stream %s: text %q is not compact {\"status\":\"ok\",\"n\":...}", stream, text)
				}
			}
		}},
		{"responses bad input", func(t *testing.T, tg Target) {
			for _, tc := range []struct{ body, want string }{
				{`{"model":"` + tg.Model + `","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AA=="}]}]}`, "input[0].content[0]"},
				{`{"model":"` + tg.Model + `","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}`, `"input_file"`},
				{`{"model":"` + tg.Model + `","input":"hi","tools":[{"type":"web_search_preview"}]}`, `"web_search_preview"`},
				{`{"model":"` + tg.Model + `","input":[{"type":"item_reference","id":"x"}]}`, `"item_reference"`},
				{`{"model":"` + tg.Model + `","input":"hi","previous_response_id":"resp_nope"}`, "resp_nope"},
				{`{"model":"` + tg.Model + `"}`, "input"},
			} {
				status, v, raw := postJSON(t, tg, "/v1/responses", tc.body)
				if status != http.StatusBadRequest && status != http.StatusNotFound {
					t.Fatalf("%s: status %d, want 400: %s", tc.body, status, raw)
				}
				msg, _ := v["error"].(map[string]any)["message"].(string)
				if !strings.Contains(msg, tc.want) {
					t.Fatalf("%s: message %q does not name %s", tc.body, msg, tc.want)
				}
			}
			status, _, raw := postJSON(t, tg, "/v1/responses", `{"model":"no-such-model","input":"hi","stream":true}`)
			if status != http.StatusNotFound || !bytes.Contains([]byte(raw), []byte("no-such-model")) {
				t.Fatalf("unknown model: %d %s", status, raw)
			}
		}},
	}
}
