package kinesislocal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func TestServer_SplitShard(t *testing.T) {
	ctx := context.Background()
	t.Run("ChildrenAfterParent", func(t *testing.T) {
		_, clk, c := newTestServer(t, kinesislocal.WithRetention(time.Hour))
		mustCreateStream(t, c, "s", 2)
		before := putSpaced(t, c, clk, "s", 1)[0]
		if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String(shard0), NewStartingHashKey: aws.String("1000")}); err != nil {
			t.Fatal(err)
		}
		shards := listShards(t, c, "s")
		if got, want := len(shards), 4; got != want {
			t.Fatalf("%d shards, want %d (2 open + 1 closed + ... )", got, want)
		}
		for i, want := range []struct{ id, parent, lo, hi string }{
			{"shardId-000000000002", shard0, "0", "999"},
			{"shardId-000000000003", shard0, "1000", aws.ToString(shards[0].HashKeyRange.EndingHashKey)},
		} {
			sh := shards[2+i]
			if aws.ToString(sh.ShardId) != want.id || aws.ToString(sh.ParentShardId) != want.parent ||
				aws.ToString(sh.HashKeyRange.StartingHashKey) != want.lo || aws.ToString(sh.HashKeyRange.EndingHashKey) != want.hi {
				t.Errorf("child %d = %s parent %s [%s, %s], want %+v", i, aws.ToString(sh.ShardId), aws.ToString(sh.ParentShardId),
					aws.ToString(sh.HashKeyRange.StartingHashKey), aws.ToString(sh.HashKeyRange.EndingHashKey), want)
			}
			if got := aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber); got <= before {
				t.Errorf("child %s starts at %s, not after the parent's record %s", want.id, got, before)
			}
		}
		// A hash key the parent held now lands in a child.
		out, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), ExplicitHashKey: aws.String("5000"), Data: []byte("after")})
		if err != nil {
			t.Fatal(err)
		}
		if id := aws.ToString(out.ShardId); id != "shardId-000000000003" {
			t.Errorf("record after the split went to %s", id)
		}
		summary, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s")})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToInt32(summary.StreamDescriptionSummary.OpenShardCount); got != 3 {
			t.Errorf("OpenShardCount = %d, want 3", got)
		}
		latest, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s"), ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(latest.Shards); got != 3 {
			t.Errorf("AT_LATEST lists %d shards, want the 3 open ones", got)
		}
		// Once retention has dropped its records, the parent is gone.
		clk.Advance(time.Hour + time.Second)
		if got := len(listShards(t, c, "s")); got != 3 {
			t.Errorf("after retention, %d shards listed, want 3", got)
		}
		_, err = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if got, want := errorCode(err), "ResourceNotFoundException"; got != want {
			t.Errorf("iterator on an expired parent: %v, want %s", err, want)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		_, _, c := newTestServer(t)
		mustCreateStream(t, c, "s", 2)
		split := func(shard, key string) error {
			_, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String(shard), NewStartingHashKey: aws.String(key)})
			return err
		}
		if got, want := errorCode(split(shard0, "0")), "InvalidArgumentException"; got != want {
			t.Errorf("split at the shard's first key: %s, want %s", got, want)
		}
		if got, want := errorCode(split(shard0, "x")), "ValidationException"; got != want {
			t.Errorf("split at a non-number: %s, want %s", got, want)
		}
		if got, want := errorCode(split("shardId-000000000042", "10")), "ResourceNotFoundException"; got != want {
			t.Errorf("split a missing shard: %s, want %s", got, want)
		}
		if err := split(shard0, "10"); err != nil {
			t.Fatal(err)
		}
		if got, want := errorCode(split(shard0, "5")), "ResourceInUseException"; got != want {
			t.Errorf("split a closed shard: %s, want %s", got, want)
		}
		// shardId-2 is [0, 9], shardId-1 the upper half: not adjacent.
		_, err := c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("s"), ShardToMerge: aws.String("shardId-000000000002"), AdjacentShardToMerge: aws.String("shardId-000000000001")})
		if got, want := errorCode(err), "InvalidArgumentException"; got != want {
			t.Errorf("merge shards that do not touch: %s, want %s", got, want)
		}
		_, err = c.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("s"), ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")})
		if err != nil {
			t.Fatalf("merge adjacent shards: %v", err)
		}
	})
}

