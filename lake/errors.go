package lake

import "errors"

var (
	// ErrExists is returned by PutIfAbsent when the key is already written.
	ErrExists = errors.New("object already exists")
	// ErrChanged is returned by PutIfMatch when the object is no longer the
	// version the caller read (its ETag differs, or it was deleted).
	ErrChanged = errors.New("object changed since read")
	// ErrNotFound is returned by Get when there is no object at the key.
	ErrNotFound = errors.New("object not found")
	// ErrChecksum is returned by Get when the body does not match the
	// SHA-256 recorded when it was written.
	ErrChecksum = errors.New("object checksum mismatch")
	// ErrInvalidKey is returned when a key part built from data could
	// escape its prefix or is not allowed in a key.
	ErrInvalidKey = errors.New("invalid object key")
)
