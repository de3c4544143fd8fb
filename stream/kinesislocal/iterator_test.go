package kinesislocal_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

const shard0 = "shardId-000000000000"

// putSpaced puts n records "r0".."r<n-1>" into the single shard of stream,
// one a second from the clock's time, and returns their sequence numbers.
func putSpaced(tb testing.TB, c *kinesis.Client, clk *clock.Sim, stream string, n int) []string {
	tb.Helper()
	var seqs []string
	for i := range n {
		out, err := c.PutRecord(context.Background(), &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String("k"), Data: fmt.Appendf(nil, "r%d", i)})
		if err != nil {
			tb.Fatal(err)
		}
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
		clk.Advance(time.Second)
	}
	return seqs
}

func dataOf(recs []types.Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, string(r.Data))
	}
	return fmt.Sprint(s)
}

func TestServer_GetShardIterator(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		seqs := putSpaced(t, c, clk, "s", 3) // r0 at testStart, r1 at +1s, r2 at +2s
		for _, tc := range []struct {
			name string
			in   kinesis.GetShardIteratorInput
			want string
		}{
			{"TrimHorizon", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, "[r0 r1 r2]"},
			{"Latest", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeLatest}, "[]"},
			{"AtSequenceNumber", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(seqs[1])}, "[r1 r2]"},
			{"AfterSequenceNumber", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: aws.String(seqs[1])}, "[r2]"},
			{"AfterLastSequenceNumber", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: aws.String(seqs[2])}, "[]"},
			{"AtTimestamp", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(testStart.Add(time.Second))}, "[r1 r2]"},
			{"AtTimestampBetween", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(testStart.Add(1500 * time.Millisecond))}, "[r2]"},
			{"AtTimestampBefore", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(testStart.Add(-time.Hour))}, "[r0 r1 r2]"},
			{"AtTimestampAfter", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(testStart.Add(time.Hour))}, "[]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				if got, want := dataOf(readShard(t, c, "s", shard0, &in, 0)), tc.want; got != want {
					t.Errorf("records = %s, want %s", got, want)
				}
			})
		}
	})
	t.Run("LatestSeesNewRecords", func(t *testing.T) {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		putSpaced(t, c, clk, "s", 2)
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeLatest})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("new")}); err != nil {
			t.Fatal(err)
		}
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := dataOf(out.Records), "[new]"; got != want {
			t.Errorf("records = %s, want %s", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		for _, in := range []*kinesis.GetShardIteratorInput{
			{StreamName: aws.String("s"), ShardId: aws.String("shardId-000000000001"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon},
			{StreamName: aws.String("nope"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon},
		} {
			_, err := c.GetShardIterator(ctx, in)
			var e *types.ResourceNotFoundException
			if !errors.As(err, &e) {
				t.Errorf("%s/%s: err = %v, want ResourceNotFoundException", *in.StreamName, *in.ShardId, err)
			}
		}
	})
	t.Run("ErrInvalidArgument", func(t *testing.T) {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		mustCreateStream(t, c, "other", 1)
		otherSeq := putSpaced(t, c, clk, "other", 1)[0]
		for name, in := range map[string]*kinesis.GetShardIteratorInput{
			"SeqOfOtherStream": {ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(otherSeq)},
			"NoSeq":            {ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber},
			"NoTimestamp":      {ShardIteratorType: types.ShardIteratorTypeAtTimestamp},
		} {
			in.StreamName, in.ShardId = aws.String("s"), aws.String(shard0)
			_, err := c.GetShardIterator(ctx, in)
			var e *types.InvalidArgumentException
			if !errors.As(err, &e) {
				t.Errorf("%s: err = %v, want InvalidArgumentException", name, err)
			}
		}
	})
}

func TestServer_GetRecords(t *testing.T) {
	ctx := context.Background()
	t.Run("MillisBehindLatest", func(t *testing.T) {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		putSpaced(t, c, clk, "s", 3) // at +0s, +1s, +2s; the clock is then at +3s
		clk.Advance(7 * time.Second) // +10s
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for _, step := range []struct {
			limit  int32
			data   string
			behind int64
		}{
			{1, "[r0]", 10000},
			{1, "[r1]", 9000},
			{10, "[r2]", 0},
			{10, "[]", 0},
		} {
			out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(step.limit)})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := dataOf(out.Records), step.data; got != want {
				t.Errorf("records = %s, want %s", got, want)
			}
			if got, want := aws.ToInt64(out.MillisBehindLatest), step.behind; got != want {
				t.Errorf("after %s: MillisBehindLatest = %d, want %d", step.data, got, want)
			}
			iter = out.NextShardIterator
		}
	})
	t.Run("ErrExpiredIterator", func(t *testing.T) {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(5 * time.Minute)
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatalf("GetRecords at 5 minutes: %v", err)
		}
		clk.Advance(5 * time.Minute)
		// The iterator just returned is fresh; the first one has expired.
		if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: out.NextShardIterator}); err != nil {
			t.Fatalf("GetRecords with the next iterator: %v", err)
		}
		_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		var e *types.ExpiredIteratorException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ExpiredIteratorException", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("s")}); err != nil {
			t.Fatal(err)
		}
		mustCreateStream(t, c, "s", 1) // a new stream of the same name
		_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
		var e *types.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("ErrInvalidArgument", func(t *testing.T) {
		_, _, c := newTestServer(t)
		_, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("not-an-iterator")})
		var e *types.InvalidArgumentException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want InvalidArgumentException", err)
		}
	})
	t.Run("ErrLimit", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(10001)})
		if got, want := errorCode(err), "ValidationException"; got != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
	})
	t.Run("Retention", func(t *testing.T) {
		_, clk, c := newTestServer(t, kinesislocal.WithRetention(time.Hour))
		mustCreateStream(t, c, "s", 1)
		putSpaced(t, c, clk, "s", 2)
		clk.Advance(time.Hour - 1500*time.Millisecond) // r0 is past retention, r1 is not
		in := &kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		if got, want := dataOf(readShard(t, c, "s", shard0, in, 0)), "[r1]"; got != want {
			t.Errorf("records = %s, want %s", got, want)
		}
	})
}
