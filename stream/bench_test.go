package stream_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkConsumer_Drain drains 20,000 events from a 4-shard local stream
// into a local lake (gzip, conditional puts, leases) per iteration and
// reports the median events/s from stream to RAW.
func BenchmarkConsumer_Drain(b *testing.B) {
	events := makeEvents(90, 20000)
	var rates []float64
	for i := 0; i < b.N; i++ {
		st, rate := drainOnce(b, events, nil)
		rates = append(rates, rate)
		if st.Valid != len(events) {
			b.Fatalf("drained %d of %d", st.Valid, len(events))
		}
	}
	b.ReportMetric(median(rates), "events/s")
}

// drainOnce puts records on a fresh 4-shard local stream and drains them
// once into a fresh local lake, in batches of 500, with dedup (the
// consumer's default when nil); it returns the drain's stats and its rate
// in records/s. Only the drain is timed.
func drainOnce(b *testing.B, records []stream.Event, dedup *stream.Dedup) (stream.ConsumeStats, float64) {
	b.StopTimer()
	client, clk := newKinesisWith(b, 4)
	mustPut(b, client, clk, records)
	store := laketest.NewStore(b)
	c := consumerOn(client, store, "bench", clk)
	c.BatchRecords = 500
	c.Dedup = dedup
	b.StartTimer()
	start := time.Now()
	st, err := c.Drain(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return st, float64(len(records)) / time.Since(start).Seconds()
}

// BenchmarkProducer_Throttled puts 30,000 events on a 2-shard stream that
// enforces AWS's write quotas, with the producer's retries waiting on the
// stream's simulated clock, and reports the achieved rate per shard over the
// simulated time (the quota is 1,000 records/s per shard; the first
// second's burst is included), median over iterations.
func BenchmarkProducer_Throttled(b *testing.B) {
	ctx := context.Background()
	const shards = 2
	events := makeEvents(91, 30000)
	var rates, calls []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		client, clk := newKinesisWith(b, shards, kinesislocal.WithShardLimits(kinesislocal.AWSShardLimits()))
		b.StartTimer()
		start := clk.Now()
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk}).Put(ctx, events)
		if err != nil || st.Acknowledged != len(events) {
			b.Fatalf("acknowledged %d of %d: %v", st.Acknowledged, len(events), err)
		}
		rates = append(rates, float64(st.Acknowledged)/clk.Now().Sub(start).Seconds()/shards)
		calls = append(calls, float64(st.Calls))
	}
	b.ReportMetric(median(rates), "records/s/shard")
	b.ReportMetric(median(calls), "calls/op")
}

// BenchmarkConsumer_Dedup is P5 of make bench: the drain of
// BenchmarkConsumer_Drain over 20,000 events of which 2% are sent twice
// (a producer's retries), with the dedup window on (the default) and
// practically off (a window of one id), and the ratio of the two rates.
// With the window on, every extra copy must be dropped.
func BenchmarkConsumer_Dedup(b *testing.B) {
	events := makeEvents(92, 20000)
	var sent []stream.Event
	for i, e := range events {
		sent = append(sent, e)
		if i%50 == 0 { // 2%
			sent = append(sent, e)
		}
	}
	copies := len(sent) - len(events)
	rate := map[bool][]float64{}
	for i := 0; i < b.N; i++ {
		st, r := drainOnce(b, sent, nil)
		if st.Duplicates != copies || st.Valid != len(events) {
			b.Fatalf("dedup on: %d duplicates dropped, %d kept; want %d and %d", st.Duplicates, st.Valid, copies, len(events))
		}
		rate[true] = append(rate[true], r)
		_, r = drainOnce(b, sent, stream.NewDedup(1, time.Nanosecond))
		rate[false] = append(rate[false], r)
	}
	b.ReportMetric(median(rate[true]), "dedup_on_records/s")
	b.ReportMetric(median(rate[false]), "dedup_off_records/s")
	b.ReportMetric(median(rate[true])/median(rate[false]), "on/off")
}
