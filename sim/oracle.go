package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/stream"
)

// DailyKPI is one row of the daily KPIs mart, as the oracle computes it.
type DailyKPI struct {
	Date               time.Time // UTC midnight
	Sessions           int64
	ConvertingSessions int64
	Orders             int64
	Revenue            money.Cents
	AvgOrderValue      *money.Cents // nil when Orders = 0
	ConversionRate     *string      // "0.0375"; nil when Sessions = 0
}

// FunnelStep is one row of the session funnel mart, as the oracle computes it.
type FunnelStep struct {
	Date                   time.Time // UTC midnight: the sessions' date
	StepOrder              int       // 1..4
	Step                   stream.EventType
	Sessions               int64
	ConversionFromPrevious *string // "0.5000"; nil for step 1 or when the previous step has 0 sessions
}

// FunnelSteps are the steps of the session funnel, StepOrder 1 to 4.
var FunnelSteps = []stream.EventType{stream.ProductView, stream.AddToCart, stream.BeginCheckout, stream.Purchase}

// funnelStep is the funnel step of an event type, 1..4, or 0 for a type
// that is not a step.
func funnelStep(t stream.EventType) int {
	return slices.Index(FunnelSteps, t) + 1
}

// sessionSummary is what the oracle needs to know of one session.
type sessionSummary struct {
	date      time.Time // date of the first event (business time zone)
	purchased bool
	reached   int    // the furthest funnel step of which it has an event, 0..4
	userID    *int64 // the smallest user_id among its events; nil when anonymous
	// first is the session's first event: the earliest, then the smallest
	// event_id; its dimensions are the session's (docs/MARTS.md §0).
	first stream.Event
}

// summarizeSessions groups w.Events by session_id. The events may be in any
// order.
func (w *World) summarizeSessions() map[string]*sessionSummary {
	bySession := make(map[string][]stream.Event)
	for _, e := range w.events() {
		bySession[e.SessionID] = append(bySession[e.SessionID], e)
	}
	out := make(map[string]*sessionSummary, len(bySession))
	for id, evs := range bySession {
		s := &sessionSummary{first: evs[0]}
		for _, e := range evs {
			if f := s.first; e.EventTime.Before(f.EventTime) || e.EventTime.Equal(f.EventTime) && e.EventID < f.EventID {
				s.first = e
			}
			if e.EventType == stream.Purchase {
				s.purchased = true
			}
		}
		s.date = w.day(s.first.EventTime)
		// The furthest step of which the session has an event, whatever
		// their order in time (docs/MARTS.md §2).
		for _, e := range evs {
			if k := funnelStep(e.EventType); k > s.reached {
				s.reached = k
			}
			if e.UserID != nil && (s.userID == nil || *e.UserID < *s.userID) {
				s.userID = e.UserID
			}
		}
		out[id] = s
	}
	return out
}

// DailyKPIs returns the daily KPIs mart (docs/MARTS.md §1): one row per
// date that has at least one session or one completed order, sorted by
// date:
//
//   - a session's date is the date of its earliest event;
//   - Sessions(D): sessions (distinct session_id) whose date is D;
//   - ConvertingSessions(D): those of them with at least one purchase event
//     (whatever the status of its order, or if it names no order);
//   - Orders(D): orders with Status "completed" whose Date has date D;
//     orders of any other status count nowhere, not even to report a date;
//   - Revenue(D): the sum of those orders' totals, a total being the sum
//     over lines of quantity × the product's price in force at the
//     order's Date (OrderTotal);
//   - AvgOrderValue: Revenue/Orders in cents, rounded half away from zero;
//     nil when Orders = 0;
//   - ConversionRate: ConvertingSessions/Sessions rounded half away from
//     zero to 4 decimals, as "0.1234"; nil when Sessions = 0.
func (w *World) DailyKPIs() []DailyKPI {
	rows := make(map[time.Time]*DailyKPI)
	row := func(d time.Time) *DailyKPI {
		if r, ok := rows[d]; ok {
			return r
		}
		r := &DailyKPI{Date: d}
		rows[d] = r
		return r
	}
	for _, s := range w.summarizeSessions() {
		r := row(s.date)
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
		r := row(w.day(o.Date))
		r.Orders++
		r.Revenue += w.OrderTotal(o)
	}
	out := make([]DailyKPI, 0, len(rows))
	for _, d := range sortedDates(rows) {
		r := rows[d]
		if r.Orders > 0 {
			r.AvgOrderValue = new(money.Cents(divRound(int64(r.Revenue), r.Orders)))
		}
		if r.Sessions > 0 {
			r.ConversionRate = new(ratio4(r.ConvertingSessions, r.Sessions))
		}
		out = append(out, *r)
	}
	return out
}

