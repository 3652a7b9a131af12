package config

import (
	"errors"
	"fmt"
)

// FieldError is a setting the user must fix. Field names it; Code is a stable word for what
// is wrong, which the UI turns into a sentence in the user's language
// (frontend/src/lib/errors.ts); Message says it in English, with the value.
type FieldError struct {
	Field   string
	Code    string
	Message string
	Err     error // the cause, if any
}

func (e *FieldError) Error() string { return e.Message }
func (e *FieldError) Unwrap() error { return e.Err }

// Codes of FieldError.
const (
	CodeDirNotAbsolute   = "dir_not_absolute"
	CodeDirHidden        = "dir_hidden"
	CodeDirIsFile        = "dir_is_file"
	CodeDirNotWritable   = "dir_not_writable"
	CodeDirUnusable      = "dir_unusable"
	CodeInvalidAddress   = "invalid_address"
	CodeKVNeedsFlashAttn = "kv_needs_flash_attn"
	CodeKeyNeededForLAN  = "key_needed_for_lan"
)

// fieldErr formats like fmt.Errorf (%w included) and names the field and code.
func fieldErr(field, code, format string, args ...any) *FieldError {
	err := fmt.Errorf(format, args...)
	return &FieldError{Field: field, Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}
