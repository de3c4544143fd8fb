package kinesislocal

import (
	"errors"
	"fmt"
)

// The error types the server answers with. Each is the `__type` of a JSON
// error body and the value of the x-amzn-ErrorType header, exactly as AWS
// spells them, so that aws-sdk-go-v2 decodes them into its typed errors
// (for example *types.ResourceNotFoundException).
const (
	codeResourceNotFound     = "ResourceNotFoundException"
	codeResourceInUse        = "ResourceInUseException"
	codeInvalidArgument      = "InvalidArgumentException"
	codeExpiredIterator      = "ExpiredIteratorException"
	codeValidation           = "ValidationException"
	codeThroughputExceeded   = "ProvisionedThroughputExceededException"
	codeLimitExceeded        = "LimitExceededException"
	codeSerialization        = "SerializationException"
	codeUnknownOperation     = "UnknownOperationException"
	codeInternalFailure      = "InternalFailure"
	codeUnsupportedMediaType = "UnsupportedMediaTypeException"
)

// errNotAPIError marks errors that have no Kinesis error type; the server
// answers them as InternalFailure with status 500.
var errNotAPIError = errors.New("not a Kinesis API error")

// apiError is an error the server sends to the client: an HTTP status, a
// Kinesis error type and a message.
type apiError struct {
	code    string
	status  int
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// newError returns a client error (HTTP 400) of the given type.
func newError(code, format string, args ...any) *apiError {
	return &apiError{code: code, status: 400, message: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *apiError {
	return newError(codeResourceNotFound, format, args...)
}

func errInUse(format string, args ...any) *apiError {
	return newError(codeResourceInUse, format, args...)
}

func errInvalid(format string, args ...any) *apiError {
	return newError(codeInvalidArgument, format, args...)
}

// errValidation reports a violated model constraint (length, range,
// pattern) in the style of AWS's "1 validation error detected" messages.
func errValidation(format string, args ...any) *apiError {
	return newError(codeValidation, "1 validation error detected: "+format, args...)
}

// asAPIError converts err into the error that goes on the wire.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return &apiError{code: codeInternalFailure, status: 500, message: fmt.Errorf("%w: %v", errNotAPIError, err).Error()}
}
