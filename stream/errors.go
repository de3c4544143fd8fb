package stream

import (
	"bytes"
	"errors"
)

// ErrInvalidEvent is wrapped by every error that says a record breaks the
// event contract.
var ErrInvalidEvent = errors.New("invalid event")

// ErrLeaseLost is returned by a Checkpointer when another consumer has moved
// the checkpoint since this one read it.
var ErrLeaseLost = errors.New("checkpoint lease lost")

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
