package kinesislocal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// ConformanceEndpointEnv names the environment variable that points the
// conformance suite at another Kinesis implementation: an endpoint URL
// (moto_server, a `shoplake serve` in another process), or "aws" for Kinesis
// itself with the default credential chain and AWS_REGION. Unset, the suite
// runs against this package's server on a simulated clock. With it,
// KINESIS_CONFORMANCE_IMPL must name the implementation (ConformanceImplEnv).
//
// The variable deliberately lacks the SHOPLAKE_ prefix: the configuration
// rejects unknown SHOPLAKE_ variables, and this one is not configuration.
const ConformanceEndpointEnv = "KINESIS_CONFORMANCE_ENDPOINT"

// conformance is the endpoint under test.
type conformance struct {
	client      *kinesis.Client
	clk         clock.Clock // waits for ACTIVE: simulated locally, real remotely
	remote      bool
	prefix      string         // of stream names, unique per run remotely
	divergences *divergenceLog // of the implementation under test
}

// newConformance returns the endpoint under test. When tb ends, it fails tb
// for every registered divergence the run checked and did not observe.
func newConformance(tb testing.TB) conformance {
	tb.Helper()
	ep := os.Getenv(ConformanceEndpointEnv)
	impl, err := conformanceImpl(ep)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("implementation under test: %s (%s=%q)", impl, ConformanceEndpointEnv, ep)
	divs := newDivergenceLog(tb, impl)
	if ep == "" {
		clk := clock.NewSim(testStart)
		return conformance{client: NewTestClient(tb, kinesislocal.New(clk)), clk: clk, prefix: "conf-", divergences: divs}
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	cfg, err := config.LoadDefaultAWS(context.Background(), region)
	if err != nil {
		tb.Fatal(err)
	}
	client := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
		if ep != "aws" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	// Remote streams outlive a failed run; a unique prefix keeps runs apart.
	return conformance{client: client, clk: clock.Real{}, remote: true, prefix: fmt.Sprintf("shoplake-conf-%d-", time.Now().UnixNano()), divergences: divs}
}

// create makes a stream of n shards, waits until it is ACTIVE and deletes
// it when the test ends.
func (c conformance) create(tb testing.TB, name string, n int32) string {
	tb.Helper()
	ctx := context.Background()
	name = c.prefix + name
	if _, err := c.client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(n)}); err != nil {
		tb.Fatalf("CreateStream: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = c.client.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: aws.String(name)})
	})
	c.waitActive(tb, name)
	return name
}

func (c conformance) waitActive(tb testing.TB, name string) {
	tb.Helper()
	ctx := context.Background()
	for range 300 {
		out, err := c.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil {
			tb.Fatalf("DescribeStreamSummary: %v", err)
		}
		if out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		_ = c.clk.Sleep(ctx, time.Second)
	}
	tb.Fatalf("stream %s never became ACTIVE", name)
}

// shards lists every shard of name, following NextToken.
func (c conformance) shards(tb testing.TB, name string) []types.Shard {
	tb.Helper()
	var out []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(name)}
	for {
		page, err := c.client.ListShards(context.Background(), in)
		if err != nil {
			tb.Fatalf("ListShards: %v", err)
		}
		out = append(out, page.Shards...)
		if page.NextToken == nil {
			return out
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken}
	}
}

// readToEnd reads a shard from TRIM_HORIZON until it is caught up (open
// shard) or closed (no NextShardIterator), and returns the records and the
// last response.
func (c conformance) readToEnd(tb testing.TB, name, shardID string) ([]types.Record, *kinesis.GetRecordsOutput) {
	tb.Helper()
	ctx := context.Background()
	it, err := c.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String(shardID), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		tb.Fatalf("GetShardIterator %s: %v", shardID, err)
	}
	var recs []types.Record
	iter := it.ShardIterator
	for range 1000 {
		out, err := c.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			tb.Fatalf("GetRecords %s: %v", shardID, err)
		}
		recs = append(recs, out.Records...)
		if out.NextShardIterator == nil || (len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0) {
			return recs, out
		}
		iter = out.NextShardIterator
		if c.remote {
			_ = c.clk.Sleep(ctx, 250*time.Millisecond) // 5 GetRecords/s per shard
		}
	}
	tb.Fatalf("shard %s never ended", shardID)
	return nil, nil
}

