package scenarios

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/metrics/alerts"
)

// Metrics are the figures of cost growth, from the run's hours
// and its lake: the load on each shard, the throttling it caused, and the
// bytes RAW grows by each day.
type Metrics struct {
	// BaselineRecordsPerShardHour is the median over the first day's hours
	// of the records each shard took in an hour; PeakRecordsPerShardHour
	// the greatest hour of the run, and PeakHour when it was.
	BaselineRecordsPerShardHour float64   `json:"baseline_records_per_shard_hour"`
	PeakRecordsPerShardHour     float64   `json:"peak_records_per_shard_hour"`
	PeakHour                    time.Time `json:"peak_hour"`
	// PeakRecordsPerShardSecond is the greatest rate at which a shard took
	// records while they were being put (records per shard over
	// HourMetrics.PutSeconds): what AWS's quota of 1,000 records/s bounds.
	PeakRecordsPerShardSecond float64 `json:"peak_records_per_shard_second"`
	// Throttled counts record sends refused for a shard's write quota.
	Throttled int `json:"throttled"`
	// RawBytesByDay is the size of the RAW event objects by arrival day.
	RawBytesByDay map[string]int64 `json:"raw_bytes_by_day"`
	// Hours is the run's hours, one by one.
	Hours []HourMetrics `json:"hours"`
}

// AlertResult says whether one alert of deploy/prometheus/alerts.yaml
// fired during the run, as Prometheus would have evaluated it over the
// run's metrics (metrics/alerts).
type AlertResult struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Fired    bool   `json:"fired"`
	// First is when it first fired, on the run's clock (nil if it did
	// not); Detail its summary then.
	First  *time.Time `json:"first_fired_at,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

// rules are the alerting rules, parsed once.
var rules = sync.OnceValues(alerts.Load)

// alertNames lists the alerts of the rules file.
func alertNames() []string {
	rs, err := rules()
	if err != nil {
		return nil
	}
	return rs.Names()
}

// Alert is one rule of deploy/prometheus/alerts.yaml, as `shoplake
// scenario kinds` lists it for a scenario's expect.alerts.
type Alert struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	About    string `json:"about"`
}

// Alerts lists the alert rules a scenario can expect, in the file's order.
func Alerts() ([]Alert, error) {
	rs, err := rules()
	if err != nil {
		return nil, fmt.Errorf("the alert rules do not load: %w", err)
	}
	var out []Alert
	for _, r := range rs.List() {
		out = append(out, Alert{Name: r.Name, Severity: r.Severity, About: r.About})
	}
	return out, nil
}

// evaluateAlerts evaluates every rule over the metrics the run sampled.
func (x *run) evaluateAlerts(ctx context.Context) ([]AlertResult, error) {
	rs, err := rules()
	if err != nil {
		return nil, err
	}
	fired, err := rs.Evaluate(ctx, x.rec)
	if err != nil {
		return nil, err
	}
	var out []AlertResult
	for _, r := range rs.List() {
		res := AlertResult{Name: r.Name, Severity: r.Severity}
		for _, f := range fired {
			if f.Name == r.Name {
				first := f.First
				res.Fired, res.First, res.Detail = true, &first, f.Summary
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// metrics computes the run's metrics and evaluates every alert.
func (x *run) metrics(ctx context.Context) (Metrics, error) {
	m := Metrics{Hours: x.hours, RawBytesByDay: map[string]int64{}}
	var day1 []float64
	for _, h := range x.hours {
		per := float64(h.Records) / float64(max(h.Shards, 1))
		if h.Hour.Before(x.start.Add(24 * time.Hour)) {
			day1 = append(day1, per)
		}
		if rate := per / max(h.PutSeconds, 1); rate > m.PeakRecordsPerShardSecond {
			m.PeakRecordsPerShardSecond = rate
		}
		if per > m.PeakRecordsPerShardHour {
			m.PeakRecordsPerShardHour, m.PeakHour = per, h.Hour
		}
		m.Throttled += h.Throttled
	}
	if len(day1) > 0 {
		slices.Sort(day1)
		m.BaselineRecordsPerShardHour = day1[len(day1)/2]
	}
	infos, err := x.r.Env.Lake.List(ctx, lake.RawEvents)
	if err != nil {
		return m, err
	}
	for _, i := range infos {
		rest := strings.TrimPrefix(i.Key, lake.RawEvents+"dt=")
		if len(rest) >= len(lake.DateFormat) {
			m.RawBytesByDay[rest[:len(lake.DateFormat)]] += i.Size
		}
	}
	return m, nil
}
