package sim

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/clean"
)

// TrafficSourceRow is one row of the traffic sources mart (docs/MARTS.md
// §10), as the oracle computes it.
type TrafficSourceRow struct {
	Date                 time.Time // UTC midnight: the sessions' date
	Channel              string
	DeviceType           string
	Country              string
	Sessions             int64
	ReachedProductView   int64
	ReachedAddToCart     int64
	ReachedBeginCheckout int64
	ReachedPurchase      int64
	FunnelConversion     string // ReachedPurchase / Sessions, "0.1234"
}

// TrafficSources returns the traffic sources mart: for every date, the
// sessions of that date (the date of their first event) grouped by the
// channel, device type and country of their first event (the earliest, then
// the smallest event_id), normalised by clean.Dimension, with how many
// reached each step of the session funnel (§2); FunnelConversion is
// ReachedPurchase / Sessions rounded half away from zero to 4 decimals.
// Rows are sorted by date, then channel, device type and country bytewise.
func (w *World) TrafficSources() []TrafficSourceRow {
	type key struct {
		date                         time.Time
		channel, deviceType, country string
	}
	rows := map[key]*TrafficSourceRow{}
	for _, s := range w.summarizeSessions() {
		k := key{date: s.date}
		k.channel, _ = clean.Dimension("channel", s.first.Channel)
		k.deviceType, _ = clean.Dimension("device_type", s.first.DeviceType)
		k.country, _ = clean.Dimension("country", s.first.Country)
		r, ok := rows[k]
		if !ok {
			r = &TrafficSourceRow{Date: k.date, Channel: k.channel, DeviceType: k.deviceType, Country: k.country}
			rows[k] = r
		}
		r.Sessions++
		for step, n := range []*int64{&r.ReachedProductView, &r.ReachedAddToCart, &r.ReachedBeginCheckout, &r.ReachedPurchase} {
			if s.reached > step {
				*n++
			}
		}
	}
	out := make([]TrafficSourceRow, 0, len(rows))
	for _, r := range rows {
		r.FunnelConversion = ratio4(r.ReachedPurchase, r.Sessions)
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b TrafficSourceRow) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Channel, b.Channel),
			cmp.Compare(a.DeviceType, b.DeviceType), cmp.Compare(a.Country, b.Country))
	})
	return out
}
