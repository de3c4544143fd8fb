package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/metrics/alerts"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// BenchmarkEvaluate is what the alerts add to a scenario of four days:
// a registry fed as the runner feeds it (4 shards, hourly drains, a
// daily batch and build), sampled after every tick, then every rule
// evaluated on the 15-minute grid.
func BenchmarkEvaluate(b *testing.B) {
	rs, err := alerts.Load()
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	m := metrics.New()
	rec := alerts.NewRecorder(m.Gatherer())
	for h := 0; h <= 4*24; h++ {
		now := start.Add(time.Duration(h) * time.Hour)
		m.Put("clicks", now, stream.PutStats{Acknowledged: 400, Calls: 1})
		m.Consumed("clicks", stream.ConsumeStats{Records: 400, Valid: 398, Invalid: 2, InvalidReasons: map[string]int{stream.ReasonInvalidJSON: 2}, Objects: 4, Checkpoints: 4})
		var shards []stream.ShardState
		for s := 0; s < 4; s++ {
			shards = append(shards, stream.ShardState{ShardID: fmt.Sprintf("shardId-%012d", s), Leased: true, Checkpoint: fmt.Sprint(h)})
		}
		m.Shards("clicks", now, shards)
		m.CaughtUp("clicks", now)
		if h%24 == 0 {
			m.Ingested("fakestore", now, ingest.Result{Status: ingest.StatusCommitted}, ingest.BreakerClosed)
			m.Loaded(warehouse.LoadStats{ObjectsLoaded: 100, Rows: map[string]int64{"staging.events": 9600}})
			m.Transformed(now, warehouse.TransformStats{Status: "promoted", Core: map[string]warehouse.MergeStats{"core.events": {Inserted: 9600}}})
			m.Zones(map[string]metrics.ZoneUsage{"raw": {Objects: 100 * (h + 1), Bytes: int64(1e6 * (h + 1))}})
		}
		if err := rec.Sample(now); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := rs.Evaluate(context.Background(), rec); err != nil {
			b.Fatal(err)
		}
	}
}
