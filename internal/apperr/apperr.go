// Package apperr is Linli's one error type. Every failure a user may see
// carries a Code (which picks the HTTP status), a translation Key with its
// Args (which picks the words, in the user's language), optional per-field
// messages, and the wrapped cause for the log. Anything that is not an
// *Error is treated as Internal: logged with its cause, shown as a plain
// "internal error".
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code classifies an error; each maps to one HTTP status.
type Code string

const (
	Malformed       Code = "malformed"       // 400: cannot be parsed
	Unauthenticated Code = "unauthenticated" // 401
	Forbidden       Code = "forbidden"       // 403
	NotFound        Code = "not_found"       // 404, also for rows outside one's scope
	Conflict        Code = "conflict"        // 409
	TooLarge        Code = "too_large"       // 413
	Unsupported     Code = "unsupported"     // 415
	Invalid         Code = "invalid"         // 422: parsed, but fields are wrong
	RateLimited     Code = "rate_limited"    // 429
	Internal        Code = "internal"        // 500
)

var statuses = map[Code]int{
	Malformed:       http.StatusBadRequest,
	Unauthenticated: http.StatusUnauthorized,
	Forbidden:       http.StatusForbidden,
	NotFound:        http.StatusNotFound,
	Conflict:        http.StatusConflict,
	TooLarge:        http.StatusRequestEntityTooLarge,
	Unsupported:     http.StatusUnsupportedMediaType,
	Invalid:         http.StatusUnprocessableEntity,
	RateLimited:     http.StatusTooManyRequests,
	Internal:        http.StatusInternalServerError,
}

// Status is the HTTP status for a code.
func (c Code) Status() int {
	if s, ok := statuses[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldError is one field's problem, as a translation key and arguments.
type FieldError struct {
	Key  string
	Args map[string]any
}

// Error is a user-facing error.
type Error struct {
	Code   Code
	Key    string         // i18n key, e.g. "error.not_found"
	Args   map[string]any // values for the key's placeholders
	Fields map[string]FieldError
	Err    error // cause, for logs only
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Key
	if len(e.Fields) > 0 {
		s += fmt.Sprintf(" %v", e.Fields)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an error with a code and translation key.
func New(code Code, key string) *Error { return &Error{Code: code, Key: key} }

// Wrap makes an error of code with key that keeps err as its cause.
func Wrap(err error, code Code, key string) *Error { return &Error{Code: code, Key: key, Err: err} }

// With returns a copy carrying placeholder values.
func (e *Error) With(args map[string]any) *Error {
	c := *e
	c.Args = args
	return &c
}

// Field records a field problem and returns e, for chaining while validating.
func (e *Error) Field(name, key string, args map[string]any) *Error {
	if e.Fields == nil {
		e.Fields = map[string]FieldError{}
	}
	e.Fields[name] = FieldError{Key: key, Args: args}
	return e
}

// From returns the *Error in err's chain, or an Internal error wrapping err.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Key: "error.internal", Err: err}
}

// CodeOf returns the code of err (Internal for foreign errors, "" for nil).
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Validation collects field errors; Err returns nil when there were none.
type Validation struct{ e *Error }

// Add records a problem with field.
func (v *Validation) Add(field, key string, args map[string]any) {
	if v.e == nil {
		v.e = New(Invalid, "error.invalid")
	}
	v.e.Field(field, key, args)
}

// Has reports whether field already has a problem.
func (v *Validation) Has(field string) bool {
	if v.e == nil {
		return false
	}
	_, ok := v.e.Fields[field]
	return ok
}

// Err returns the collected error or nil.
func (v *Validation) Err() error {
	if v.e == nil {
		return nil
	}
	return v.e
}

// Common errors. They are values to compare codes with, not to mutate.
func NotFoundErr() *Error        { return New(NotFound, "error.not_found") }
func ForbiddenErr() *Error       { return New(Forbidden, "error.forbidden") }
func UnauthenticatedErr() *Error { return New(Unauthenticated, "error.unauthenticated") }
