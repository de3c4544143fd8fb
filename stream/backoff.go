package stream

import (
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Backoff is the one wait policy of the producer and the consumer: the
// first wait is Base, each consecutive wait that follows no progress
// doubles, up to Max, and progress brings it back to Base. Waits are taken
// on the caller's clock.Clock, so under clock.Sim they cost no real time.
//
// Without Jitter every wait is a function of what the stream answered, so
// a simulated run is reproducible; but then every process waits the same,
// and producers throttled together on one shard retry together. With
// Jitter each wait w is drawn uniformly in [w/2, w] ("equal jitter": never
// longer than without it, never under half), while the doubling follows
// the undrawn w. The simulated runs leave it nil; the CLI's produce and
// consume give it a source of their own per process (--jitter-seed).
type Backoff struct {
	Base time.Duration
	Max  time.Duration
	// Jitter, if set, is the source of the waits' jitter. A *rand.Rand is
	// not safe for concurrent use: give each producer and consumer its
	// own.
	Jitter *rand.Rand
}

// DefaultBackoff waits 100 ms first, at most 5 s. 100 ms of one shard's
// write quota is 100 records: a producer retrying after each partial
// success then keeps a throttled shard at its quota without idling it.
func DefaultBackoff() Backoff { return Backoff{Base: 100 * time.Millisecond, Max: 5 * time.Second} }

func (b Backoff) withDefaults() Backoff {
	d := DefaultBackoff()
	if b.Base <= 0 {
		b.Base = d.Base
	}
	if b.Max < b.Base {
		b.Max = max(d.Max, b.Base)
	}
	return b
}

// next returns the wait after one that lasted prev (0 for the first) when
// the last attempt made progress or not.
func (b Backoff) next(prev time.Duration, progress bool) time.Duration {
	if prev == 0 || progress {
		return b.Base
	}
	return min(prev*2, b.Max)
}

// wait returns the time to sleep for the wait w: w itself, or with Jitter
// a draw in [w/2, w].
func (b Backoff) wait(w time.Duration) time.Duration {
	if b.Jitter == nil || w <= 1 {
		return w
	}
	half := w / 2
	return half + time.Duration(b.Jitter.Int64N(int64(w-half)+1))
}

// noSDKRetries makes one call go out once: the SDK's retryer sleeps in real
// time and would hide throttling from the caller, whose own retries wait on
// its clock.
func noSDKRetries(o *kinesis.Options) { o.RetryMaxAttempts = 1 }
