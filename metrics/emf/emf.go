// Package emf writes what a Prometheus Gatherer holds as CloudWatch
// Embedded Metric Format: how the consumer Lambda, which has no port to
// scrape, publishes the pipeline's series (docs/METRICS.md).
//
// It needs no cgo (nothing of the warehouse), so that the Lambda's static
// build can use it.
package emf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The limits of the Embedded Metric Format specification
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
// a MetricDirective names at most 100 metrics, a DimensionSet at most 30
// dimension keys; a dimension value is 1 to 1024 ASCII characters.
const (
	MaxMetrics    = 100
	MaxDimensions = 30
	maxDimValue   = 1024
)

// Write writes what g gathers as CloudWatch Embedded Metric Format
// (EMF): JSON documents, one a line, that CloudWatch Logs turns into
// metrics of namespace when a Lambda function prints them on its log
// stream. at is the documents' _aws.Timestamp (milliseconds since the
// epoch): the caller's clock, never this package's.
//
// The mapping, from Prometheus to CloudWatch:
//
//   - Names: a metric keeps its Prometheus name (shoplake_consumer_records_total),
//     so that a name means one thing in both worlds.
//   - Labels become dimensions. The series that share the same labels, with
//     the same values, make one document whose one dimension set is those
//     labels (sorted), with at most MaxMetrics metrics a document; a
//     label with an empty value is absent, as in Prometheus. The label
//     values and the metric values are the document's top-level members.
//   - Units: a name ending in _seconds (before _total, _sum) is Seconds, in
//     _bytes Bytes; else a counter, or a histogram's count, is Count; else
//     None.
//   - Values: a counter's value as held (the Lambda gathers a Registry made
//     for one invocation, so it is the invocation's count, and CloudWatch's
//     Sum statistic adds the invocations up); a gauge's value. Series at 0
//     are kept: a 0 is a data point, so that a ratio or an alarm sees
//     "nothing happened" rather than missing data.
//   - A histogram (or summary) gives two metrics, <name>_sum and
//     <name>_count, the names of its Prometheus series: exact, and their
//     ratio is the mean. Its buckets are left out: EMF's Values/Counts
//     arrays would only approximate the observations by a bucket's bound.
//   - A value that is not finite (NaN, ±Inf) is left out: JSON cannot hold
//     it and CloudWatch would refuse it.
//
// The documents come in a fixed order (by dimension keys, then values),
// metrics sorted by name: the same values give the same bytes. Write
// writes nothing when g fails or a label cannot be a dimension (more than
// MaxDimensions labels, a value CloudWatch refuses): it returns an
// error naming the series.
func Write(w io.Writer, g prometheus.Gatherer, namespace string, at time.Time) error {
	if namespace == "" || len(namespace) > 255 || strings.HasPrefix(namespace, "AWS/") {
		return fmt.Errorf("emf: namespace %q: want 1 to 255 characters, not starting with AWS/", namespace)
	}
	families, err := g.Gather()
	if err != nil {
		return fmt.Errorf("emf: gather: %w", err)
	}
	groups := map[string]*emfGroup{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			dims, err := emfDimensions(f.GetName(), m.GetLabel())
			if err != nil {
				return err
			}
			key := emfGroupKey(dims)
			grp := groups[key]
			if grp == nil {
				grp = &emfGroup{key: key, dims: dims, values: map[string]float64{}}
				groups[key] = grp
			}
			for _, v := range emfValues(f, m) {
				if math.IsNaN(v.value) || math.IsInf(v.value, 0) {
					continue
				}
				if _, dup := grp.values[v.name]; dup {
					return fmt.Errorf("emf: metric %s%s appears twice (a histogram's _sum or _count named like another series)", v.name, labelString(dims))
				}
				grp.values[v.name] = v.value
				grp.metrics = append(grp.metrics, emfMetric{Name: v.name, Unit: v.unit})
			}
		}
	}
	sorted := make([]*emfGroup, 0, len(groups))
	for _, grp := range groups {
		if len(grp.metrics) > 0 {
			sorted = append(sorted, grp)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].key < sorted[j].key })

	var out bytes.Buffer
	for _, grp := range sorted {
		sort.Slice(grp.metrics, func(i, j int) bool { return grp.metrics[i].Name < grp.metrics[j].Name })
		keys := make([]string, len(grp.dims))
		for i, d := range grp.dims {
			keys[i] = d[0]
		}
		for start := 0; start < len(grp.metrics); start += MaxMetrics {
			chunk := grp.metrics[start:min(start+MaxMetrics, len(grp.metrics))]
			doc := map[string]any{
				"_aws": emfMetadata{
					Timestamp: at.UnixMilli(),
					CloudWatchMetrics: []emfDirective{{
						Namespace:  namespace,
						Dimensions: [][]string{keys},
						Metrics:    chunk,
					}},
				},
			}
			for _, d := range grp.dims {
				doc[d[0]] = d[1]
			}
			for _, m := range chunk {
				doc[m.Name] = grp.values[m.Name]
			}
			// encoding/json writes a map's members sorted by key: the
			// same document gives the same line.
			line, err := json.Marshal(doc)
			if err != nil {
				return fmt.Errorf("emf: encode%s: %w", labelString(grp.dims), err)
			}
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	_, err = w.Write(out.Bytes())
	return err
}

// The members of an EMF document's _aws object, as the specification names
// them.
type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// emfGroup is the series of one set of label values: one document (or
// more, MaxMetrics metrics each).
type emfGroup struct {
	key     string
	dims    [][2]string // sorted by name
	metrics []emfMetric
	values  map[string]float64
}

type emfValue struct {
	name, unit string
	value      float64
}

// emfValues is what one series of family f contributes to its document.
func emfValues(f *dto.MetricFamily, m *dto.Metric) []emfValue {
	name := f.GetName()
	switch f.GetType() {
	case dto.MetricType_COUNTER:
		return []emfValue{{name, emfUnit(name, true), m.GetCounter().GetValue()}}
	case dto.MetricType_GAUGE:
		return []emfValue{{name, emfUnit(name, false), m.GetGauge().GetValue()}}
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		h := m.GetHistogram()
		return []emfValue{
			{name + "_sum", emfUnit(name, false), h.GetSampleSum()},
			{name + "_count", "Count", float64(h.GetSampleCount())},
		}
	case dto.MetricType_SUMMARY:
		s := m.GetSummary()
		return []emfValue{
			{name + "_sum", emfUnit(name, false), s.GetSampleSum()},
			{name + "_count", "Count", float64(s.GetSampleCount())},
		}
	default: // untyped
		return []emfValue{{name, emfUnit(name, false), m.GetUntyped().GetValue()}}
	}
}

// emfUnit is the CloudWatch unit of a metric named name (a counter when
// count), read from the unit the Prometheus conventions put in the name.
func emfUnit(name string, count bool) string {
	base := strings.TrimSuffix(name, "_total")
	switch {
	case strings.HasSuffix(base, "_seconds"):
		return "Seconds"
	case strings.HasSuffix(base, "_bytes"):
		return "Bytes"
	case count:
		return "Count"
	default:
		return "None"
	}
}

// emfDimensions returns the labels of a series of family as dimensions,
// sorted by name, without the empty ones; an error when CloudWatch would
// refuse them.
func emfDimensions(family string, labels []*dto.LabelPair) ([][2]string, error) {
	var dims [][2]string
	for _, l := range labels {
		if l.GetValue() == "" {
			continue
		}
		dims = append(dims, [2]string{l.GetName(), l.GetValue()})
	}
	sort.Slice(dims, func(i, j int) bool { return dims[i][0] < dims[j][0] })
	if len(dims) > MaxDimensions {
		return nil, fmt.Errorf("emf: %s%s: %d labels, CloudWatch takes at most %d dimensions", family, labelString(dims), len(dims), MaxDimensions)
	}
	for _, d := range dims {
		if err := checkDimValue(d[1]); err != nil {
			return nil, fmt.Errorf("emf: %s%s: label %s: %w", family, labelString(dims), d[0], err)
		}
	}
	return dims, nil
}

// checkDimValue refuses what CloudWatch refuses in a dimension value.
func checkDimValue(v string) error {
	if len(v) > maxDimValue {
		return fmt.Errorf("value of %d bytes, CloudWatch takes at most %d", len(v), maxDimValue)
	}
	if strings.TrimSpace(v) == "" {
		return errors.New("value of only whitespace")
	}
	for _, r := range v {
		if r >= 0x7f || r < 0x20 {
			return fmt.Errorf("value %q: CloudWatch takes printable ASCII only", v)
		}
	}
	return nil
}

// emfGroupKey orders and identifies a set of dimensions: by their names,
// then their values.
func emfGroupKey(dims [][2]string) string {
	var names, values strings.Builder
	for _, d := range dims {
		names.WriteString(d[0])
		names.WriteByte(0)
		values.WriteString(d[1])
		values.WriteByte(0)
	}
	return names.String() + "\x01" + values.String()
}

func labelString(dims [][2]string) string {
	if len(dims) == 0 {
		return ""
	}
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = fmt.Sprintf("%s=%q", d[0], d[1])
	}
	return "{" + strings.Join(parts, ",") + "}"
}
