package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func TestProducer_Put(t *testing.T) {
	ctx := context.Background()
	t.Run("ThrottlingRiddenOut", func(t *testing.T) {
		// AWS's quotas enforced on the stream's clock, which the producer's
		// backoff advances: 6,000 events on 2 shards need about 2 s of quota
		// beyond the first second's burst.
		client, clk := newKinesisWith(t, 2, kinesislocal.WithShardLimits(kinesislocal.AWSShardLimits()))
		events := makeEvents(70, 6000)
		start := clk.Now()
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk}).Put(ctx, events)
		if err != nil {
			t.Fatal(err)
		}
		if st.Acknowledged != len(events) || st.Failed != 0 {
			t.Fatalf("acknowledged %d, failed %d, want %d and 0", st.Acknowledged, st.Failed, len(events))
		}
		if st.Throttled == 0 || st.Retried == 0 {
			t.Fatalf("nothing was throttled: %+v", st)
		}
		elapsed := clk.Now().Sub(start)
		if elapsed != st.Waited || elapsed < 1500*time.Millisecond {
			t.Fatalf("the clock moved %s, the producer waited %s: want the waits, at least 1.5 s", elapsed, st.Waited)
		}
		// Every acknowledged event is in the stream, once.
		store := laketest.NewStore(t)
		if _, err := consumerOn(client, store, "c", clk).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		assertExactlyOnce(t, store, events)
	})
	t.Run("ErrNothingLands", func(t *testing.T) {
		refuse := kinesislocal.WriteLimiterFunc(func(string, string, time.Time, int) bool { return false })
		client, clk := newKinesisWith(t, 1, kinesislocal.WithWriteLimiter(refuse))
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk, MaxAttempts: 4}).Put(ctx, makeEvents(71, 10))
		if err == nil || !strings.Contains(err.Error(), "ProvisionedThroughputExceededException") {
			t.Fatalf("err = %v, want the throttling named", err)
		}
		if st.Calls != 4 || st.Failed != 10 || st.Acknowledged != 0 {
			t.Fatalf("stats %+v, want 4 calls and 10 failed", st)
		}
	})
	t.Run("JitterPerSource", func(t *testing.T) {
		// Five waits after calls that land nothing: 0.1+0.2+0.4+0.8+1.6 s
		// without jitter, the same in every process; with Backoff.Jitter,
		// each wait w is drawn in [w/2, w] from the source given.
		refuse := kinesislocal.WriteLimiterFunc(func(string, string, time.Time, int) bool { return false })
		waited := func(r *rand.Rand) time.Duration {
			t.Helper()
			client, clk := newKinesisWith(t, 1, kinesislocal.WithWriteLimiter(refuse))
			p := &stream.Producer{Client: client, Stream: "clicks", Clock: clk, MaxAttempts: 6, Backoff: stream.Backoff{Jitter: r}}
			start := clk.Now()
			st, err := p.Put(ctx, makeEvents(74, 10))
			if err == nil || st.Calls != 6 {
				t.Fatalf("err = %v after %d calls, want a failure after 6", err, st.Calls)
			}
			if got := clk.Now().Sub(start); got != st.Waited {
				t.Fatalf("the clock moved %s, the producer counts %s of waits", got, st.Waited)
			}
			return st.Waited
		}
		const fixed = 3100 * time.Millisecond
		if got := waited(nil); got != fixed {
			t.Fatalf("without jitter: waited %s, want %s", got, fixed)
		}
		a, b := waited(rng.New(1, "stream/backoff")), waited(rng.New(2, "stream/backoff"))
		for _, w := range []time.Duration{a, b} {
			if w < fixed/2 || w > fixed {
				t.Errorf("with jitter: waited %s, want within [%s, %s]", w, fixed/2, fixed)
			}
		}
		if a == b {
			t.Errorf("two jitter sources waited the same %s: retries in lockstep", a)
		}
		if again := waited(rng.New(1, "stream/backoff")); again != a {
			t.Errorf("the same jitter seed waited %s, then %s", a, again)
		}
	})
	t.Run("OversizedEventRejected", func(t *testing.T) {
		// An event over 1 MiB used to fail the Put; it is now rejected and
		// counted, and the others land.
		client, clk := newKinesisWith(t, 1)
		events := makeEvents(73, 3)
		events[1].AnonymousID = strings.Repeat("x", stream.MaxRecordBytes)
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk}).Put(ctx, events)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{stream.RejectOverMaxRecord: 1}
		if st.Attempted != 3 || st.Acknowledged != 2 || st.Rejected != 1 || st.Failed != 0 || !maps.Equal(st.RejectedReasons, want) {
			t.Fatalf("stats %+v, want 3 attempted, 2 acknowledged, 1 rejected over 1 MiB", st)
		}
		var wantData [][]byte
		for _, i := range []int{0, 2} {
			b, err := json.Marshal(&events[i])
			if err != nil {
				t.Fatal(err)
			}
			wantData = append(wantData, b)
		}
		assertRecords(t, readStream(t, client), wantData)
	})
	t.Run("ErrPermanent", func(t *testing.T) {
		client, _ := newKinesisWith(t, 1)
		clk := clock.NewSim(t0)
		st, err := (&stream.Producer{Client: client, Stream: "no-such-stream", Clock: clk}).Put(ctx, makeEvents(72, 3))
		if err == nil || st.Calls != 1 || !clk.Now().Equal(t0) {
			t.Fatalf("a missing stream: err %v after %d calls and %s of waits, want an error at once", err, st.Calls, clk.Now().Sub(t0))
		}
	})
}