func TestServer_ShardLimits(t *testing.T) {
	ctx := context.Background()
	noRetry := func(o *kinesis.Options) { o.RetryMaxAttempts = 1 }
	t.Run("Writes", func(t *testing.T) {
		srv, clk, _ := newTestServer(t, kinesislocal.WithShardLimits(kinesislocal.AWSShardLimits()))
		c := NewTestClient(t, srv, noRetry)
		mustCreateStream(t, c, "s", 1)
		accepted := 0
		for range 3 {
			out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(500, 10)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				if r.ErrorCode == nil {
					accepted++
				} else if aws.ToString(r.ErrorCode) != "ProvisionedThroughputExceededException" {
					t.Fatalf("ErrorCode = %s", aws.ToString(r.ErrorCode))
				}
			}
		}
		if accepted != 1000 {
			t.Fatalf("accepted %d records in one instant, want the 1,000 of one second's quota", accepted)
		}
		_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")})
		var pte *types.ProvisionedThroughputExceededException
		if !errors.As(err, &pte) {
			t.Fatalf("PutRecord over quota: err = %v, want ProvisionedThroughputExceededException", err)
		}
		clk.Advance(250 * time.Millisecond)
		out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries(500, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := 500-int(aws.ToInt32(out.FailedRecordCount)), 250; got != want {
			t.Fatalf("after 250ms, %d accepted, want %d", got, want)
		}
	})
	t.Run("WriteBytes", func(t *testing.T) {
		srv, clk, _ := newTestServer(t, kinesislocal.WithShardLimits(kinesislocal.ShardLimits{WriteBytesPerSecond: 1 << 20}))
		c := NewTestClient(t, srv, noRetry)
		mustCreateStream(t, c, "s", 1)
		big := bytes.Repeat([]byte{'x'}, 1<<20)
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: big}); err != nil {
			t.Fatalf("a 1 MiB record on a full allowance: %v", err)
		}
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")}); errorCode(err) != "ProvisionedThroughputExceededException" {
			t.Fatalf("right after 1 MiB: err = %v, want ProvisionedThroughputExceededException", err)
		}
		clk.Advance(time.Second)
		if _, err := c.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("x")}); err != nil {
			t.Fatalf("a second later: %v", err)
		}
	})
	t.Run("Reads", func(t *testing.T) {
		srv, clk, _ := newTestServer(t, kinesislocal.WithShardLimits(kinesislocal.AWSShardLimits()))
		c := NewTestClient(t, srv, noRetry)
		mustCreateStream(t, c, "s", 1)
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: aws.String(shard0), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); errorCode(err) != "ProvisionedThroughputExceededException" {
			t.Fatalf("sixth call in a second: err = %v, want ProvisionedThroughputExceededException", err)
		}
		clk.Advance(200 * time.Millisecond)
		if _, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); err != nil {
			t.Fatalf("200ms later: %v", err)
		}
	})
}

func TestOpen_Persistence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := clock.NewSim(testStart)
	srv, err := kinesislocal.Open(dir, clk)
	if err != nil {
		t.Fatal(err)
	}
	c := NewTestClient(t, srv)
	mustCreateStream(t, c, "gone", 1)
	mustCreateStream(t, c, "s", 2)
	putSpaced(t, c, clk, "s", 3)
	if _, err := c.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("s"), ShardToSplit: aws.String(shard0), NewStartingHashKey: aws.String("77")}); err != nil {
		t.Fatal(err)
	}
	putSpaced(t, c, clk, "s", 2)
	if _, err := c.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	snapshot := func(c *kinesis.Client) string {
		var b strings.Builder
		for _, sh := range listShards(t, c, "s") {
			b.WriteString(aws.ToString(sh.ShardId) + " " + aws.ToString(sh.ParentShardId) + " " + aws.ToString(sh.SequenceNumberRange.EndingSequenceNumber) + "\n")
			for _, r := range readShard(t, c, "s", aws.ToString(sh.ShardId), &kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, 0) {
				b.WriteString("  " + aws.ToString(r.SequenceNumber) + " " + string(r.Data) + " " + aws.ToTime(r.ApproximateArrivalTimestamp).String() + "\n")
			}
		}
		return b.String()
	}
	want := snapshot(c)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn line, as a crash in the middle of a write leaves it.
	logs, _ := filepath.Glob(filepath.Join(dir, "*-s.jsonl"))
	if len(logs) != 1 {
		t.Fatalf("journals of s: %v", logs)
	}
	f, err := os.OpenFile(logs[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(`{"op":"put","t":1,"sha`)
	_ = f.Close()

	clk2 := clock.NewSim(clk.Now().Add(time.Minute))
	srv2, err := kinesislocal.Open(dir, clk2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv2.Close() })
	c2 := NewTestClient(t, srv2)
	if got := snapshot(c2); got != want {
		t.Fatalf("after a restart:\n%s\nwant:\n%s", got, want)
	}
	t.Run("WritesContinue", func(t *testing.T) {
		out, err := c2.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("s"), PartitionKey: aws.String("k"), Data: []byte("later")})
		if err != nil {
			t.Fatal(err)
		}
		recs := readShard(t, c2, "s", aws.ToString(out.ShardId), &kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeTrimHorizon}, 0)
		if got := recs[len(recs)-1]; aws.ToString(got.SequenceNumber) != aws.ToString(out.SequenceNumber) || len(recs) < 2 ||
			aws.ToString(recs[len(recs)-2].SequenceNumber) >= aws.ToString(out.SequenceNumber) {
			t.Fatalf("the record after the restart is not last in its shard: %v", aws.ToString(out.SequenceNumber))
		}
	})
	t.Run("DeletedStreamStaysDeleted", func(t *testing.T) {
		_, err := c2.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("gone")})
		if got, want := errorCode(err), "ResourceNotFoundException"; got != want {
			t.Fatalf("deleted stream: %v, want %s", err, want)
		}
		mustCreateStream(t, c2, "gone", 1)
		out, err := c2.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("gone"), PartitionKey: aws.String("k"), Data: []byte("x")})
		if err != nil {
			t.Fatal(err)
		}
		// Ordinal 3: after "gone" (1) and "s" (2), never reused.
		if got := aws.ToString(out.SequenceNumber)[:10]; got != "4000000003" {
			t.Fatalf("sequence number %s of the recreated stream, want ordinal 3", aws.ToString(out.SequenceNumber))
		}
	})
}
