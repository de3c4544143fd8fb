package kinesislocal_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func TestServer_PutRecords(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "clicks", 4)
		shards := listShards(t, c, "clicks")

		type put struct {
			seq, key, data string
			at             time.Time
		}
		want := map[string][]put{} // by shard id, in put order
		const total, batch = 2000, 500
		for b := 0; b < total/batch; b++ {
			var entries []types.PutRecordsRequestEntry
			for i := b * batch; i < (b+1)*batch; i++ {
				entries = append(entries, types.PutRecordsRequestEntry{
					PartitionKey: aws.String(fmt.Sprintf("user-%d-%x", i, i*7919)),
					Data:         fmt.Appendf(nil, "event %04d", i),
				})
			}
			out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("clicks"), Records: entries})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToInt32(out.FailedRecordCount), int32(0); got != want {
				t.Fatalf("FailedRecordCount = %d, want %d", got, want)
			}
			if got, want := len(out.Records), batch; got != want {
				t.Fatalf("results = %d, want %d", got, want)
			}
			for i, r := range out.Records {
				key := aws.ToString(entries[i].PartitionKey)
				if got, want := aws.ToString(r.ShardId), shardForKey(t, shards, key); got != want {
					t.Fatalf("record %q went to %s, want %s (by MD5 range)", key, got, want)
				}
				id := aws.ToString(r.ShardId)
				want[id] = append(want[id], put{seq: aws.ToString(r.SequenceNumber), key: key, data: string(entries[i].Data), at: clk.Now()})
			}
			clk.Advance(time.Second)
		}

		n := 0
		for _, sh := range shards {
			id := aws.ToString(sh.ShardId)
			puts := want[id]
			if len(puts) == 0 {
				t.Errorf("shard %s got no record of %d", id, total)
			}
			got := readShard(t, c, "clicks", id, &kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, 173)
			if len(got) != len(puts) {
				t.Fatalf("shard %s: read %d records, want %d", id, len(got), len(puts))
			}
			for i, r := range got {
				p := puts[i]
				if got, want := aws.ToString(r.SequenceNumber), p.seq; got != want {
					t.Fatalf("shard %s record %d: SequenceNumber = %s, want %s", id, i, got, want)
				}
				if got, want := len(p.seq), 56; got != want {
					t.Fatalf("len(SequenceNumber) = %d, want %d", got, want)
				}
				if i > 0 && !(puts[i-1].seq < p.seq) {
					t.Fatalf("shard %s: sequence numbers not increasing: %s then %s", id, puts[i-1].seq, p.seq)
				}
				if got, want := string(r.Data), p.data; got != want {
					t.Fatalf("shard %s record %d: Data = %q, want %q", id, i, got, want)
				}
				if got, want := aws.ToString(r.PartitionKey), p.key; got != want {
					t.Fatalf("shard %s record %d: PartitionKey = %q, want %q", id, i, got, want)
				}
				if got, want := aws.ToTime(r.ApproximateArrivalTimestamp), p.at; !got.Equal(want) {
					t.Fatalf("shard %s record %d: ApproximateArrivalTimestamp = %s, want %s", id, i, got, want)
				}
			}
			n += len(got)
		}
		if got, want := n, total; got != want {
			t.Errorf("read %d records in all, want %d", got, want)
		}
	})
	t.Run("ErrTooManyRecords", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		_, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(501, 10)})
		var e *types.ValidationException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ValidationException", err)
		}
	})
	t.Run("ErrRecordTooLarge", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(1, 1<<20)}); err != nil {
			t.Fatalf("1 MiB record: %v", err)
		}
		_, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(1, 1<<20+1)})
		var e *types.ValidationException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ValidationException", err)
		}
	})
	t.Run("ErrRequestTooLarge", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		_, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(6, 1<<20-100)})
		var e *types.InvalidArgumentException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want InvalidArgumentException", err)
		}
		// Nothing was written.
		if got := readShard(t, c, "s", "shardId-000000000000", &kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, 0); len(got) != 0 {
			t.Errorf("read %d records, want 0", len(got))
		}
	})
	t.Run("ErrPartitionKey", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		for _, key := range []string{"", strings.Repeat("k", 257)} {
			_, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String(key), Data: []byte("x")}}})
			var e *types.ValidationException
			if !errors.As(err, &e) {
				t.Errorf("key of %d chars: err = %v, want ValidationException", len(key), err)
			}
		}
		if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{PartitionKey: aws.String(strings.Repeat("é", 256)), Data: []byte("x")}}}); err != nil {
			t.Errorf("key of 256 characters: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		_, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("nope"), Records: entries(1, 1)})
		var e *types.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("Throttled", func(t *testing.T) {
		limiter := kinesislocal.WriteLimiterFunc(func(stream, shardID string, now time.Time, bytes int) bool {
			return shardID != "shardId-000000000000"
		})
		_, _, c := newTestServer(t, kinesislocal.WithWriteLimiter(limiter))
		mustCreateStream(t, c, "s", 2)
		shards := listShards(t, c, "s")
		in := entries(100, 10)
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: in})
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for i, r := range out.Records {
			onShard0 := shardForKey(t, shards, aws.ToString(in[i].PartitionKey)) == "shardId-000000000000"
			if onShard0 {
				failed++
				if got, want := aws.ToString(r.ErrorCode), "ProvisionedThroughputExceededException"; got != want {
					t.Errorf("record %d: ErrorCode = %q, want %q", i, got, want)
				}
				if r.SequenceNumber != nil {
					t.Errorf("record %d: failed but has SequenceNumber %s", i, *r.SequenceNumber)
				}
			} else if r.ErrorCode != nil || r.SequenceNumber == nil {
				t.Errorf("record %d: ErrorCode = %v, SequenceNumber = %v, want written", i, aws.ToString(r.ErrorCode), r.SequenceNumber)
			}
		}
		if got, want := int(aws.ToInt32(out.FailedRecordCount)), failed; got != want || failed == 0 {
			t.Errorf("FailedRecordCount = %d, want %d (> 0)", got, want)
		}
	})
}

