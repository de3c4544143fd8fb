package pipeline

import "errors"

// ErrOtherWorld is returned when a data directory holds another world (seed
// or size) than the run asks for.
var ErrOtherWorld = errors.New("data directory holds another world")
