package engine

import (
	"fmt"

	"github.com/perchapp/perch/engine/chat"
)

// grammarFor builds the grammar a chat request asks for: JSON output, or a forced tool call.
func grammarFor(req ChatRequest, family chat.Family, tools []chat.Tool) (string, error) {
	if req.Format != nil {
		switch req.Format.Type {
		case "json_object", "json", "":
			if len(req.Format.Schema) > 0 {
				break
			}
			return chat.JSONObjectGrammar, nil
		case "json_schema":
		default:
			return "", &Error{Kind: KindInvalid, Param: "response_format", Message: fmt.Sprintf("response_format type %q is not supported (use json_object or json_schema)", req.Format.Type)}
		}
		schemaGrammar := chat.SchemaGrammar
		if req.Format.Strict {
			schemaGrammar = chat.StrictSchemaGrammar
		}
		g, err := schemaGrammar(req.Format.Schema)
		if err != nil {
			return "", &Error{Kind: KindInvalid, Param: "response_format", Message: fmt.Sprintf("the JSON schema cannot be enforced: %v", err)}
		}
		return g, nil
	}
	if len(tools) > 0 && (req.ToolChoice.Mode == "required" || req.ToolChoice.Mode == "function") {
		g, err := chat.ToolCallGrammar(family, tools, req.ToolChoice)
		if err != nil {
			return "", &Error{Kind: KindInvalid, Param: "tool_choice", Message: err.Error()}
		}
		return g, nil
	}
	return "", nil
}
