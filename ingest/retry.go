package ingest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Policy is the one retry policy of batch ingestion: per request, per run,
// and for the circuit breaker that the client keeps across runs.
//
// The policy is hand-rolled rather than taken from cenkalti/backoff (v4 or
// v5), sony/gobreaker (v2) or failsafe-go, because DESIGN.md requires every
// wait to go through an injected clock and every random draw through an
// injected *rand.Rand: backoff draws its jitter from the global math/rand and
// times its retries with time.Now and real timers; gobreaker reads
// time.Now for its states; failsafe-go uses both the global source and real
// timers. None of them takes both a clock and a source of randomness, so
// none can be replayed from a seed or run under clock.Sim.
type Policy struct {
	// RequestTimeout bounds one request, headers and body together. A
	// response that does not arrive in time is abandoned (ErrTimeout).
	// It is measured on real time: it is the one guard against a peer that
	// never answers.
	RequestTimeout time.Duration
	// RunDeadline bounds one run (one logical date) on the injected clock:
	// a wait that would end after it is not started (ErrDeadline). Zero
	// means no deadline.
	RunDeadline time.Duration
	// MaxAttempts caps the attempts of one request, the first included.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff with full jitter:
	// before retry n (1-based), wait a uniform random duration in
	// [0, min(MaxDelay, BaseDelay*2^(n-1))].
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client obeys. A 429 or
	// 503 asking for longer ends the run (ErrRetryAfterTooLong) rather than
	// retrying before the server wants.
	MaxRetryAfter time.Duration
	// Budget caps the retries of one run, over all its requests, so that an
	// outage costs at most Budget extra requests per run (ErrBudget).
	Budget int
	// BreakerThreshold is the number of consecutive retryable failures after
	// which the breaker opens; BreakerCooldown how long it stays open before
	// it lets one probe through (half-open).
	BreakerThreshold int
	BreakerCooldown  time.Duration
}

// DefaultPolicy is the policy of shoplake ingest and of the pipeline. A run
// of one date makes at most 3 + 10 requests; one request waits at most
// 0.5+1+2+4 = 7.5 s in backoff (3.75 s on average), unless the server asks
// for more with Retry-After (up to 60 s).
func DefaultPolicy() Policy {
	return Policy{
		RequestTimeout:   10 * time.Second,
		RunDeadline:      10 * time.Minute,
		MaxAttempts:      5,
		BaseDelay:        500 * time.Millisecond,
		MaxDelay:         30 * time.Second,
		MaxRetryAfter:    60 * time.Second,
		Budget:           10,
		BreakerThreshold: 8,
		BreakerCooldown:  time.Minute,
	}
}

// Validate returns an error listing every field out of range.
func (p Policy) Validate() error {
	var bad []string
	if p.RequestTimeout <= 0 {
		bad = append(bad, "RequestTimeout must be positive")
	}
	if p.RunDeadline < 0 {
		bad = append(bad, "RunDeadline must not be negative")
	}
	if p.MaxAttempts < 1 {
		bad = append(bad, "MaxAttempts must be at least 1")
	}
	if p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
		bad = append(bad, "want 0 <= BaseDelay <= MaxDelay")
	}
	if p.MaxRetryAfter < 0 || p.Budget < 0 {
		bad = append(bad, "MaxRetryAfter and Budget must not be negative")
	}
	if p.BreakerThreshold < 1 || p.BreakerCooldown <= 0 {
		bad = append(bad, "BreakerThreshold must be at least 1 and BreakerCooldown positive")
	}
	if len(bad) > 0 {
		return fmt.Errorf("ingest policy: %s", strings.Join(bad, "; "))
	}
	return nil
}

// backoff is the full-jitter wait before retry n (1-based).
func (p Policy) backoff(r *rand.Rand, n int) time.Duration {
	ceil := p.MaxDelay
	if n-1 < 62 {
		if d := p.BaseDelay << (n - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(int64(ceil) + 1))
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (relative to now). A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		if s > int64(365*24*time.Hour/time.Second) {
			s = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := httpTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func httpTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC1123, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an HTTP date: %q", v)
}

// Budget is the retry state of one run: the retries it may still make, its
// deadline, and what it spent. It is safe for concurrent use.
type Budget struct {
	mu       sync.Mutex
	left     int
	deadline time.Time // zero: none
	requests int
	retries  int
	waited   time.Duration
}

// NewBudget returns a budget of retries for a run that must end by deadline
// (zero for none).
func NewBudget(retries int, deadline time.Time) *Budget {
	return &Budget{left: retries, deadline: deadline}
}

// take spends one retry; false when none is left.
func (b *Budget) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left <= 0 {
		return false
	}
	b.left--
	b.retries++
	return true
}

func (b *Budget) sent() {
	b.mu.Lock()
	b.requests++
	b.mu.Unlock()
}

func (b *Budget) slept(d time.Duration) {
	b.mu.Lock()
	b.waited += d
	b.mu.Unlock()
}

// Requests is the number of requests sent, retries included.
func (b *Budget) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests
}

// Retries is the number of retries made.
func (b *Budget) Retries() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.retries
}

// Waited is the total time spent waiting between attempts (on the clock).
func (b *Budget) Waited() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waited
}