func TestProducer_PutRecords(t *testing.T) {
	ctx := context.Background()
	t.Run("RejectsWhatKinesisRefuses", func(t *testing.T) {
		client, clk := newKinesisWith(t, 1)
		events := makeEvents(74, 2)
		ev0, err := json.Marshal(&events[0])
		if err != nil {
			t.Fatal(err)
		}
		ev1, err := json.Marshal(&events[1])
		if err != nil {
			t.Fatal(err)
		}
		recs := []stream.Record{
			{Data: ev0, PartitionKey: events[0].SessionID},
			{Data: bytes.Repeat([]byte("x"), stream.MaxRecordBytes+1), PartitionKey: "s1"}, // over 1 MiB
			{Data: []byte(`{"a":1}`), PartitionKey: ""},                                    // empty partition key
			{Data: []byte(`{"a":`), PartitionKey: "s2"},                                    // not JSON: sent all the same
			{Data: []byte(`{"a":2}`), PartitionKey: strings.Repeat("k", stream.MaxPartitionKeyLen+1)},
			{Data: nil, PartitionKey: "s3"},                                                               // empty data
			{Data: []byte("multibyte key"), PartitionKey: strings.Repeat("é", stream.MaxPartitionKeyLen)}, // 256 characters, 512 bytes: Kinesis takes it
			{Data: ev1, PartitionKey: events[1].SessionID},
		}
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk}).PutRecords(ctx, recs)
		if err != nil {
			t.Fatal(err)
		}
		wantReasons := map[string]int{
			stream.RejectOverMaxRecord: 1, stream.RejectEmptyPartitionKey: 1,
			stream.RejectLongPartitionKey: 1, stream.RejectEmptyData: 1,
		}
		if st.Attempted != len(recs) || st.Acknowledged != 4 || st.Rejected != 4 || st.Failed != 0 || st.Calls != 1 {
			t.Fatalf("stats %+v, want %d attempted, 4 acknowledged, 4 rejected in 1 call", st, len(recs))
		}
		if !maps.Equal(st.RejectedReasons, wantReasons) {
			t.Fatalf("rejected reasons %v, want %v", st.RejectedReasons, wantReasons)
		}
		assertRecords(t, readStream(t, client), [][]byte{ev0, []byte(`{"a":`), []byte("multibyte key"), ev1})
	})
	t.Run("BatchLimits", func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			n, size   int
			wantCalls int
		}{
			{"5MiB", 12, 500 << 10, 2}, // 10 records of 500 KiB fit in 5 MiB, 11 do not
			{"500Records", 1001, 10, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				client, clk := newKinesisWith(t, 2)
				spy := &batchSpy{KinesisAPI: client}
				recs := make([]stream.Record, tc.n)
				for i := range recs {
					recs[i] = stream.Record{Data: bytes.Repeat([]byte{'a' + byte(i%26)}, tc.size), PartitionKey: string(rune('A' + i%26))}
				}
				st, err := (&stream.Producer{Client: spy, Stream: "clicks", Clock: clk}).PutRecords(ctx, recs)
				if err != nil {
					t.Fatal(err)
				}
				if st.Acknowledged != tc.n || st.Rejected != 0 || st.Calls != tc.wantCalls || len(spy.calls) != tc.wantCalls {
					t.Fatalf("stats %+v after %d calls, want %d acknowledged in %d calls", st, len(spy.calls), tc.n, tc.wantCalls)
				}
				total := 0
				for i, c := range spy.calls {
					if c.records > stream.MaxBatchRecords || c.bytes > stream.MaxBatchBytes {
						t.Fatalf("call %d: %d records, %d bytes: over AWS's limits", i, c.records, c.bytes)
					}
					total += c.records
				}
				if total != tc.n {
					t.Fatalf("%d records sent, want %d", total, tc.n)
				}
			})
		}
	})
}

