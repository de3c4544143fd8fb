package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
)

// AWS's PutRecords limits.
const (
	MaxBatchRecords = 500
	MaxBatchBytes   = 5 << 20
	MaxRecordBytes  = 1 << 20
)

// Producer puts events on a stream.
type Producer struct {
	Client KinesisAPI
	Stream string
	Clock  clock.Clock
	// MaxAttempts bounds the consecutive PutRecords calls of one batch that
	// land nothing (default 8): a call that lands some records resets the
	// count, so a throttled stream is ridden out however long it takes to
	// drain the batch at the shards' quota, while a stream that accepts
	// nothing fails the Put after about 11 s of backoff.
	MaxAttempts int
	// Backoff paces the retries (default DefaultBackoff): the wait doubles
	// after a call that landed nothing and falls back to Base after one
	// that landed some.
	Backoff Backoff
}

// PutStats counts what a Put attempted and what the stream acknowledged.
type PutStats struct {
	Attempted    int           // events handed to Put
	Acknowledged int           // events the stream accepted
	Retried      int           // record sends that had to be repeated
	Throttled    int           // record sends refused for the shard's throughput
	Failed       int           // events given up (still refused after MaxAttempts)
	Calls        int           // PutRecords calls
	Waited       time.Duration // backoff slept on the clock
}

// Add adds o to s.
func (s *PutStats) Add(o PutStats) {
	s.Attempted += o.Attempted
	s.Acknowledged += o.Acknowledged
	s.Retried += o.Retried
	s.Throttled += o.Throttled
	s.Failed += o.Failed
	s.Calls += o.Calls
	s.Waited += o.Waited
}

// Put sends events in batches within AWS's limits (500 records, 5 MiB), with
// the session id as partition key so a session's events stay in order on
// one shard (a retried record may land after later ones of its session;
// consumers order by event_time, not by arrival). Records that fail inside
// a successful call (ProvisionedThroughputExceeded, InternalFailure) are
// retried alone, with backoff on the producer's clock; a whole call that
// fails with a retryable error is retried the same way (the SDK's own
// retries, which sleep in real time, are off). It returns an error if an
// event cannot be encoded, is larger than 1 MiB, the stream refuses a call
// for good (IsRetryable false), or a batch lands nothing MaxAttempts times
// in a row; the stats then say how many were acknowledged.
func (p *Producer) Put(ctx context.Context, events []Event) (PutStats, error) {
	st := PutStats{Attempted: len(events)}
	var batch []types.PutRecordsRequestEntry
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := p.putBatch(ctx, batch, &st)
		batch, size = batch[:0], 0
		return err
	}
	for i := range events {
		data, err := json.Marshal(&events[i])
		if err != nil {
			return st, fmt.Errorf("encode event %s: %w", events[i].EventID, err)
		}
		key := events[i].SessionID
		n := len(data) + len(key)
		if n > MaxRecordBytes {
			return st, fmt.Errorf("event %s: %d bytes exceeds the 1 MiB record limit", events[i].EventID, n)
		}
		if len(batch) == MaxBatchRecords || size+n > MaxBatchBytes {
			if err := flush(); err != nil {
				return st, err
			}
		}
		batch = append(batch, types.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(key)})
		size += n
	}
	return st, flush()
}

func (p *Producer) putBatch(ctx context.Context, batch []types.PutRecordsRequestEntry, st *PutStats) error {
	pending := append([]types.PutRecordsRequestEntry(nil), batch...)
	bo := p.Backoff.withDefaults()
	attempts := p.MaxAttempts
	if attempts <= 0 {
		attempts = 8
	}
	var (
		wait     time.Duration
		progress bool
		barren   int // consecutive calls that landed nothing
		lastErr  error
	)
	for {
		if st.Calls > 0 && lastErr != nil {
			st.Retried += len(pending)
			wait = bo.next(wait, progress)
			if err := p.Clock.Sleep(ctx, wait); err != nil {
				return err
			}
			st.Waited += wait
		}
		st.Calls++
		out, err := p.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(p.Stream), Records: pending}, noSDKRetries)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !IsRetryable(err) {
				st.Failed += len(pending)
				return fmt.Errorf("put %d records to %s: %w", len(pending), p.Stream, err)
			}
			lastErr, progress = err, false
		} else {
			var failed []types.PutRecordsRequestEntry
			for i, r := range out.Records {
				if r.ErrorCode == nil {
					continue
				}
				failed = append(failed, pending[i])
				if code := aws.ToString(r.ErrorCode); code == "ProvisionedThroughputExceededException" {
					st.Throttled++
				}
				lastErr = fmt.Errorf("%s: %s", aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
			}
			landed := len(pending) - len(failed)
			st.Acknowledged += landed
			if len(failed) == 0 {
				return nil
			}
			pending, progress = failed, landed > 0
		}
		if progress {
			barren = 0
		} else if barren++; barren >= attempts {
			st.Failed += len(pending)
			return fmt.Errorf("put %d records to %s: nothing landed in %d calls in a row: %w", len(pending), p.Stream, attempts, lastErr)
		}
	}
}
