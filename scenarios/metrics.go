package scenarios

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoplake/shoplake/lake"
)

// Metrics are the figures that detect cost growth, from the run's hours
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

// AlertResult says whether one cost alert fired.
type AlertResult struct {
	Name   string `json:"name"`
	Fired  bool   `json:"fired"`
	Detail string `json:"detail"`
}

// alert is a threshold on the metrics that an operator would page on.
type alert struct {
	name  string
	about string
	eval  func(m Metrics) (bool, string)
}

// The alert thresholds.
const (
	alertLoadFactor    = 5.0 // peak records per shard-hour over the baseline
	alertLoadFloor     = 500 // and at least this many: a quiet shop's noise is no alert
	alertStorageFactor = 5.0 // a day's RAW bytes over the first day's
	// alertSaturation is the share of a shard's write quota (1,000
	// records/s) at which it is saturated.
	alertSaturation = 0.8
	shardWriteQuota = 1000
)

var alerts = []alert{
	{"shard_load", fmt.Sprintf("a shard's records in an hour exceed %.0f× the first day's median hour, and %d", alertLoadFactor, alertLoadFloor), func(m Metrics) (bool, string) {
		base := max(m.BaselineRecordsPerShardHour, 1)
		return m.PeakRecordsPerShardHour > alertLoadFactor*base && m.PeakRecordsPerShardHour >= alertLoadFloor, fmt.Sprintf("peak %.0f records per shard-hour at %s, baseline %.1f",
			m.PeakRecordsPerShardHour, m.PeakHour.Format("2006-01-02T15Z"), m.BaselineRecordsPerShardHour)
	}},
	{"shard_saturation", fmt.Sprintf("a shard takes records at %.0f%% or more of its write quota (%d records/s)", alertSaturation*100, shardWriteQuota), func(m Metrics) (bool, string) {
		return m.PeakRecordsPerShardSecond >= alertSaturation*shardWriteQuota, fmt.Sprintf("peak %.0f records/s per shard", m.PeakRecordsPerShardSecond)
	}},
	{"write_throttles", "records refused for a shard's write quota (ProvisionedThroughputExceeded)", func(m Metrics) (bool, string) {
		return m.Throttled > 0, fmt.Sprintf("%d sends throttled", m.Throttled)
	}},
	{"storage_growth", fmt.Sprintf("RAW grows in a day by more than %.0f× the first day", alertStorageFactor), func(m Metrics) (bool, string) {
		var days []string
		for d := range m.RawBytesByDay {
			days = append(days, d)
		}
		slices.Sort(days)
		if len(days) == 0 {
			return false, "no RAW events"
		}
		base, peak, peakDay := m.RawBytesByDay[days[0]], int64(0), ""
		for _, d := range days {
			if m.RawBytesByDay[d] > peak {
				peak, peakDay = m.RawBytesByDay[d], d
			}
		}
		return float64(peak) > alertStorageFactor*float64(max(base, 1)), fmt.Sprintf("peak %d bytes on %s, first day %d", peak, peakDay, base)
	}},
}

func alertByName(name string) (alert, bool) {
	for _, a := range alerts {
		if a.name == name {
			return a, true
		}
	}
	return alert{}, false
}

func alertNames() []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.name)
	}
	return out
}

// AlertHelp describes every alert, one per line.
func AlertHelp() string {
	var b strings.Builder
	for _, a := range alerts {
		fmt.Fprintf(&b, "%s: %s\n", a.name, a.about)
	}
	return b.String()
}

// metrics computes the run's metrics and evaluates every alert.
func (x *run) metrics(ctx context.Context) (Metrics, []AlertResult, error) {
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
		return m, nil, err
	}
	for _, i := range infos {
		rest := strings.TrimPrefix(i.Key, lake.RawEvents+"dt=")
		if len(rest) >= len(lake.DateFormat) {
			m.RawBytesByDay[rest[:len(lake.DateFormat)]] += i.Size
		}
	}
	var res []AlertResult
	for _, a := range alerts {
		fired, detail := a.eval(m)
		res = append(res, AlertResult{Name: a.name, Fired: fired, Detail: detail})
	}
	return m, res, nil
}
