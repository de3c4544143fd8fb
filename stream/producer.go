package stream

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

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

// Producer puts events, or raw records as clients send them, on a stream.
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
	// that landed some; Backoff.Jitter, if set, spreads each wait.
	Backoff Backoff
}

// Record is one record as a client sends it: payload bytes and partition key.
type Record struct {
	Data         []byte
	PartitionKey string
}

// MaxPartitionKeyLen is Kinesis's limit on a partition key, in Unicode
// characters (which is what Kinesis counts, not bytes).
const MaxPartitionKeyLen = 256

// The reasons a record is rejected before sending, as keys of
// PutStats.RejectedReasons.
const (
	RejectOverMaxRecord     = "over 1 MiB"
	RejectEmptyPartitionKey = "empty partition key"
	RejectLongPartitionKey  = "partition key over 256 characters"
	RejectEmptyData         = "empty data"
)

// PutStats counts what a Put or PutRecords attempted and what the stream
// acknowledged. Every record handed in is counted in Attempted; the
// acknowledged, rejected and failed ones are disjoint, and a record that is
// in none of them was never sent because the call returned an error first.
type PutStats struct {
	Attempted    int // records (events) handed to Put or PutRecords
	Acknowledged int // records the stream accepted
	Rejected     int // records refused before sending (over 1 MiB, bad partition key); never acknowledged
	Retried      int // record sends that had to be repeated
	Throttled    int // record sends refused for the shard's throughput
	Failed       int // records given up (still refused after MaxAttempts, or refused for good)
	// Unanswered counts the records of PutRecords calls that got no
	// answer (a retryable error: a timeout, a dropped connection) and were
	// sent again: the stream may have taken the first send too, so each
	// may be on it twice.
	Unanswered int
	Calls      int           // PutRecords calls
	Waited     time.Duration // backoff slept on the clock
	// RejectedReasons counts the Rejected records by reason (the Reject*
	// constants: "over 1 MiB", "empty partition key", "partition key over
	// 256 characters", "empty data"); nil when none was rejected. Its values
	// add up to Rejected.
	RejectedReasons map[string]int
}

// Add adds o to s, merging o's RejectedReasons into s's (allocated if nil).
func (s *PutStats) Add(o PutStats) {
	s.Attempted += o.Attempted
	s.Acknowledged += o.Acknowledged
	s.Rejected += o.Rejected
	s.Retried += o.Retried
	s.Throttled += o.Throttled
	s.Failed += o.Failed
	s.Unanswered += o.Unanswered
	s.Calls += o.Calls
	s.Waited += o.Waited
	for reason, n := range o.RejectedReasons {
		if s.RejectedReasons == nil {
			s.RejectedReasons = make(map[string]int, len(o.RejectedReasons))
		}
		s.RejectedReasons[reason] += n
	}
}

// reject counts one record refused before sending for reason.
func (s *PutStats) reject(reason string) {
	s.Rejected++
	if s.RejectedReasons == nil {
		s.RejectedReasons = map[string]int{}
	}
	s.RejectedReasons[reason]++
}

// Unsent counts recs as PutRecords would if it sent none of them: each
// attempted, and those it would refuse before sending rejected with their
// reason. A caller that sends a long list in parts uses it for the parts
// after one that failed, so that the stats are those of one call over the
// whole list (which refuses records before sending and stops at the
// failing batch).
func Unsent(recs []Record) PutStats {
	st := PutStats{Attempted: len(recs)}
	for _, r := range recs {
		if reason := rejectReason(r); reason != "" {
			st.reject(reason)
		}
	}
	return st
}

// rejectReason returns why Kinesis would refuse r outright (failing the
// whole PutRecords call), or "" if it would not.
func rejectReason(r Record) string {
	switch {
	case len(r.Data) == 0:
		return RejectEmptyData
	case r.PartitionKey == "":
		return RejectEmptyPartitionKey
	case utf8.RuneCountInString(r.PartitionKey) > MaxPartitionKeyLen:
		return RejectLongPartitionKey
	case len(r.Data)+len(r.PartitionKey) > MaxRecordBytes:
		return RejectOverMaxRecord
	}
	return ""
}

// Put encodes each event as JSON with its session id as partition key, so
// a session's events stay in order on one shard (a retried record may land
// after later ones of its session; consumers order by event_time, not by
// arrival), and sends them with PutRecords. If an event cannot be encoded
// it returns an error and sends nothing. An event whose record is larger
// than 1 MiB (or has an empty session id, or one over 256 characters) is
// not sent and does not fail the Put: it is counted in the stats' Rejected
// and RejectedReasons, as PutRecords does. The other errors and the stats
// are those of PutRecords.
func (p *Producer) Put(ctx context.Context, events []Event) (PutStats, error) {
	recs := make([]Record, len(events))
	for i := range events {
		data, err := events[i].Encode()
		if err != nil {
			return PutStats{Attempted: len(events)}, fmt.Errorf("encode event %s: %w", events[i].EventID, err)
		}
		recs[i] = Record{Data: data, PartitionKey: events[i].SessionID}
	}
	return p.PutRecords(ctx, recs)
}

// PutRecords sends recs as they are, in order, in batches within AWS's
// limits (500 records, 5 MiB of data and partition keys per call). It does
// not look inside the payloads: bytes that are not JSON, or not an event,
// are sent like any other.
//
// A record Kinesis would refuse outright, failing the whole call it is in,
// is not sent and does not fail PutRecords: one whose data and partition
// key add up to more than MaxRecordBytes (1 MiB), with an empty partition
// key or one over MaxPartitionKeyLen (256) characters, or with empty data.
// Each is counted in the stats' Rejected, its reason in RejectedReasons,
// and never acknowledged. Rejection happens before anything is sent, so it
// does not depend on how the sending goes.
//
// Records that fail inside a successful call (ProvisionedThroughputExceeded,
// InternalFailure) are retried alone, with backoff on the producer's clock;
// a whole call that fails with a retryable error is retried the same way
// (the SDK's own retries, which sleep in real time, are off). It returns an
// error if the stream refuses a call for good (IsRetryable false), a batch
// lands nothing MaxAttempts times in a row, or ctx ends; the stats then
// say how many were acknowledged, and the batches after the failing one
// are not sent.
func (p *Producer) PutRecords(ctx context.Context, recs []Record) (PutStats, error) {
	st := PutStats{Attempted: len(recs)}
	batch := make([]types.PutRecordsRequestEntry, 0, min(len(recs), MaxBatchRecords))
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := p.putBatch(ctx, batch, &st)
		batch, size = batch[:0], 0
		return err
	}
	valid := make([]bool, len(recs))
	for i, r := range recs {
		if reason := rejectReason(r); reason != "" {
			st.reject(reason)
			continue
		}
		valid[i] = true
	}
	for i, r := range recs {
		if !valid[i] {
			continue
		}
		n := len(r.Data) + len(r.PartitionKey)
		if len(batch) == MaxBatchRecords || size+n > MaxBatchBytes {
			if err := flush(); err != nil {
				return st, err
			}
		}
		batch = append(batch, types.PutRecordsRequestEntry{Data: r.Data, PartitionKey: aws.String(r.PartitionKey)})
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
			d := bo.wait(wait)
			if err := p.Clock.Sleep(ctx, d); err != nil {
				return err
			}
			st.Waited += d
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
			st.Unanswered += len(pending)
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
