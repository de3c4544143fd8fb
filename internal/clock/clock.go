// Package clock is the only place where shoplake reads time. Core code takes
// a Clock; the CLI passes Real, the simulator and tests pass a *Sim that the
// runner advances, so that one seed fixes every timestamp of a run.
package clock

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Clock tells the time and waits. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current time in UTC.
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever comes first, and
	// returns ctx.Err() in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock. Only cmd/ should construct it.
type Real struct{}

var _ Clock = Real{}

// Now returns the wall-clock time in UTC.
func (Real) Now() time.Time { return time.Now().UTC() }

// Sleep waits on a real timer.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sim is a simulated clock. It only moves when Advance or Set is called, or
// when Sleep advances it by the requested duration (a simulated wait costs no
// real time). The zero value is not usable; call NewSim.
type Sim struct {
	mu  sync.Mutex
	now time.Time
}

var _ Clock = (*Sim)(nil)

// NewSim returns a simulated clock that reads start (converted to UTC).
func NewSim(start time.Time) *Sim { return &Sim{now: start.UTC()} }

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Advance moves the clock forward by d and returns the new time. A negative d
// is ignored: simulated time never goes backwards.
func (s *Sim) Advance(d time.Duration) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.now = s.now.Add(d)
	}
	return s.now
}

// Set moves the clock to t. It returns an error if t is before the current
// time, because simulated time never goes backwards.
func (s *Sim) Set(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Before(s.now) {
		return fmt.Errorf("set simulated clock to %s: before current time %s", t.UTC().Format(time.RFC3339Nano), s.now.Format(time.RFC3339Nano))
	}
	s.now = t.UTC()
	return nil
}

// Sleep advances the simulated clock by d without waiting.
func (s *Sim) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.Advance(d)
	return nil
}
