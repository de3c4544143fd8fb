package metrics_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

var at = time.Date(2026, 1, 6, 0, 5, 0, 0, time.UTC)

func value(t *testing.T, m *metrics.Registry, name string, labels ...string) float64 {
	t.Helper()
	v, ok := m.Value(name, labels...)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

// Every series is the sum of the stats it was handed, under the labels
// that say what it counts.
func TestRegistry_CountsWhatTheStagesReturn(t *testing.T) {
	m := metrics.New()
	put := stream.PutStats{Attempted: 12, Acknowledged: 9, Rejected: 2, Failed: 1, Throttled: 4, Retried: 5, Calls: 3,
		RejectedReasons: map[string]int{stream.RejectOverMaxRecord: 2}}
	m.Put("clicks", at, put)
	m.Put("clicks", at.Add(time.Hour), stream.PutStats{Acknowledged: 1, Calls: 1})
	m.Consumed("clicks", stream.ConsumeStats{Records: 20, Valid: 15, Invalid: 3, Duplicates: 2, Objects: 4, Existing: 1,
		Checkpoints: 4, InvalidReasons: map[string]int{stream.ReasonInvalidJSON: 2, stream.ReasonMissingField: 1}})
	m.Ingested("fakestore", at, ingest.Result{Status: ingest.StatusFailed}, ingest.BreakerOpen)
	m.Loaded(warehouse.LoadStats{ObjectsLoaded: 6, ObjectsSkipped: 2, Rows: map[string]int64{"staging.events": 40}, Quarantined: 3})
	wm := at.Add(-24 * time.Hour)
	m.Transformed(at, warehouse.TransformStats{Status: warehouse.StatusBlocked, LateEvents: 2, DaysPending: 1, Watermark: &wm,
		Core:   map[string]warehouse.MergeStats{"core.events": {Inserted: 30, Updated: 2}},
		Checks: []warehouse.CheckResult{{Name: "orders_have_users", Severity: "blocking", Status: "fail", Failures: 7}, {Name: "prices_positive", Severity: "warning", Status: "pass"}}})

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"shoplake_producer_records_total", []string{"stream", "clicks", "outcome", "acknowledged"}, 10},
		{"shoplake_producer_records_total", []string{"stream", "clicks", "outcome", "rejected"}, 2},
		{"shoplake_producer_rejected_records_total", []string{"stream", "clicks", "reason", stream.RejectOverMaxRecord}, 2},
		{"shoplake_producer_throttled_records_total", []string{"stream", "clicks"}, 4},
		{"shoplake_producer_put_calls_total", []string{"stream", "clicks"}, 4},
		{"shoplake_producer_last_ack_timestamp_seconds", []string{"stream", "clicks"}, float64(at.Add(time.Hour).Unix())},
		{"shoplake_consumer_records_total", []string{"stream", "clicks", "outcome", "raw"}, 15},
		{"shoplake_consumer_records_total", []string{"stream", "clicks", "outcome", "quarantined"}, 3},
		{"shoplake_consumer_records_total", []string{"stream", "clicks", "outcome", "duplicate"}, 2},
		{"shoplake_quarantined_records_total", []string{"stream", "clicks", "reason", stream.ReasonInvalidJSON}, 2},
		{"shoplake_consumer_objects_total", []string{"stream", "clicks", "result", "present"}, 1},
		{"shoplake_ingest_runs_total", []string{"source", "fakestore", "status", "failed"}, 1},
		{"shoplake_ingest_runs_total", []string{"source", "fakestore", "status", "committed"}, 0},
		{"shoplake_source_breaker_state", []string{"source", "fakestore"}, 1},
		{"shoplake_load_objects_total", []string{"result", "loaded"}, 6},
		{"shoplake_load_rows_total", []string{"table", "staging.events"}, 40},
		{"shoplake_load_records_quarantined_total", []string{"disposition", "rejected"}, 3},
		{"shoplake_transform_runs_total", []string{"status", "blocked"}, 1},
		{"shoplake_merge_rows_total", []string{"table", "core.events", "action", "inserted"}, 30},
		{"shoplake_transform_late_events_total", nil, 2},
		{"shoplake_transform_days_pending", nil, 1},
		{"shoplake_transform_watermark_timestamp_seconds", nil, float64(wm.Unix())},
		{"shoplake_check_passed", []string{"check", "orders_have_users", "severity", "blocking"}, 0},
		{"shoplake_check_failed_rows", []string{"check", "orders_have_users", "severity", "blocking"}, 7},
		{"shoplake_check_passed", []string{"check", "prices_positive", "severity", "warning"}, 1},
	} {
		if got := value(t, m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// A blocked run is no success: the timestamp stays absent, not 0.
	if v, ok := m.Value("shoplake_transform_last_success_timestamp_seconds"); ok {
		t.Errorf("shoplake_transform_last_success_timestamp_seconds = %v after a blocked run, want absent", v)
	}
}

// ConsumerTotals turns a consumer's running totals into counters: the
// same totals twice count once, and a new consumer's smaller totals count
// from zero.
func TestRegistry_ConsumerTotals(t *testing.T) {
	m := metrics.New()
	m.ConsumerTotals("s", stream.ConsumeStats{Records: 10, Valid: 10})
	m.ConsumerTotals("s", stream.ConsumeStats{Records: 10, Valid: 10})
	m.ConsumerTotals("s", stream.ConsumeStats{Records: 25, Valid: 24, Invalid: 1, InvalidReasons: map[string]int{stream.ReasonWrongType: 1}})
	m.ConsumerTotals("s", stream.ConsumeStats{Records: 5, Valid: 5}) // restarted
	if got := value(t, m, "shoplake_consumer_records_read_total", "stream", "s"); got != 30 {
		t.Errorf("records read = %v, want 30", got)
	}
	if got := value(t, m, "shoplake_quarantined_records_total", "stream", "s", "reason", stream.ReasonWrongType); got != 1 {
		t.Errorf("quarantined wrong_type = %v, want 1", got)
	}
}

// A checkpoint's timestamp moves only when the checkpoint does.
func TestRegistry_Shards(t *testing.T) {
	m := metrics.New()
	sh := []stream.ShardState{{ShardID: "shardId-0", Leased: true, Checkpoint: "1", MillisBehindLatest: 90_000}, {ShardID: "shardId-1", HeldBy: "other"}}
	m.Shards("s", at, sh)
	m.Shards("s", at.Add(time.Hour), sh)
	if got := value(t, m, "shoplake_consumer_checkpoint_timestamp_seconds", "stream", "s", "shard", "shardId-0"); got != float64(at.Unix()) {
		t.Errorf("checkpoint timestamp = %v, want %d (unchanged checkpoint)", got, at.Unix())
	}
	if got := value(t, m, "shoplake_consumer_iterator_age_seconds", "stream", "s", "shard", "shardId-0"); got != 90 {
		t.Errorf("iterator age = %v, want 90", got)
	}
	if _, ok := m.Value("shoplake_consumer_iterator_age_seconds", "stream", "s", "shard", "shardId-1"); ok {
		t.Error("a shard another consumer holds has an iterator age here")
	}
	if got := value(t, m, "shoplake_consumer_shards", "stream", "s", "state", "held"); got != 1 {
		t.Errorf("held shards = %v, want 1", got)
	}
	sh[0].Checkpoint = "2"
	m.Shards("s", at.Add(2*time.Hour), sh)
	if got := value(t, m, "shoplake_consumer_checkpoint_timestamp_seconds", "stream", "s", "shard", "shardId-0"); got != float64(at.Add(2*time.Hour).Unix()) {
		t.Errorf("checkpoint timestamp = %v after the checkpoint moved", got)
	}
}

func TestRegistry_NilDoesNothing(t *testing.T) {
	var m *metrics.Registry
	m.Put("s", at, stream.PutStats{Acknowledged: 1})
	m.Consumed("s", stream.ConsumeStats{Valid: 1})
	m.Transformed(at, warehouse.TransformStats{Status: "promoted"})
	m.Step("load", time.Second)
	if m.SourceObserver("x") != nil || m.AWSAPIOption() != nil {
		t.Fatal("a nil registry hands out observers")
	}
}

// The textfile is the exposition format, every series in it.
func TestRegistry_WriteTextfile(t *testing.T) {
	m := metrics.New()
	m.Put("clicks", at, stream.PutStats{Acknowledged: 3})
	path := filepath.Join(t.TempDir(), "shoplake.prom")
	if err := m.WriteTextfile(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	fam := fams["shoplake_producer_records_total"]
	if fam == nil || fam.GetMetric()[0].GetCounter().GetValue() != 3 {
		t.Fatalf("shoplake_producer_records_total in the textfile = %v", fam)
	}
}

// Serve answers a scrape with the series, and a port taken with an error
// naming the address.
func TestServe(t *testing.T) {
	m := metrics.New().WithProcess()
	m.Consumed("clicks", stream.ConsumeStats{Records: 4, Valid: 4})
	srv, err := metrics.Serve("127.0.0.1:0", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`shoplake_consumer_records_total{outcome="raw",stream="clicks"} 4`, "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if _, err := metrics.Serve(srv.Addr, m, nil); err == nil || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("Serve on a taken port: %v, want an error naming %s", err, srv.Addr)
	}
	_ = context.Background()
}

// docs/METRICS.md lists every series the registry holds, and no other.
func TestDocs_ListEverySeries(t *testing.T) {
	f, err := os.Open("../docs/METRICS.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `(shoplake_[a-z0-9_]+)` \\| (counter|gauge|histogram) \\|")
	documented := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			documented[m[1]] = m[2]
		}
	}
	var names []string
	for _, s := range metrics.New().Series() {
		names = append(names, s.Name)
		if typ, ok := documented[s.Name]; !ok {
			t.Errorf("docs/METRICS.md does not list %s", s.Name)
		} else if typ != s.Type {
			t.Errorf("docs/METRICS.md says %s is a %s; it is a %s", s.Name, typ, s.Type)
		}
		if !regexp.MustCompile(`^shoplake_[a-z0-9_]+$`).MatchString(s.Name) {
			t.Errorf("%s: not a Prometheus name of ours", s.Name)
		}
		if s.Type == "counter" && !strings.HasSuffix(s.Name, "_total") {
			t.Errorf("counter %s does not end in _total", s.Name)
		}
	}
	for name := range documented {
		if !slices.Contains(names, name) {
			t.Errorf("docs/METRICS.md lists %s, which no code registers", name)
		}
	}
}
