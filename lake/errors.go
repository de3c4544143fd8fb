package lake

import (
	"bytes"
	"errors"
	"fmt"
)

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
	// ErrForeign is returned by Get, with ErrChecksum, when the object
	// carries no recorded SHA-256 (x-amz-meta-sha256): shoplake did not
	// write it (another tool uploaded it, or a file was dropped into a
	// local lake's folder), so its body cannot be trusted.
	ErrForeign = errors.New("object not written by shoplake (no sha256 recorded)")
	// ErrInvalidKey is returned when a key part built from data could
	// escape its prefix or is not allowed in a key.
	ErrInvalidKey = errors.New("invalid object key")
)

// HeadBytes is how many of a rejected body's first bytes a ChecksumError
// keeps, for a person to see what the object is.
const HeadBytes = 64

// ChecksumError is the error Get returns for a body it cannot trust: the
// body's SHA-256 differs from the one recorded at write (corrupt), or no
// SHA-256 was recorded (foreign). It wraps ErrChecksum, and ErrForeign when
// Recorded is empty.
type ChecksumError struct {
	Key      string
	Got      string // hex SHA-256 of the body read
	Recorded string // hex SHA-256 recorded at write; "" if none
	Size     int64  // bytes read
	Head     []byte // the body's first HeadBytes bytes
}

func (e *ChecksumError) Error() string {
	if e.Recorded == "" {
		return fmt.Sprintf("get %s: %v (body sha256 %s, %d bytes)", e.Key, ErrForeign, e.Got, e.Size)
	}
	return fmt.Sprintf("get %s: %v: body sha256 %s, recorded %s (%d bytes)", e.Key, ErrChecksum, e.Got, e.Recorded, e.Size)
}

// Unwrap makes errors.Is see ErrChecksum, and ErrForeign for an object
// with no recorded SHA-256.
func (e *ChecksumError) Unwrap() []error {
	if e.Recorded == "" {
		return []error{ErrChecksum, ErrForeign}
	}
	return []error{ErrChecksum}
}

// Reason says in plain words why the body was refused.
func (e *ChecksumError) Reason() string {
	if e.Recorded == "" {
		return "not written by shoplake (no sha256 recorded)"
	}
	return "corrupt: sha256 differs from the one recorded at write"
}

// checkBody returns a *ChecksumError unless body's SHA-256 is recorded.
func checkBody(key string, body []byte, recorded string) error {
	got := sha256Hex(body)
	if recorded != "" && got == recorded {
		return nil
	}
	return &ChecksumError{Key: key, Got: got, Recorded: recorded, Size: int64(len(body)), Head: bytes.Clone(body[:min(len(body), HeadBytes)])}
}
