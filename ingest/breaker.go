package ingest

import (
	"fmt"
	"sync"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
)

// BreakerState is the state of a Breaker.
type BreakerState int

// The states of a Breaker.
const (
	BreakerClosed   BreakerState = iota // calls go through
	BreakerOpen                         // calls are refused until the cool-down ends
	BreakerHalfOpen                     // one probe call goes through
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", int(s))
}

// Breaker is a circuit breaker on an injected clock. After Threshold
// consecutive failures it opens and refuses every call for Cooldown; then it
// lets one probe through (half-open): a success closes it, a failure opens
// it for another Cooldown. It is safe for concurrent use.
type Breaker struct {
	Threshold int
	Cooldown  time.Duration
	Clock     clock.Clock

	mu       sync.Mutex
	state    BreakerState
	failures int       // consecutive, while closed
	openedAt time.Time // when it last opened
	probing  bool      // a half-open probe is in flight
	opened   int       // times it opened
}

// Allow reports whether a call may go out now. It returns an error wrapping
// ErrBreakerOpen, with the time it will let a probe through, if not. A
// caller that was allowed must report the outcome with Success, Failure or
// Abandon.
func (b *Breaker) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerOpen:
		ready := b.openedAt.Add(b.Cooldown)
		if b.Clock.Now().Before(ready) {
			return fmt.Errorf("%w until %s", ErrBreakerOpen, ready.Format(time.RFC3339))
		}
		b.state = BreakerHalfOpen
		b.probing = true
		return nil
	case BreakerHalfOpen:
		if b.probing {
			return fmt.Errorf("%w: a probe is in flight", ErrBreakerOpen)
		}
		b.probing = true
	}
	return nil
}

// Success records a call that reached the server and got an answer.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state, b.failures, b.probing = BreakerClosed, 0, false
}

// Abandon records a call whose outcome says nothing about the server (the
// caller gave up): a half-open breaker lets the next call probe instead.
func (b *Breaker) Abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// Failure records a call that failed in a way worth retrying (the server is
// down, slow or overloaded).
func (b *Breaker) Failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerHalfOpen:
		b.open()
	case BreakerClosed:
		b.failures++
		if b.failures >= b.Threshold {
			b.open()
		}
	}
}

func (b *Breaker) open() {
	b.state, b.failures, b.probing = BreakerOpen, 0, false
	b.openedAt = b.Clock.Now()
	b.opened++
}

// State returns the current state (an open breaker whose cool-down has
// passed still reads open until the next Allow).
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Opened returns how many times the breaker has opened.
func (b *Breaker) Opened() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opened
}