func bigInt(tb testing.TB, s *string) *big.Int {
	tb.Helper()
	v, ok := new(big.Int).SetString(aws.ToString(s), 10)
	if !ok {
		tb.Fatalf("not a decimal integer: %q", aws.ToString(s))
	}
	return v
}

// checkCoverage fails unless the shards' hash ranges are contiguous and
// cover [0, 2^128-1].
func checkCoverage(tb testing.TB, shards []types.Shard) {
	tb.Helper()
	sort.Slice(shards, func(i, j int) bool {
		return bigInt(tb, shards[i].HashKeyRange.StartingHashKey).Cmp(bigInt(tb, shards[j].HashKeyRange.StartingHashKey)) < 0
	})
	next := big.NewInt(0)
	for _, sh := range shards {
		if lo := bigInt(tb, sh.HashKeyRange.StartingHashKey); lo.Cmp(next) != 0 {
			tb.Fatalf("shard %s starts at %s, want %s", aws.ToString(sh.ShardId), lo, next)
		}
		next = new(big.Int).Add(bigInt(tb, sh.HashKeyRange.EndingHashKey), big.NewInt(1))
	}
	if want := new(big.Int).Lsh(big.NewInt(1), 128); next.Cmp(want) != 0 {
		tb.Fatalf("shards end at %s, want 2^128-1", new(big.Int).Sub(next, big.NewInt(1)))
	}
}

