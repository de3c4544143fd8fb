package sim

import (
	"cmp"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/clean"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/stream"
)

// AttributionWindowDays is how far back first-touch attribution looks for
// the session that brought a customer: the order's user's sessions that
// started at most this many days (of 24 hours) before the order. The
// warehouse writes the same number as a literal in
// models/marts_order_attribution.sql.
const AttributionWindowDays = 30

// Attribution models of marts.order_attribution (docs/MARTS.md §15).
const (
	FirstTouch = "first_touch"
	LastTouch  = "last_touch"
)

// Untracked is the channel and the UTM values of an order that no session
// can be credited with (docs/MARTS.md §15).
const Untracked = "(untracked)"

// OrderAttributionRow is one row of the order attribution mart
// (docs/MARTS.md §15), as the oracle computes it.
type OrderAttributionRow struct {
	Date        time.Time // UTC midnight: the orders' date
	Model       string    // FirstTouch or LastTouch
	Channel     string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	Orders      int64
	Revenue     money.Cents
}

// touch is the traffic source a session credits an order with: the
// session's dimensions (its first event's), normalised.
type touch struct{ channel, source, medium, campaign string }

var untracked = touch{Untracked, Untracked, Untracked, Untracked}

// touchOf returns the normalised traffic source of a session's first event.
func touchOf(first stream.Event) touch {
	var t touch
	t.channel, _ = clean.Dimension("channel", first.Channel)
	t.source, _ = clean.Dimension("utm_source", first.UTMSource)
	t.medium, _ = clean.Dimension("utm_medium", first.UTMMedium)
	t.campaign, _ = clean.Dimension("utm_campaign", first.UTMCampaign)
	return t
}

// OrderAttribution returns the order attribution mart: which traffic source
// sold. Every completed order as daily_kpis counts it (status as observed,
// on the order's Date; §1) is credited once under each of two models:
//
//   - last_touch: the session that holds the order's purchase event (a
//     purchase event whose order_id is the order; of several, the earliest
//     event_time, then the smallest event_id);
//   - first_touch: of the sessions of the order's user (a session's user is
//     the smallest user_id among its events) that started (their first
//     event) within the AttributionWindowDays days before the order,
//     started_at in [Date - 30 days, Date], the earliest (started_at, then
//     the smallest session_id).
//
// The order takes that session's channel, utm_source, utm_medium and
// utm_campaign (its first event's, normalised by clean.Dimension); an
// order with no such session takes Untracked for all four. Rows group the
// orders by (date, model, channel, utm_source, utm_medium, utm_campaign):
// Orders counts them, Revenue sums their totals (OrderTotal). Sorted by
// that key, strings bytewise. For every (date, model), Orders and Revenue
// sum to daily_kpis' orders and revenue.
func (w *World) OrderAttribution() []OrderAttributionRow {
	sessions := w.summarizeSessions()

	// The purchase event that speaks for each order: the earliest, then
	// the smallest event_id.
	purchase := map[int64]*stream.Event{}
	for i := range w.events() {
		e := &w.Events[i]
		if e.EventType != stream.Purchase || e.OrderID == nil {
			continue
		}
		p, ok := purchase[*e.OrderID]
		if !ok || e.EventTime.Before(p.EventTime) || e.EventTime.Equal(p.EventTime) && e.EventID < p.EventID {
			purchase[*e.OrderID] = e
		}
	}

	// Each user's sessions, by (started_at, session_id).
	type started struct {
		id string
		at time.Time
		t  touch
	}
	byUser := map[int64][]started{}
	for id, s := range sessions {
		if s.userID != nil {
			byUser[*s.userID] = append(byUser[*s.userID], started{id: id, at: s.first.EventTime, t: touchOf(s.first)})
		}
	}
	for _, ss := range byUser {
		slices.SortFunc(ss, func(a, b started) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.id, b.id)) })
	}

	type key struct {
		date  time.Time
		model string
		touch
	}
	rows := map[key]*OrderAttributionRow{}
	credit := func(o Order, model string, t touch, total money.Cents) {
		k := key{date: w.day(o.Date), model: model, touch: t}
		r, ok := rows[k]
		if !ok {
			r = &OrderAttributionRow{Date: k.date, Model: model, Channel: t.channel, UTMSource: t.source, UTMMedium: t.medium, UTMCampaign: t.campaign}
			rows[k] = r
		}
		r.Orders++
		r.Revenue += total
	}
	obs := w.observer()
	window := AttributionWindowDays * 24 * time.Hour
	for _, o := range w.Orders {
		if st, _, _ := obs.order(o); st != StatusCompleted {
			continue
		}
		total := w.OrderTotal(o)

		last := untracked
		if e, ok := purchase[o.ID]; ok {
			last = touchOf(sessions[e.SessionID].first)
		}
		credit(o, LastTouch, last, total)

		first := untracked
		from := o.Date.Add(-window)
		for _, s := range byUser[o.UserID] {
			if s.at.After(o.Date) {
				break
			}
			if !s.at.Before(from) {
				first = s.t
				break
			}
		}
		credit(o, FirstTouch, first, total)
	}

	out := make([]OrderAttributionRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b OrderAttributionRow) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Channel, b.Channel),
			cmp.Compare(a.UTMSource, b.UTMSource), cmp.Compare(a.UTMMedium, b.UTMMedium), cmp.Compare(a.UTMCampaign, b.UTMCampaign))
	})
	return out
}
