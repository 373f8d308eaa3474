package apperr

import (
	"errors"
	"fmt"
)

// Codes clients can rely on.
const (
	BadUserInput    = "BAD_USER_INPUT"
	Unauthenticated = "UNAUTHENTICATED"
	Forbidden       = "FORBIDDEN"
	NotFound        = "NOT_FOUND"
	Conflict        = "CONFLICT"
	OutOfStock      = "OUT_OF_STOCK"
	Internal        = "INTERNAL"
	// Unavailable: a dependency (the database) could not serve the request
	// just now; the same request may succeed when retried.
	Unavailable = "UNAVAILABLE"
	Timeout     = "TIMEOUT"   // the request ran past its deadline
	Cancelled   = "CANCELLED" // the client left before the answer
)

// FieldError names one invalid input by its GraphQL input path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an error a client may see.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	// Details go to extensions under their keys (e.g. "variants" for
	// OUT_OF_STOCK); they must be safe for any client to read.
	Details map[string]any
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports a bad value of one input field.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{
		Code:    BadUserInput,
		Message: fmt.Sprintf("%s: %s", field, msg),
		Fields:  []FieldError{{Field: field, Message: msg}},
	}
}

// Conflicting reports a clash with existing data on one input field.
func Conflicting(field, format string, args ...any) *Error {
	e := Invalid(field, format, args...)
	e.Code = Conflict
	return e
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
