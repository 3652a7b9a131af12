package engine

import "github.com/perchapp/perch/engine/chat"

// grammarFor is a stand-in until engine/chat's grammar builders land.
func grammarFor(req ChatRequest, _ *chat.Template, tools []chat.Tool) (string, error) {
	if req.Format != nil || (len(tools) > 0 && (req.ToolChoice.Mode == "required" || req.ToolChoice.Mode == "function")) {
		return "", &Error{Kind: KindInvalid, Param: "response_format", Message: "constrained output is not available yet"}
	}
	return "", nil
}
