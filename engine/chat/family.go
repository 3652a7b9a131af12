package chat

import "strings"

// Family is the tool-call syntax a model was trained on, detected from its chat template. It
// decides how tool calls are parsed from the output and how a forced tool call is written as a
// grammar.
type Family string

// The families Perch knows. A template that matches none of them is Generic: tools are then
// described in the system prompt and the model answers with a JSON object
// {"tool_calls": [{"name": ..., "arguments": {...}}]}.
const (
	FamilyGeneric        Family = "generic"
	FamilyHermes         Family = "hermes"           // ChatML, Hermes, Qwen: <tool_call>{"name":..,"arguments":..}</tool_call>
	FamilyLlama3         Family = "llama3"           // Llama 3.x: {"name":..,"parameters":..} or <|python_tag|>
	FamilyMistral        Family = "mistral"          // [TOOL_CALLS][{...}] or [TOOL_CALLS]name[ARGS]{...}
	FamilyDeepSeekR1     Family = "deepseek-r1"      // <think>; <｜tool▁call▁begin｜>function<｜tool▁sep｜>name ```json ...```
	FamilyFunctionary    Family = "functionary"      // functionary v3.2: >>>name\n{args}
	FamilyFunctionaryV31 Family = "functionary-v3.1" // functionary v3.1 (Llama 3.1): <function=name>{args}</function>
	FamilyFireFunction   Family = "firefunction"     // firefunction v2: functools[{...}]
	FamilyCommandR       Family = "command-r"        // Command R+: Action: ```json [{"tool_name":..,"parameters":..}] ```
	FamilyCommandR7B     Family = "command-r7b"      // Command R7B: <|START_ACTION|>[...]<|END_ACTION|>, <|START_THINKING|>
	FamilyGemma          Family = "gemma"            // no native tool syntax: generic JSON
	FamilyPhi            Family = "phi"              // no native tool syntax: generic JSON
)

// DeepSeek's special tokens, written with the full-width bar and the lower one-eighth block as in
// its tokenizer.
const (
	dsCallsBegin  = "<｜tool▁calls▁begin｜>"
	dsCallsEnd    = "<｜tool▁calls▁end｜>"
	dsCallBegin   = "<｜tool▁call▁begin｜>"
	dsCallEnd     = "<｜tool▁call▁end｜>"
	dsSep         = "<｜tool▁sep｜>"
	dsEndOfSent   = "<｜end▁of▁sentence｜>"
	dsAssistantTk = "<｜Assistant｜>"
)

// DetectFamily names the tool-call family of a chat template source ("" is ChatML).
func DetectFamily(src string) Family {
	has := func(s ...string) bool {
		for _, x := range s {
			if !strings.Contains(src, x) {
				return false
			}
		}
		return true
	}
	switch {
	case src == "":
		return FamilyHermes
	case has(dsCallBegin) || has(dsCallsBegin) || has("<think>", dsAssistantTk):
		return FamilyDeepSeekR1
	case has("[TOOL_CALLS]"):
		return FamilyMistral
	case has(">>>all"):
		return FamilyFunctionary
	case has("<function=", "<|start_header_id|>"):
		return FamilyFunctionaryV31
	case has("functools["):
		return FamilyFireFunction
	case has("<|START_ACTION|>"):
		return FamilyCommandR7B
	case has("<|START_OF_TURN_TOKEN|>"):
		return FamilyCommandR
	case has("<tool_call>"):
		return FamilyHermes
	case has("<|start_header_id|>"):
		return FamilyLlama3
	case has("<start_of_turn>"):
		return FamilyGemma
	case has("<|assistant|>", "<|end|>"):
		return FamilyPhi
	case has("<|im_start|>"):
		return FamilyHermes
	}
	return FamilyGeneric
}

// detectReasoning reports whether a template knows a thinking block.
func detectReasoning(src string) bool {
	return strings.Contains(src, "<think>") || strings.Contains(src, "</think>") ||
		strings.Contains(src, "reasoning_content") || strings.Contains(src, "enable_thinking") ||
		strings.Contains(src, "<|START_THINKING|>")
}