func TestPutStats_Add(t *testing.T) {
	var s stream.PutStats
	s.Add(stream.PutStats{Attempted: 3, Acknowledged: 1, Rejected: 2, RejectedReasons: map[string]int{stream.RejectOverMaxRecord: 1, stream.RejectEmptyData: 1}})
	s.Add(stream.PutStats{Attempted: 2, Acknowledged: 2})
	s.Add(stream.PutStats{Attempted: 1, Rejected: 1, RejectedReasons: map[string]int{stream.RejectOverMaxRecord: 1}})
	want := map[string]int{stream.RejectOverMaxRecord: 2, stream.RejectEmptyData: 1}
	if s.Attempted != 6 || s.Acknowledged != 3 || s.Rejected != 3 || !maps.Equal(s.RejectedReasons, want) {
		t.Fatalf("sum %+v, want 6 attempted, 3 acknowledged, 3 rejected as %v", s, want)
	}
}

// batchSpy records the size of every PutRecords call it passes on.
type batchSpy struct {
	stream.KinesisAPI
	calls []struct{ records, bytes int }
}

func (b *batchSpy) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	n := 0
	for _, r := range in.Records {
		n += len(r.Data) + len(aws.ToString(r.PartitionKey))
	}
	b.calls = append(b.calls, struct{ records, bytes int }{len(in.Records), n})
	return b.KinesisAPI.PutRecords(ctx, in, opts...)
}

// readStream reads every record of the "clicks" stream from the trim
// horizon, shard by shard, and returns their data in shard order.
func readStream(tb testing.TB, client *kinesis.Client) [][]byte {
	tb.Helper()
	ctx := context.Background()
	shards, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("clicks")})
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, sh := range shards.Shards {
		it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: aws.String("clicks"), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			tb.Fatal(err)
		}
		for iter := it.ShardIterator; iter != nil; {
			got, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				tb.Fatal(err)
			}
			if len(got.Records) == 0 {
				break
			}
			for _, r := range got.Records {
				out = append(out, r.Data)
			}
			iter = got.NextShardIterator
		}
	}
	return out
}

// assertRecords fails unless got holds exactly the records of want, in order.
func assertRecords(tb testing.TB, got, want [][]byte) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			tb.Fatalf("record %d = %.80q, want %.80q", i, got[i], want[i])
		}
	}
}

// TestUnsent counts records as PutRecords would without sending them: all
// attempted, the ones it refuses before sending rejected by reason, none
// acknowledged.
func TestUnsent(t *testing.T) {
	recs := []stream.Record{
		{Data: []byte(`{}`), PartitionKey: "a"},
		{Data: nil, PartitionKey: "b"},
		{Data: []byte(`{}`), PartitionKey: ""},
		{Data: make([]byte, stream.MaxRecordBytes), PartitionKey: "c"},
	}
	st := stream.Unsent(recs)
	want := map[string]int{stream.RejectEmptyData: 1, stream.RejectEmptyPartitionKey: 1, stream.RejectOverMaxRecord: 1}
	if st.Attempted != 4 || st.Acknowledged != 0 || st.Rejected != 3 || !reflect.DeepEqual(st.RejectedReasons, want) || st.Calls != 0 {
		t.Fatalf("Unsent = %+v, want 4 attempted, 3 rejected by reason %v, nothing sent", st, want)
	}
}
