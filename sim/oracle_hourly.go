package sim

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// TrafficHourRow is one row of the traffic by hour mart (docs/MARTS.md
// §16), as the oracle computes it.
type TrafficHourRow struct {
	Date               time.Time // UTC midnight
	Hour               int       // 0..23, in the business time zone
	Weekday            int       // ISO: 1 = Monday .. 7 = Sunday, of Date
	Sessions           int64
	ConvertingSessions int64
	Orders             int64
	Revenue            money.Cents
}

// isoWeekday returns the ISO day of the week of t: 1 = Monday .. 7 =
// Sunday.
func isoWeekday(t time.Time) int {
	if d := t.Weekday(); d != time.Sunday {
		return int(d)
	}
	return 7
}

// TrafficByHour returns the traffic by hour mart: daily_kpis (§1) split by
// the hour of the day in the business time zone. One row per (date, hour) that has at least one
// session or one completed order, sorted by (date, hour):
//
//   - Sessions: sessions whose first event (the earliest, any type) falls
//     in that hour of that date;
//   - ConvertingSessions: those of them with at least one purchase event;
//   - Orders, Revenue: the orders with status completed as observed
//     (daily_kpis' orders) whose Date falls in that hour, and the sum of
//     their totals (OrderTotal);
//   - Weekday: the ISO day of the week of the date, 1 = Monday .. 7 =
//     Sunday.
//
// Summed over the hours of a date, the four counts are daily_kpis'
// sessions, converting_sessions, orders and revenue of that date.
func (w *World) TrafficByHour() []TrafficHourRow {
	type key struct {
		date time.Time
		hour int
	}
	rows := map[key]*TrafficHourRow{}
	row := func(t time.Time) *TrafficHourRow {
		k := key{w.day(t), w.Zone.Local(t).Hour()}
		r, ok := rows[k]
		if !ok {
			r = &TrafficHourRow{Date: k.date, Hour: k.hour, Weekday: isoWeekday(k.date)}
			rows[k] = r
		}
		return r
	}
	for _, s := range w.summarizeSessions() {
		r := row(s.first.EventTime)
		r.Sessions++
		if s.purchased {
			r.ConvertingSessions++
		}
	}
	obs := w.observer()
	for _, o := range w.Orders {
		if st, _, _ := obs.order(o); st != StatusCompleted {
			continue
		}
		r := row(o.Date)
		r.Orders++
		r.Revenue += w.OrderTotal(o)
	}
	out := make([]TrafficHourRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b TrafficHourRow) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Hour, b.Hour))
	})
	return out
}
