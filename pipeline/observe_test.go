package pipeline_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// A consumer that comes back to three hours of records reports, batch by
// batch, a lag that starts near three hours and falls to zero as it
// catches up; its counters end at what it wrote.
func TestObserveConsumer_LagRisesAndFalls(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clk := clock.NewSim(start)
	srv := httptest.NewServer(kinesislocal.New(clk))
	defer srv.Close()
	awsCfg, err := config.DefaultConfig().AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := stream.NewKinesisClient(awsCfg, srv.URL)
	if _, err := stream.EnsureStream(ctx, client, clk, "clicks", 1); err != nil {
		t.Fatal(err)
	}
	// 1,500 records an hour for three hours (a GetRecords returns at most
	// 1,000 to this consumer, so the backlog takes several calls).
	r := rng.New(7, "observe-test")
	producer := &stream.Producer{Client: client, Stream: "clicks", Clock: clk}
	total := 0
	for h := 0; h < 3; h++ {
		events := make([]stream.Event, 1500)
		for i := range events {
			pid := int64(i%20 + 1)
			events[i] = stream.Event{EventID: rng.UUID(r), EventType: stream.ProductView, EventTime: clk.Now(),
				SessionID: rng.UUID(r), AnonymousID: "dev", ProductID: &pid, SchemaVersion: stream.SchemaVersion}
		}
		if st, err := producer.Put(ctx, events); err != nil || st.Acknowledged != len(events) {
			t.Fatalf("put: %v (%+v)", err, st)
		}
		total += len(events)
		if err := clk.Set(clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	store := laketest.NewStore(t)
	c := &stream.Consumer{Client: client, Stream: "clicks", Store: store, BatchRecords: 500, Owner: "t", Clock: clk,
		Checkpointer: &stream.LakeCheckpointer{Store: store, Group: "g", Stream: "clicks", Clock: clk}}
	m := metrics.New()
	pipeline.ObserveConsumer(m, "clicks", c, clk)
	observe := c.OnBatch
	var lags []float64
	c.OnBatch = func() {
		observe()
		shard := c.Shards()[0].ShardID
		lag, ok := m.Value("shoplake_consumer_iterator_age_seconds", "stream", "clicks", "shard", shard)
		if !ok {
			t.Fatal("no shoplake_consumer_iterator_age_seconds for the shard")
		}
		lags = append(lags, lag)
	}
	st, err := c.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("lag after each batch (s): %v", lags)
	if len(lags) < 3 {
		t.Fatalf("%d batches observed, want several: %v", len(lags), lags)
	}
	if first := lags[0]; first < 2*3600 || first > 3*3600 {
		t.Errorf("lag after the first batch = %.0fs, want about three hours (the oldest unread record's age)", first)
	}
	for i := 1; i < len(lags); i++ {
		if lags[i] > lags[i-1] {
			t.Errorf("lag rose from %.0fs to %.0fs while the consumer caught up: %v", lags[i-1], lags[i], lags)
		}
	}
	if last := lags[len(lags)-1]; last != 0 {
		t.Errorf("lag after the last batch = %.0fs, want 0 (caught up)", last)
	}
	if st.Valid != total {
		t.Fatalf("drained %d valid records, want %d", st.Valid, total)
	}
	got, _ := m.Value("shoplake_consumer_records_total", "stream", "clicks", "outcome", "raw")
	if int(got) != st.Valid {
		t.Errorf("shoplake_consumer_records_total{outcome=raw} = %v, want %d (the consumer's own count)", got, st.Valid)
	}
}
