package stream

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Backoff is the one wait policy of the producer and the consumer: the
// first wait is Base, each consecutive wait that follows no progress
// doubles, up to Max, and progress brings it back to Base. Waits are taken
// on the caller's clock.Clock, so under clock.Sim they cost no real time.
//
// There is no jitter: every wait is a function of what the stream
// answered, so a run is reproducible. Jitter spreads the retries of many
// independent clients; shoplake's producers and consumers are few and
// already paced by the per-record answers of PutRecords.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
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

// noSDKRetries makes one call go out once: the SDK's retryer sleeps in real
// time and would hide throttling from the caller, whose own retries wait on
// its clock.
func noSDKRetries(o *kinesis.Options) { o.RetryMaxAttempts = 1 }