// TestConformance checks, through the real SDK client, the behaviour of
// Kinesis that shoplake relies on. Run it against another implementation
// with KINESIS_CONFORMANCE_ENDPOINT=<url> (or =aws) and
// KINESIS_CONFORMANCE_IMPL=<moto|aws|local>. Where the implementation is
// known to differ from AWS (divergences), the subtest logs DIVERGENCE and
// passes; the suite fails if a registered divergence it checks is gone.
func TestConformance(t *testing.T) {
	ctx := context.Background()
	c := newConformance(t)

	t.Run("StreamLifecycle", func(t *testing.T) {
		name := c.create(t, "lifecycle", 2)
		out, err := c.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToInt32(out.StreamDescriptionSummary.OpenShardCount), int32(2); got != want {
			t.Errorf("OpenShardCount = %d, want %d", got, want)
		}
		ls, err := c.client.ListStreams(ctx, &kinesis.ListStreamsInput{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range ls.StreamNames {
			found = found || n == name
		}
		if !found && !aws.ToBool(ls.HasMoreStreams) {
			t.Errorf("ListStreams %v lacks %s", ls.StreamNames, name)
		}
		shards := c.shards(t, name)
		if len(shards) != 2 {
			t.Fatalf("%d shards, want 2", len(shards))
		}
		for _, sh := range shards {
			if sh.SequenceNumberRange.StartingSequenceNumber == nil || sh.SequenceNumberRange.EndingSequenceNumber != nil {
				t.Errorf("open shard %s: sequence range %+v", aws.ToString(sh.ShardId), sh.SequenceNumberRange)
			}
		}
		checkCoverage(t, shards)
		_, err = c.client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)})
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			t.Errorf("CreateStream of an existing name: err = %v, want ResourceInUseException", err)
		}
	})

	t.Run("PutRecordsRoutesByMD5AndOrders", func(t *testing.T) {
		name := c.create(t, "put", 3)
		shards := c.shards(t, name)
		ents := make([]types.PutRecordsRequestEntry, 200)
		for i := range ents {
			ents[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("session-%d", i%37)), Data: fmt.Appendf(nil, `{"n":%d}`, i)}
		}
		out, err := c.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: ents})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(out.FailedRecordCount) != 0 || len(out.Records) != len(ents) {
			t.Fatalf("FailedRecordCount %d, %d results", aws.ToInt32(out.FailedRecordCount), len(out.Records))
		}
		want := map[string][]string{} // shard -> data in put order
		last := map[string]*big.Int{}
		for i, r := range out.Records {
			id := aws.ToString(r.ShardId)
			if got, want := id, shardForKey(t, shards, aws.ToString(ents[i].PartitionKey)); got != want {
				t.Fatalf("record %d went to %s, want %s (MD5 range)", i, got, want)
			}
			seq := bigInt(t, r.SequenceNumber)
			if last[id] != nil && seq.Cmp(last[id]) <= 0 {
				t.Fatalf("shard %s: sequence number %s after %s", id, seq, last[id])
			}
			last[id] = seq
			want[id] = append(want[id], string(ents[i].Data))
		}
		one, err := c.client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("session-0"), Data: []byte(`{"n":"one"}`)})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(one.ShardId)] = append(want[aws.ToString(one.ShardId)], `{"n":"one"}`)
		for _, sh := range shards {
			id := aws.ToString(sh.ShardId)
			recs, _ := c.readToEnd(t, name, id)
			var got []string
			for _, r := range recs {
				got = append(got, string(r.Data))
			}
			if fmt.Sprint(got) != fmt.Sprint(want[id]) {
				t.Errorf("shard %s read %v, want %v", id, got, want[id])
			}
		}
	})

	t.Run("Iterators", func(t *testing.T) {
		name := c.create(t, "iter", 1)
		before := c.clk.Now().Add(-time.Minute)
		var seqs []string
		for i := range 3 {
			out, err := c.client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("k"), Data: fmt.Appendf(nil, "r%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, aws.ToString(out.SequenceNumber))
		}
		shard := aws.ToString(c.shards(t, name)[0].ShardId)
		for _, tc := range []struct {
			name string
			in   kinesis.GetShardIteratorInput
			want string
		}{
			{"AtSequenceNumber", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(seqs[1])}, "[r1 r2]"},
			{"AfterSequenceNumber", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAfterSequenceNumber, StartingSequenceNumber: aws.String(seqs[1])}, "[r2]"},
			{"Latest", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeLatest}, "[]"},
			{"AtTimestamp", kinesis.GetShardIteratorInput{ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: aws.Time(before)}, "[r0 r1 r2]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.StreamName, in.ShardId = aws.String(name), aws.String(shard)
				it, err := c.client.GetShardIterator(ctx, &in)
				if err != nil {
					t.Fatal(err)
				}
				out, err := c.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
				if err != nil {
					t.Fatal(err)
				}
				if got := dataOf(out.Records); got != tc.want {
					t.Errorf("records = %s, want %s", got, tc.want)
				}
				if out.NextShardIterator == nil {
					t.Error("open shard: no NextShardIterator")
				}
			})
		}
	})

	t.Run("Errors", func(t *testing.T) {
		name := c.create(t, "errors", 1)
		t.Run("MissingStream", func(t *testing.T) {
			_, err := c.client.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(c.prefix + "missing")})
			if got, want := errorCode(err), "ResourceNotFoundException"; got != want {
				t.Errorf("describe a missing stream: %v, want %s", err, want)
			}
		})
		t.Run("TooManyRecords", func(t *testing.T) {
			_, err := c.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: entries(501, 1)})
			if got, want := errorCode(err), "ValidationException"; got != want {
				t.Errorf("501 records: %v, want %s", err, want)
			}
		})
		t.Run("RecordOver1MiB", func(t *testing.T) {
			_, err := c.client.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("k"), Data: bytes.Repeat([]byte{'x'}, 1<<20+1)})
			c.expectAWS(t, "moto/accepts-oversize-record", errorCode(err) == "ValidationException", "PutRecord of 1 MiB + 1 byte: err = %v, want ValidationException", err)
		})
		t.Run("RecordsEntryOver1MiB", func(t *testing.T) {
			ents := entries(2, 1)
			ents[1].Data = bytes.Repeat([]byte{'x'}, 1<<20+1)
			_, err := c.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: ents})
			if got, want := errorCode(err), "ValidationException"; got != want {
				t.Errorf("PutRecords with an entry of 1 MiB + 1 byte: %v, want %s", err, want)
			}
		})
		t.Run("MissingShard", func(t *testing.T) {
			_, err := c.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: aws.String("shardId-000000000099"), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if got, want := errorCode(err), "ResourceNotFoundException"; got != want {
				t.Errorf("a missing shard: %v, want %s", err, want)
			}
		})
	})

	// SplitAndMerge splits a one-shard stream, then merges the two
	// children. Its subtests check, in turn, the end of the closed parent,
	// where records go after the split and where they go after the merge;
	// each starts from the state the previous steps left.
	t.Run("SplitAndMerge", func(t *testing.T) {
		name := c.create(t, "reshard", 1)
		parent := c.shards(t, name)[0]
		pid := aws.ToString(parent.ShardId)
		// put writes 60 records tagged tag and returns their data by shard.
		put := func(t *testing.T, tag string) map[string][]string {
			t.Helper()
			ents := make([]types.PutRecordsRequestEntry, 60)
			for i := range ents {
				ents[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("k%d", i)), Data: fmt.Appendf(nil, "%s%d", tag, i)}
			}
			out, err := c.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(name), Records: ents})
			if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
				t.Fatalf("PutRecords: %v (%d failed)", err, aws.ToInt32(out.FailedRecordCount))
			}
			by := map[string][]string{}
			for i, r := range out.Records {
				by[aws.ToString(r.ShardId)] = append(by[aws.ToString(r.ShardId)], string(ents[i].Data))
			}
			return by
		}
		// holds fails t unless shard id holds exactly want, in order.
		holds := func(t *testing.T, id string, want []string) {
			t.Helper()
			recs, _ := c.readToEnd(t, name, id)
			if got := dataOf(recs); got != fmt.Sprint(want) {
				t.Errorf("shard %s holds %s, want %v", id, got, want)
			}
		}
		before := put(t, "a")
		lo, hi := bigInt(t, parent.HashKeyRange.StartingHashKey), bigInt(t, parent.HashKeyRange.EndingHashKey)
		mid := new(big.Int).Rsh(new(big.Int).Add(lo, hi), 1)
		if _, err := c.client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String(name), ShardToSplit: aws.String(pid), NewStartingHashKey: aws.String(mid.String())}); err != nil {
			t.Fatal(err)
		}
		c.waitActive(t, name)
		shards := c.shards(t, name)
		var children []types.Shard
		for _, sh := range shards {
			switch {
			case aws.ToString(sh.ShardId) == pid:
				if sh.SequenceNumberRange.EndingSequenceNumber == nil {
					t.Errorf("split parent %s has no EndingSequenceNumber", pid)
				}
			case aws.ToString(sh.ParentShardId) == pid:
				children = append(children, sh)
			}
		}
		if len(children) != 2 {
			t.Fatalf("%d children of %s, want 2: %+v", len(children), pid, shards)
		}
		checkCoverage(t, append([]types.Shard(nil), children...))
		a, b := aws.ToString(children[0].ShardId), aws.ToString(children[1].ShardId)

		t.Run("ParentEnds", func(t *testing.T) {
			recs, last := c.readToEnd(t, name, pid)
			if got, want := dataOf(recs), fmt.Sprint(before[pid]); got != want {
				t.Errorf("the closed parent holds %s, want the records put before the split %s", got, want)
			}
			if !c.expectAWS(t, "moto/closed-shard-never-ends", last.NextShardIterator == nil, "the end of the closed parent %s has a NextShardIterator", pid) {
				return
			}
			var got []string
			for _, ch := range last.ChildShards {
				got = append(got, aws.ToString(ch.ShardId))
			}
			want := []string{a, b}
			sort.Strings(got)
			sort.Strings(want)
			c.expectAWS(t, "moto/closed-shard-never-ends", fmt.Sprint(got) == fmt.Sprint(want), "ChildShards at the end of the parent = %v, want %v", got, want)
		})

		t.Run("WritesToChildren", func(t *testing.T) {
			after := put(t, "b")
			if !c.expectAWS(t, "moto/writes-to-closed-shard", after[pid] == nil, "%d of the 60 records put after the split went to the closed parent %s", len(after[pid]), pid) {
				return
			}
			holds(t, a, after[a])
			holds(t, b, after[b])
		})

		if _, err := c.client.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String(name), ShardToMerge: aws.String(a), AdjacentShardToMerge: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		c.waitActive(t, name)
		var merged *types.Shard
		for _, sh := range c.shards(t, name) {
			if aws.ToString(sh.ParentShardId) == a && aws.ToString(sh.AdjacentParentShardId) == b {
				merged = &sh
			}
		}
		if merged == nil {
			t.Fatal("no shard with ParentShardId and AdjacentParentShardId of the merged pair")
		}
		if bigInt(t, merged.HashKeyRange.StartingHashKey).Cmp(lo) != 0 || bigInt(t, merged.HashKeyRange.EndingHashKey).Cmp(hi) != 0 {
			t.Errorf("merged range %+v, want the parent's", merged.HashKeyRange)
		}
		mergedID := aws.ToString(merged.ShardId)

		t.Run("WritesToMerged", func(t *testing.T) {
			after := put(t, "c")
			counts := map[string]int{}
			for id, recs := range after {
				counts[id] = len(recs)
			}
			if !c.expectAWS(t, "moto/writes-to-closed-shard", len(after) == 1 && after[mergedID] != nil, "the 60 records put after the merge went to %v, want all in %s", counts, mergedID) {
				return
			}
			holds(t, mergedID, after[mergedID]) // the merged shard starts empty: its parents keep their records
		})
	})
}