// SessionFunnel returns the session funnel mart (docs/MARTS.md §2): for
// every date that has at least one session, four rows in step order
// (FunnelSteps: product_view, add_to_cart, begin_checkout, purchase), zeros
// included, sorted by (date, step order):
//
//   - a session reaches step k if it has an event of step k's type or of a
//     later step's, whatever their order in time: its furthest step is the
//     last step of which it has an event, and it reaches every step up to
//     it (so step 4 counts exactly the sessions with a purchase event, the
//     converting sessions of daily_kpis);
//   - Sessions(D, k): sessions of date D (date of the earliest event of the
//     session, any type) reaching step k;
//   - ConversionFromPrevious: Sessions(D, k)/Sessions(D, k-1) rounded half
//     away from zero to 4 decimals; nil for step 1 or when Sessions(D, k-1)
//     is 0.
func (w *World) SessionFunnel() []FunnelStep {
	counts := make(map[time.Time]*[4]int64)
	for _, s := range w.summarizeSessions() {
		c, ok := counts[s.date]
		if !ok {
			c = new([4]int64)
			counts[s.date] = c
		}
		for k := range s.reached {
			c[k]++
		}
	}
	out := make([]FunnelStep, 0, 4*len(counts))
	for _, d := range sortedDates(counts) {
		c := counts[d]
		for k, typ := range FunnelSteps {
			step := FunnelStep{Date: d, StepOrder: k + 1, Step: typ, Sessions: c[k]}
			if k > 0 && c[k-1] > 0 {
				step.ConversionFromPrevious = new(ratio4(c[k], c[k-1]))
			}
			out = append(out, step)
		}
	}
	return out
}

// Horizon returns as_of, the exclusive end of the range the marts observe
// (docs/MARTS.md §0): Config.End() if Config.Start is set, otherwise (a
// hand-built World) the UTC midnight after the latest order date or event
// time, or the zero time if the World has neither. It is always a UTC
// midnight. Cohort retention and LTV ignore orders at or after it.
func (w *World) Horizon() time.Time {
	if !w.Config.Start.IsZero() {
		return w.Config.End()
	}
	var latest time.Time
	for _, o := range w.Orders {
		if o.Date.After(latest) {
			latest = o.Date
		}
	}
	for _, e := range w.events() {
		if e.EventTime.After(latest) {
			latest = e.EventTime
		}
	}
	if latest.IsZero() {
		return time.Time{}
	}
	return utcDate(latest).AddDate(0, 0, 1)
}

// day returns the date of instant t in the business time zone (Zone), as
// the UTC midnight that labels it.
func (w *World) day(t time.Time) time.Time { return w.Zone.Date(t) }

// utcDate returns the UTC midnight of t's UTC date.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func sortedDates[V any](m map[time.Time]V) []time.Time {
	out := make([]time.Time, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// divRound returns a/b rounded half away from zero; b > 0.
func divRound(a, b int64) int64 {
	if a < 0 {
		return -divRound(-a, b)
	}
	return (2*a + b) / (2 * b)
}

// ratio2 formats num/den (both >= 0, den > 0) rounded half away from zero
// to 2 decimals: ratio2(47, 20) = "2.35". It renders the averages of counts
// (units or lines per order), which are neither money nor rates.
func ratio2(num, den int64) string {
	q := divRound(num*100, den)
	return fmt.Sprintf("%d.%02d", q/100, q%100)
}

// ratio4 formats num/den (both >= 0, den > 0) rounded half away from zero
// to 4 decimals: ratio4(3, 80) = "0.0375".
func ratio4(num, den int64) string {
	q := divRound(num*10000, den)
	return fmt.Sprintf("%d.%04d", q/10000, q%10000)
}
