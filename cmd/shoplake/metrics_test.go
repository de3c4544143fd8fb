package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/stream"
)

// scrapeThenStop is a simulated clock whose first Sleep (consume
// --follow's wait between passes) scrapes url and then interrupts the
// command, as Ctrl-C would.
type scrapeThenStop struct {
	*clock.Sim
	url    string
	body   string
	err    error
	cancel context.CancelFunc
}

func (s *scrapeThenStop) Sleep(ctx context.Context, d time.Duration) error {
	resp, err := http.Get(s.url)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.body = string(b)
	}
	s.err = err
	s.cancel()
	return context.Canceled
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// consume --follow --metrics-addr serves, between passes, what the pass
// did: the records it wrote, each shard's lag (0: caught up) and the
// lake's RAW zone as listed.
func TestConsumeCmd_MetricsAddr(t *testing.T) {
	dir := t.TempDir()
	fillStream(t, dir, 700)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := &scrapeThenStop{Sim: clock.NewSim(clock.Real{}.Now()), url: "http://" + addr + "/metrics", cancel: cancel}
	_, stderr, err := executeConsume(t, ctx, clk, "--data-dir", dir, "--owner", "m", "--follow", "--metrics-addr", addr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "metrics: http://"+addr+"/metrics") {
		t.Errorf("stderr does not say where the metrics are:\n%s", stderr)
	}
	if clk.err != nil {
		t.Fatalf("scrape: %v", clk.err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(clk.body))
	if err != nil {
		t.Fatalf("the scrape is not the exposition format: %v\n%s", err, clk.body)
	}
	get := func(name string, labels map[string]string) (float64, int) {
		var v float64
		n := 0
	metric:
		for _, m := range fams[name].GetMetric() {
			for k, want := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == k && lp.GetValue() == want)
				}
				if !found {
					continue metric
				}
			}
			n++
			if m.Counter != nil {
				v += m.GetCounter().GetValue()
			} else {
				v += m.GetGauge().GetValue()
			}
		}
		return v, n
	}
	stream := config.DefaultConfig().Kinesis.Stream
	if v, _ := get("shoplake_consumer_records_total", map[string]string{"stream": stream, "outcome": "raw"}); v != 700 {
		t.Errorf("shoplake_consumer_records_total{outcome=raw} = %v, want 700 (the records put)", v)
	}
	if v, n := get("shoplake_consumer_iterator_age_seconds", nil); n != 2 || v != 0 {
		t.Errorf("iterator age: %d shards summing %vs, want 2 shards caught up (0)", n, v)
	}
	if _, n := get("shoplake_consumer_caught_up_timestamp_seconds", nil); n != 1 {
		t.Error("no shoplake_consumer_caught_up_timestamp_seconds after a pass that caught up")
	}
	// The RAW zone as the lake lists it.
	cfg := config.DefaultConfig()
	cfg.DataDir = dir
	env, err := pipeline.Open(context.Background(), cfg, pipeline.Local{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	usage, err := pipeline.ZoneUsage(context.Background(), env.Lake)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get("shoplake_lake_objects", map[string]string{"zone": "raw"}); int(v) != usage["raw"].Objects || v == 0 {
		t.Errorf("shoplake_lake_objects{zone=raw} = %v, the lake lists %d", v, usage["raw"].Objects)
	}
	if v, _ := get("shoplake_lake_bytes", map[string]string{"zone": "raw"}); int64(v) != usage["raw"].Bytes {
		t.Errorf("shoplake_lake_bytes{zone=raw} = %v, the lake lists %d", v, usage["raw"].Bytes)
	}
}

// transform --metrics-file writes the run's series where node_exporter
// reads them: the promoted run, and CORE's events as the warehouse counts
// them.
func TestTransformCmd_MetricsFile(t *testing.T) {
	dir := t.TempDir()
	world := []string{"--seed", "9", "--days", "1", "--users", "30", "--data-dir", dir}
	if _, stderr, err := execute(t, append([]string{"demo"}, world...)...); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	path := filepath.Join(dir, "shoplake_transform.prom")
	if _, stderr, err := execute(t, append([]string{"transform", "--metrics-file", path}, world...)...); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatal(err)
	}
	promoted := 0.0
	for _, m := range fams["shoplake_transform_runs_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "status" && lp.GetValue() == "promoted" {
				promoted = m.GetCounter().GetValue()
			}
		}
	}
	if promoted != 1 {
		t.Errorf("shoplake_transform_runs_total{status=promoted} = %v, want 1", promoted)
	}
	cfg := config.DefaultConfig()
	cfg.DataDir = dir
	wh, err := openWarehouseReadOnly(context.Background(), cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := wh.Accounting(context.Background())
	wh.Close()
	if err != nil {
		t.Fatal(err)
	}
	if fam := fams["shoplake_core_events"]; fam == nil || int64(fam.GetMetric()[0].GetGauge().GetValue()) != acc.Events.InCore || acc.Events.InCore == 0 {
		t.Errorf("shoplake_core_events = %v, the warehouse holds %d", fam, acc.Events.InCore)
	}
	if fam := fams["shoplake_core_newest_event_timestamp_seconds"]; fam == nil {
		t.Error("no freshness in the textfile")
	}
}

// dashboard --consumer-metrics reads each shard's lag and checkpoint from
// a consumer's scrape.
func TestDashboard_ConsumerLag(t *testing.T) {
	m := metrics.New()
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	m.Shards("clickstream", at, []stream.ShardState{
		{ShardID: "shardId-000000000001", Leased: true, Checkpoint: "9", MillisBehindLatest: 42_000},
		{ShardID: "shardId-000000000000", Leased: true, Checkpoint: "7"},
	})
	srv, err := metrics.Serve("127.0.0.1:0", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	lag, err := consumerLag("http://" + srv.Addr + "/metrics")(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !lag.Available || len(lag.Shards) != 2 {
		t.Fatalf("lag = %+v, want two shards", lag)
	}
	if s := lag.Shards[1]; s.ShardID != "shardId-000000000001" || s.IteratorAgeSeconds == nil || *s.IteratorAgeSeconds != 42 ||
		s.CheckpointedAt == nil || !s.CheckpointedAt.Equal(at) {
		t.Errorf("shard 1 = %+v, want 42 s behind, checkpointed at %s", s, at)
	}
	if _, err := consumerLag("http://" + freeAddr(t) + "/metrics")(context.Background()); err == nil || !strings.Contains(err.Error(), "consume --follow --metrics-addr") {
		t.Errorf("no consumer: %v, want an error saying what to run", err)
	}
}
