package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoplake/shoplake/sim"
)

// BenchmarkIngest_5xx10pct runs one logical date per iteration against the
// simulator's FakeStore server answering 503 to 10% of requests, with
// DefaultPolicy (waits on a simulated clock). It reports, per run, the HTTP
// attempts, the retries, the simulated time spent waiting in backoff, and
// the share of runs that failed; ns/op is the real time of a run (HTTP on
// loopback, three conditional puts to the local S3, the DuckDB ledger).
//
//	go test ./ingest/ -run '^$' -bench Ingest_5xx10pct -benchtime 500x
func BenchmarkIngest_5xx10pct(b *testing.B) {
	ctx := context.Background()
	clk := startClock()
	api := newSimAPI(b, clk, sim.FaultRule{Endpoint: "*", Kind: sim.Fault5xx, Probability: 0.1})
	h := newHarness(b, api.URL, clk, testPolicy())
	var requests, retries, failed int
	var waited time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := h.in.IngestDate(ctx, simDay.AddDate(0, 0, -(i%30)))
		requests += res.Requests
		retries += res.Retries
		waited += res.Waited
		if err != nil {
			failed++
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(requests)/n, "attempts/run")
	b.ReportMetric(float64(retries)/n, "retries/run")
	b.ReportMetric(waited.Seconds()*1000/n, "sim_wait_ms/run")
	b.ReportMetric(float64(failed)/n, "failed/run")
}