func TestServer_PutRecord(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 4)
		shards := listShards(t, c, "s")
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("hello")})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(out.ShardId), shardForKey(t, shards, "k"); got != want {
			t.Errorf("ShardId = %s, want %s", got, want)
		}
		if got, want := aws.ToString(out.SequenceNumber), aws.ToString(shardOf(shards, aws.ToString(out.ShardId)).SequenceNumberRange.StartingSequenceNumber); got != want {
			t.Errorf("first SequenceNumber = %s, want the shard's starting one %s", got, want)
		}
	})
	t.Run("ExplicitHashKey", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 4)
		shards := listShards(t, c, "s")
		for i, sh := range shards {
			for _, hk := range []string{aws.ToString(sh.HashKeyRange.StartingHashKey), aws.ToString(sh.HashKeyRange.EndingHashKey)} {
				out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String(hk), Data: []byte("x")})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := aws.ToString(out.ShardId), aws.ToString(shards[i].ShardId); got != want {
					t.Errorf("ExplicitHashKey %s: ShardId = %s, want %s", hk, got, want)
				}
			}
		}
	})
	t.Run("ErrExplicitHashKey", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String("340282366920938463463374607431768211456"), Data: []byte("x")})
		var e *types.InvalidArgumentException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want InvalidArgumentException", err)
		}
	})
	t.Run("ErrRecordTooLarge", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 1)
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: make([]byte, 1<<20+1)})
		var e *types.ValidationException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ValidationException", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, c := newTestServer(t)
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("nope"), PartitionKey: aws.String("k"), Data: []byte("x")})
		var e *types.ResourceNotFoundException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ResourceNotFoundException", err)
		}
	})
	t.Run("ErrThrottled", func(t *testing.T) {
		var calls atomic.Int32
		limiter := kinesislocal.WriteLimiterFunc(func(string, string, time.Time, int) bool { calls.Add(1); return false })
		srv, _, _ := newTestServer(t, kinesislocal.WithWriteLimiter(limiter))
		c := NewTestClient(t, srv, func(o *kinesis.Options) { o.RetryMaxAttempts = 1 })
		mustCreateStream(t, c, "s", 1)
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")})
		var e *types.ProvisionedThroughputExceededException
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want ProvisionedThroughputExceededException", err)
		}
		if got, want := calls.Load(), int32(1); got != want {
			t.Errorf("AllowWrite calls = %d, want %d", got, want)
		}
	})
}

