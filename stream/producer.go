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
	// MaxAttempts bounds the tries of one record (default 8).
	MaxAttempts int
	// Backoff is the first wait before retrying failed records (default
	// 100ms); it doubles on each retry, capped at 5s.
	Backoff time.Duration
}

// PutStats counts what a Put attempted and what the stream acknowledged.
type PutStats struct {
	Attempted    int // events handed to Put
	Acknowledged int // events the stream accepted
	Retried      int // record sends that had to be repeated
	Calls        int // PutRecords calls
}

// Put sends events in batches within AWS's limits (500 records, 5 MiB), with
// the session id as partition key so a session's events stay in order on
// one shard. Records that fail inside a successful call are retried alone,
// with exponential backoff on the producer's clock. It returns an error if
// an event cannot be encoded, is larger than 1 MiB, or is still refused
// after MaxAttempts; the stats then say how many were acknowledged.
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
	wait := p.Backoff
	if wait <= 0 {
		wait = 100 * time.Millisecond
	}
	attempts := p.MaxAttempts
	if attempts <= 0 {
		attempts = 8
	}
	var lastErr error
	for try := 1; try <= attempts; try++ {
		if try > 1 {
			st.Retried += len(pending)
			if err := p.Clock.Sleep(ctx, wait); err != nil {
				return err
			}
			wait = min(wait*2, 5*time.Second)
		}
		st.Calls++
		out, err := p.Client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(p.Stream), Records: pending})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			lastErr = err
			continue
		}
		var failed []types.PutRecordsRequestEntry
		for i, r := range out.Records {
			if r.ErrorCode != nil {
				failed = append(failed, pending[i])
				lastErr = fmt.Errorf("%s: %s", aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
				continue
			}
			st.Acknowledged++
		}
		if len(failed) == 0 {
			return nil
		}
		pending = failed
	}
	return fmt.Errorf("put %d records to %s after %d attempts: %w", len(pending), p.Stream, attempts, lastErr)
}
