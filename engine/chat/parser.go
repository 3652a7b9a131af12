package chat

// ParserOptions say how to read a model's output.
type ParserOptions struct {
	Family          Family
	Tools           bool
	Reasoning       bool
	ThinkingStarted bool
}