// TestServer_Determinism feeds two servers the same calls and expects the
// same answers, sequence numbers included.
func TestServer_Determinism(t *testing.T) {
	run := func() []string {
		_, clk, c := newTestServer(t)
		mustCreateStream(t, c, "a", 3)
		mustCreateStream(t, c, "b", 2)
		var seqs []string
		for round := range 5 {
			for _, name := range []string{"a", "b"} {
				out, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: entries(50, round+1)})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range out.Records {
					seqs = append(seqs, aws.ToString(r.ShardId)+"/"+aws.ToString(r.SequenceNumber))
				}
			}
			clk.Advance(time.Duration(round) * time.Millisecond)
		}
		return seqs
	}
	a, b := run(), run()
	if got, want := len(a), 500; got != want {
		t.Fatalf("records = %d, want %d", got, want)
	}
	for i := range a {
		if got, want := b[i], a[i]; got != want {
			t.Fatalf("record %d: second server said %s, first %s", i, got, want)
		}
	}
}

// entries returns n records with distinct partition keys and size bytes of
// data each.
func entries(n, size int) []types.PutRecordsRequestEntry {
	out := make([]types.PutRecordsRequestEntry, n)
	for i := range out {
		out[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("key-%d", i)), Data: bytes.Repeat([]byte{'x'}, size)}
	}
	return out
}

// shardForKey returns the id of the shard whose hash key range contains the
// MD5 of key, computed independently of the server.
func shardForKey(tb testing.TB, shards []types.Shard, key string) string {
	tb.Helper()
	sum := md5.Sum([]byte(key))
	k := new(big.Int).SetBytes(sum[:])
	for _, sh := range shards {
		lo, _ := new(big.Int).SetString(aws.ToString(sh.HashKeyRange.StartingHashKey), 10)
		hi, _ := new(big.Int).SetString(aws.ToString(sh.HashKeyRange.EndingHashKey), 10)
		if lo.Cmp(k) <= 0 && k.Cmp(hi) <= 0 {
			return aws.ToString(sh.ShardId)
		}
	}
	tb.Fatalf("no shard covers the hash key %s of %q", k, key)
	return ""
}

func shardOf(shards []types.Shard, id string) types.Shard {
	for _, sh := range shards {
		if aws.ToString(sh.ShardId) == id {
			return sh
		}
	}
	return types.Shard{}
}

// readShard opens an iterator on a shard as in describes (stream and shard
// filled in here) and reads with GetRecords (limit per call, 0 for the
// default) until a call returns no record and MillisBehindLatest 0.
func readShard(tb testing.TB, c *kinesis.Client, stream, shardID string, in *kinesis.GetShardIteratorInput, limit int32) []types.Record {
	tb.Helper()
	ctx := context.Background()
	in.StreamName, in.ShardId = aws.String(stream), aws.String(shardID)
	it, err := c.GetShardIterator(ctx, in)
	if err != nil {
		tb.Fatalf("GetShardIterator %s %s: %v", shardID, in.ShardIteratorType, err)
	}
	var recs []types.Record
	iter := it.ShardIterator
	for range 10000 {
		gr := &kinesis.GetRecordsInput{ShardIterator: iter}
		if limit > 0 {
			gr.Limit = aws.Int32(limit)
		}
		out, err := c.GetRecords(ctx, gr)
		if err != nil {
			tb.Fatalf("GetRecords: %v", err)
		}
		recs = append(recs, out.Records...)
		if len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
			return recs
		}
		if out.NextShardIterator == nil {
			tb.Fatalf("GetRecords: no NextShardIterator on an open shard")
		}
		iter = out.NextShardIterator
	}
	tb.Fatalf("GetRecords never caught up")
	return nil
}
