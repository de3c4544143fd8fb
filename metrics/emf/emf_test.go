package emf_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/metrics/emf"
	"github.com/shoplake/shoplake/stream"
)

var at = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// emfDoc is one EMF document, checked against the specification by
// parseEMF.
type emfDoc struct {
	Timestamp int64
	Namespace string
	Dims      map[string]string  // the dimension set's keys and their values
	Values    map[string]float64 // the directive's metrics and their values
	Units     map[string]string
	raw       map[string]any
}

// emfUnits are the units CloudWatch accepts (MetricDatum's StandardUnit).
var emfUnits = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes
		Terabytes Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second
		Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second Megabits/Second
		Gigabits/Second Terabits/Second Count/Second None`) {
		emfUnits[u] = true
	}
}

// parseEMF checks one line against the MUSTs of the Embedded Metric Format
// specification (CloudWatch_Embedded_Metric_Format_Specification.html) and
// returns it: a JSON object with an _aws object holding a number
// Timestamp and a non-empty CloudWatchMetrics array of MetricDirectives
// (Namespace string, Dimensions an array of DimensionSets of at most 30
// string keys, each a top-level string member, Metrics 1 to 100 objects
// with a Name, whose target member is a top-level number, and an optional
// valid Unit). shoplake writes one directive with one dimension set a
// document, and no other member: parseEMF holds it to that too.
func parseEMF(tb testing.TB, line []byte) emfDoc {
	tb.Helper()
	fail := func(format string, args ...any) {
		tb.Helper()
		tb.Fatalf("EMF line %s: %s", line, fmt.Sprintf(format, args...))
	}
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		fail("not a JSON object: %v", err)
	}
	if dec.More() {
		fail("data after the object")
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		fail("no _aws object")
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if !ok {
		fail("_aws.Timestamp is not a number")
	}
	doc := emfDoc{Dims: map[string]string{}, Values: map[string]float64{}, Units: map[string]string{}, raw: root}
	if doc.Timestamp, ok = toInt(ts); !ok {
		fail("_aws.Timestamp %s is not whole milliseconds", ts)
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(directives) != 1 {
		fail("_aws.CloudWatchMetrics: want an array of one MetricDirective")
	}
	dir, ok := directives[0].(map[string]any)
	if !ok {
		fail("MetricDirective is not an object")
	}
	if doc.Namespace, ok = dir["Namespace"].(string); !ok || doc.Namespace == "" {
		fail("MetricDirective without a Namespace")
	}
	sets, ok := dir["Dimensions"].([]any)
	if !ok || len(sets) != 1 {
		fail("Dimensions: want an array of one DimensionSet")
	}
	set, ok := sets[0].([]any)
	if !ok || len(set) > emf.MaxDimensions {
		fail("DimensionSet: want an array of at most %d keys", emf.MaxDimensions)
	}
	for _, k := range set {
		key, ok := k.(string)
		if !ok {
			fail("dimension key %v is not a string", k)
		}
		v, ok := root[key].(string)
		if !ok || v == "" {
			fail("dimension %s: no top-level string member", key)
		}
		doc.Dims[key] = v
	}
	ms, ok := dir["Metrics"].([]any)
	if !ok || len(ms) == 0 || len(ms) > emf.MaxMetrics {
		fail("Metrics: want 1 to %d MetricDefinitions", emf.MaxMetrics)
	}
	for _, m := range ms {
		def, ok := m.(map[string]any)
		if !ok {
			fail("MetricDefinition %v is not an object", m)
		}
		name, ok := def["Name"].(string)
		if !ok || name == "" {
			fail("MetricDefinition without a Name")
		}
		if _, dup := doc.Values[name]; dup {
			fail("metric %s defined twice", name)
		}
		if u, has := def["Unit"]; has {
			unit, ok := u.(string)
			if !ok || !emfUnits[unit] {
				fail("metric %s: unit %v is not a CloudWatch unit", name, u)
			}
			doc.Units[name] = unit
		}
		n, ok := root[name].(json.Number)
		if !ok {
			fail("metric %s: no top-level number member", name)
		}
		v, err := n.Float64()
		if err != nil {
			fail("metric %s: %v", name, err)
		}
		doc.Values[name] = v
	}
	for k := range root {
		if _, dim := doc.Dims[k]; k != "_aws" && !dim {
			if _, metric := doc.Values[k]; !metric {
				fail("member %s is neither a dimension nor a metric", k)
			}
		}
	}
	return doc
}

func toInt(n json.Number) (int64, bool) {
	i, err := n.Int64()
	return i, err == nil
}

// render writes g as EMF and parses every line back.
func render(tb testing.TB, g prometheus.Gatherer) ([]emfDoc, string) {
	tb.Helper()
	var buf bytes.Buffer
	if err := emf.Write(&buf, g, "shoplake", at); err != nil {
		tb.Fatal(err)
	}
	var docs []emfDoc
	for _, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			tb.Fatalf("an empty line in %q", buf.String())
		}
		docs = append(docs, parseEMF(tb, line))
	}
	return docs, buf.String()
}

// busyRegistry is a Registry fed by most of its methods, with a histogram.
func busyRegistry() *metrics.Registry {
	m := metrics.New()
	m.Put("clicks", at, stream.PutStats{Acknowledged: 90, Rejected: 2, RejectedReasons: map[string]int{"too_large": 2}, Throttled: 3, Calls: 4})
	m.Consumed("clicks", stream.ConsumeStats{Records: 100, Valid: 90, Invalid: 7, Duplicates: 3, Objects: 2, Checkpoints: 2,
		InvalidReasons: map[string]int{stream.ReasonInvalidJSON: 5, stream.ReasonMissingField: 2}})
	m.Shards("clicks", at, []stream.ShardState{{ShardID: "shardId-000000000000", Leased: true, MillisBehindLatest: 2500, Checkpoint: "49"}})
	m.Ingested("fakestore", at, ingest.Result{Status: ingest.StatusCommitted}, ingest.BreakerClosed)
	m.Zones(map[string]metrics.ZoneUsage{"raw": {Objects: 3, Bytes: 4096}})
	m.Step("consume", 1500*time.Millisecond)
	m.Step("consume", 500*time.Millisecond)
	return m
}

// series is one value the Gatherer holds, named as EMF names it.
type series struct {
	name  string
	dims  string // labelKey of its non-empty labels
	value float64
	kind  dto.MetricType
}

// gathered lists every value g holds, independently of Write's code:
// a histogram gives its _sum and _count.
func gathered(tb testing.TB, g prometheus.Gatherer) []series {
	tb.Helper()
	fams, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var out []series
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			dims := map[string]string{}
			for _, l := range m.GetLabel() {
				if l.GetValue() != "" {
					dims[l.GetName()] = l.GetValue()
				}
			}
			key := labelKey(dims)
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, series{f.GetName(), key, m.GetCounter().GetValue(), f.GetType()})
			case dto.MetricType_GAUGE:
				out = append(out, series{f.GetName(), key, m.GetGauge().GetValue(), f.GetType()})
			case dto.MetricType_HISTOGRAM:
				out = append(out, series{f.GetName() + "_sum", key, m.GetHistogram().GetSampleSum(), f.GetType()},
					series{f.GetName() + "_count", key, float64(m.GetHistogram().GetSampleCount()), f.GetType()})
			default:
				tb.Fatalf("family %s of type %s: teach this test", f.GetName(), f.GetType())
			}
		}
	}
	return out
}

func labelKey(dims map[string]string) string {
	keys := make([]string, 0, len(dims))
	for k := range dims {
		keys = append(keys, k+"="+dims[k])
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func TestWrite(t *testing.T) {
	m := busyRegistry()

	t.Run("EverySeriesOnce", func(t *testing.T) {
		docs, _ := render(t, m.Gatherer())
		want := gathered(t, m.Gatherer())
		if len(want) < 20 {
			t.Fatalf("only %d series gathered: the registry was not fed", len(want))
		}
		// Every value of the registry is in exactly one document, under
		// the dimensions its labels make, with its value; and nothing else
		// is.
		found := map[string]int{}
		for _, d := range docs {
			if d.Namespace != "shoplake" || d.Timestamp != at.UnixMilli() {
				t.Fatalf("document in %s at %d, want shoplake at %d", d.Namespace, d.Timestamp, at.UnixMilli())
			}
			for name, v := range d.Values {
				found[name+"{"+labelKey(d.Dims)+"}"]++
				_ = v
			}
		}
		for _, s := range want {
			k := s.name + "{" + s.dims + "}"
			if found[k] != 1 {
				t.Errorf("%s in %d documents, want 1", k, found[k])
				continue
			}
			for _, d := range docs {
				if v, ok := d.Values[s.name]; ok && labelKey(d.Dims) == s.dims && v != s.value {
					t.Errorf("%s = %v, want %v", k, v, s.value)
				}
			}
			delete(found, k)
		}
		for k := range found {
			t.Errorf("%s emitted, not in the registry", k)
		}
	})

	t.Run("Units", func(t *testing.T) {
		docs, _ := render(t, m.Gatherer())
		units := map[string]string{}
		for _, d := range docs {
			for name, u := range d.Units {
				if prev, ok := units[name]; ok && prev != u {
					t.Fatalf("%s in %s and in %s", name, prev, u)
				}
				units[name] = u
			}
		}
		for name, want := range map[string]string{
			"shoplake_consumer_records_total":                "Count",
			"shoplake_quarantined_records_total":             "Count",
			"shoplake_consumer_iterator_age_seconds":         "Seconds",
			"shoplake_consumer_checkpoint_timestamp_seconds": "Seconds",
			"shoplake_lake_bytes":                            "Bytes",
			"shoplake_lake_objects":                          "None",
			"shoplake_source_breaker_state":                  "None",
			"shoplake_step_duration_seconds_sum":             "Seconds",
			"shoplake_step_duration_seconds_count":           "Count",
		} {
			if got := units[name]; got != want {
				t.Errorf("unit of %s = %q, want %q", name, got, want)
			}
		}
		// Every counter is a Count unless its name says otherwise.
		for _, s := range gathered(t, m.Gatherer()) {
			if s.kind == dto.MetricType_COUNTER && !strings.Contains(s.name, "_seconds") && !strings.Contains(s.name, "_bytes") && units[s.name] != "Count" {
				t.Errorf("counter %s in %q, want Count", s.name, units[s.name])
			}
		}
	})

	t.Run("Histogram", func(t *testing.T) {
		docs, _ := render(t, m.Gatherer())
		for _, d := range docs {
			if d.Dims["step"] != "consume" {
				continue
			}
			if got := [2]float64{d.Values["shoplake_step_duration_seconds_sum"], d.Values["shoplake_step_duration_seconds_count"]}; got != [2]float64{2, 2} {
				t.Fatalf("step consume: sum, count = %v, want 2 s in 2 observations", got)
			}
			if _, bucket := d.Values["shoplake_step_duration_seconds_bucket"]; bucket {
				t.Fatal("buckets emitted")
			}
			return
		}
		t.Fatal("no document for step=consume")
	})

	t.Run("Deterministic", func(t *testing.T) {
		_, a := render(t, m.Gatherer())
		_, b := render(t, m.Gatherer())
		if a != b {
			t.Fatalf("two renders differ:\n%s\n%s", a, b)
		}
		// Sorted: by dimension keys, then values.
		docs, _ := render(t, m.Gatherer())
		keys := make([]string, len(docs))
		for i, d := range docs {
			names := make([]string, 0, len(d.Dims))
			for k := range d.Dims {
				names = append(names, k)
			}
			sort.Strings(names)
			vals := make([]string, len(names))
			for j, k := range names {
				vals[j] = d.Dims[k]
			}
			keys[i] = strings.Join(names, "\x00") + "\x00\x01" + strings.Join(vals, "\x00")
		}
		if !sort.StringsAreSorted(keys) {
			t.Fatalf("documents not in dimension order: %q", keys)
		}
	})

	t.Run("AtMost100MetricsADocument", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		for i := range 250 {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: fmt.Sprintf("g%03d", i), Help: "h", ConstLabels: prometheus.Labels{"stream": "clicks"}})
			g.Set(float64(i))
			reg.MustRegister(g)
		}
		docs, _ := render(t, reg)
		var sizes []int
		seen := map[string]bool{}
		for _, d := range docs {
			sizes = append(sizes, len(d.Values))
			for name, v := range d.Values {
				if seen[name] || fmt.Sprintf("g%03d", int(v)) != name {
					t.Fatalf("%s = %v, or seen twice", name, v)
				}
				seen[name] = true
			}
		}
		if fmt.Sprint(sizes) != "[100 100 50]" || len(seen) != 250 {
			t.Fatalf("documents of %v metrics (%d distinct), want 100, 100 and 50", sizes, len(seen))
		}
	})

	t.Run("NoLabels", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: "runs_total", Help: "h"})
		c.Add(3)
		reg.MustRegister(c)
		docs, raw := render(t, reg)
		if len(docs) != 1 || len(docs[0].Dims) != 0 || docs[0].Values["runs_total"] != 3 || !strings.Contains(raw, `"Dimensions":[[]]`) {
			t.Fatalf("got %s, want one document with an empty dimension set", raw)
		}
	})

	t.Run("NotFiniteLeftOut", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		nan := prometheus.NewGauge(prometheus.GaugeOpts{Name: "nan", Help: "h"})
		nan.Set(math.NaN())
		one := prometheus.NewGauge(prometheus.GaugeOpts{Name: "one", Help: "h"})
		one.Set(1)
		reg.MustRegister(nan, one)
		docs, raw := render(t, reg)
		if len(docs) != 1 || len(docs[0].Values) != 1 || docs[0].Values["one"] != 1 {
			t.Fatalf("got %s, want only one", raw)
		}
	})

	t.Run("ErrTooManyLabels", func(t *testing.T) {
		labels := make([]string, 31)
		values := make([]string, 31)
		for i := range labels {
			labels[i], values[i] = fmt.Sprintf("l%02d", i), "v"
		}
		reg := prometheus.NewRegistry()
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wide", Help: "h"}, labels)
		v.WithLabelValues(values...).Set(1)
		reg.MustRegister(v)
		var buf bytes.Buffer
		err := emf.Write(&buf, reg, "shoplake", at)
		if err == nil || !strings.Contains(err.Error(), "wide") || !strings.Contains(err.Error(), "30") || buf.Len() != 0 {
			t.Fatalf("err = %v, wrote %q; want an error naming the series and the limit, nothing written", err, buf.String())
		}
	})

	t.Run("ErrDimensionValue", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g", Help: "h"}, []string{"stream"})
		v.WithLabelValues("clicks\n").Set(1)
		reg.MustRegister(v)
		if err := emf.Write(&bytes.Buffer{}, reg, "shoplake", at); err == nil || !strings.Contains(err.Error(), "stream") {
			t.Fatalf("err = %v, want the label named", err)
		}
	})

	t.Run("ErrNamespace", func(t *testing.T) {
		for _, ns := range []string{"", "AWS/Lambda"} {
			if err := emf.Write(&bytes.Buffer{}, m.Gatherer(), ns, at); err == nil {
				t.Errorf("namespace %q accepted", ns)
			}
		}
	})
}
