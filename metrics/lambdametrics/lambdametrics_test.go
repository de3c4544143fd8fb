package lambdametrics_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/metrics/lambdametrics"
	"github.com/shoplake/shoplake/stream"
)

var at = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// values returns every value g holds, keyed name{label=value,...} with
// the labels sorted.
func values(tb testing.TB, g prometheus.Gatherer) map[string]float64 {
	tb.Helper()
	fams, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(ls)
			k := f.GetName() + "{" + strings.Join(ls, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[k] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[k] = m.GetGauge().GetValue()
			default:
				tb.Fatalf("%s: type %s", k, f.GetType())
			}
		}
	}
	return out
}

func TestRegistry_Invocation(t *testing.T) {
	r := lambdametrics.New()
	now := at.Add(90 * time.Second)
	r.Invocation(now, stream.LambdaStats{
		Stream: "clicks", Records: 10, Valid: 6, Invalid: 3, Duplicates: 1, Objects: 2, Existing: 1, Conflicts: 1,
		InvalidReasons: map[string]int{stream.ReasonInvalidJSON: 2, stream.ReasonSchemaVersion: 1},
		Shards: []stream.LambdaShard{
			{Stream: "clicks", ShardID: "shardId-000000000001", Records: 7, NewestArrival: at},
			{Stream: "clicks", ShardID: "shardId-000000000002", Records: 3, NewestArrival: now.Add(time.Second)}, // a clock behind the stream's
		},
	})
	got := values(t, r.Gatherer())
	want := map[string]float64{
		"shoplake_consumer_records_read_total{stream=clicks}":                              10,
		"shoplake_consumer_records_total{outcome=raw,stream=clicks}":                       6,
		"shoplake_consumer_records_total{outcome=quarantined,stream=clicks}":               3,
		"shoplake_consumer_records_total{outcome=duplicate,stream=clicks}":                 1,
		"shoplake_consumer_conflicting_records_total{stream=clicks}":                       1,
		"shoplake_consumer_objects_total{result=written,stream=clicks}":                    2,
		"shoplake_consumer_objects_total{result=present,stream=clicks}":                    1,
		"shoplake_quarantined_records_total{reason=invalid_json,stream=clicks}":            2,
		"shoplake_quarantined_records_total{reason=schema_version,stream=clicks}":          1,
		"shoplake_consumer_iterator_age_seconds{shard=shardId-000000000001,stream=clicks}": 90,
		"shoplake_consumer_iterator_age_seconds{shard=shardId-000000000002,stream=clicks}": 0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %t), want %v", k, g, ok, v)
		}
		delete(got, k)
	}
	for k, v := range got {
		t.Errorf("%s = %v: not a statistic of the invocation", k, v)
	}

	// An invocation that did nothing still has every outcome, at 0.
	r = lambdametrics.New()
	r.Invocation(now, stream.LambdaStats{Stream: "clicks"})
	got = values(t, r.Gatherer())
	for _, k := range []string{"shoplake_consumer_records_read_total{stream=clicks}", "shoplake_consumer_records_total{outcome=quarantined,stream=clicks}", "shoplake_consumer_records_total{outcome=raw,stream=clicks}"} {
		if v, ok := got[k]; !ok || v != 0 {
			t.Errorf("%s = %v (present %t), want 0", k, v, ok)
		}
	}
}

// TestSameSeriesAsMetrics: every family the Lambda publishes is the
// family of metrics.New() with that name: the same type and label names,
// in the same namespace. Help texts may differ (EMF carries none).
func TestSameSeriesAsMetrics(t *testing.T) {
	if lambdametrics.Namespace != metrics.Namespace {
		t.Fatalf("namespace %q, metrics has %q", lambdametrics.Namespace, metrics.Namespace)
	}
	type shape struct {
		kind   dto.MetricType
		labels []string
	}
	shapes := func(g prometheus.Gatherer) map[string]shape {
		fams, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]shape{}
		for _, f := range fams {
			var labels []string
			for _, l := range f.GetMetric()[0].GetLabel() {
				labels = append(labels, l.GetName())
			}
			out[f.GetName()] = shape{f.GetType(), labels}
		}
		return out
	}
	lr := lambdametrics.New()
	lr.Invocation(at, stream.LambdaStats{Stream: "s", InvalidReasons: map[string]int{"other": 1}, Shards: []stream.LambdaShard{{Stream: "s", ShardID: "x"}}})
	mr := metrics.New()
	mr.Consumed("s", stream.ConsumeStats{InvalidReasons: map[string]int{"other": 1}})
	mr.Shards("s", at, []stream.ShardState{{ShardID: "x", Leased: true}})
	lambda, full := shapes(lr.Gatherer()), shapes(mr.Gatherer())
	if len(lambda) != 6 {
		t.Fatalf("the Lambda publishes %d families, want 6: %v", len(lambda), lambda)
	}
	for name, s := range lambda {
		f, ok := full[name]
		if !ok {
			t.Errorf("%s: metrics.New() has no such series", name)
			continue
		}
		if f.kind != s.kind || !slices.Equal(f.labels, s.labels) {
			t.Errorf("%s: %s %v here, %s %v in metrics", name, s.kind, s.labels, f.kind, f.labels)
		}
	}
}
