package ingest

import "errors"

var (
	// ErrMalformed is wrapped when a response is not the JSON array of
	// objects that the endpoint serves.
	ErrMalformed = errors.New("malformed response")
	// ErrStatus is wrapped when the API answers with a status other than 200.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrTooLarge is wrapped when a response body exceeds the size limit.
	ErrTooLarge = errors.New("response too large")
)
