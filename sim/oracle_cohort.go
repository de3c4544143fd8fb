package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Granularity is the length of a cohort period: a calendar month or an ISO
// week (Monday to Sunday), both in UTC.
type Granularity int

// The granularities of cohort retention (docs/MARTS.md §3).
const (
	Monthly Granularity = iota + 1
	Weekly
)

// String returns "month" or "week", the mart's granularity column.
func (g Granularity) String() string {
	switch g {
	case Monthly:
		return "month"
	case Weekly:
		return "week"
	}
	return fmt.Sprintf("Granularity(%d)", int(g))
}

// start returns the date that starts the period containing date d (a UTC
// midnight label; callers take an instant's date in the business time zone
// first): the 1st of its month, or the Monday of its ISO week.
func (g Granularity) start(d time.Time) time.Time {
	switch g {
	case Monthly:
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	case Weekly:
		return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	}
	panic(fmt.Sprintf("sim: invalid %v", g))
}

// add returns the start of the period k periods after the period starting
// at p.
func (g Granularity) add(p time.Time, k int) time.Time {
	if g == Monthly {
		return p.AddDate(0, k, 0)
	}
	return p.AddDate(0, 0, 7*k)
}

// offset returns how many periods the period starting at to lies after the
// one starting at from.
func (g Granularity) offset(from, to time.Time) int {
	if g == Monthly {
		return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
	}
	return int(to.Sub(from) / (7 * 24 * time.Hour))
}

// CohortRetentionRow is one row of marts.cohort_retention (docs/MARTS.md §3).
type CohortRetentionRow struct {
	Granularity    Granularity
	Cohort         time.Time // cohort_start: UTC midnight of the 1st, or of a Monday
	Offset         int       // period_offset, >= 0
	Period         time.Time // period_start: the start of period Cohort + Offset
	CohortSize     int64     // >= 1
	Active         int64     // members with a completed order in the period
	Rate           string    // Active/CohortSize, "0.1234"
	PeriodComplete bool      // the period ends at or before World.Horizon()
}

// oracleCustomer is what the oracle knows of one customer: a user with at
// least one completed order before the horizon.
type oracleCustomer struct {
	userID int64
	first  time.Time // Date of the first completed order
	orders []*Order  // completed orders before the horizon, by Date
}

// completedCustomers returns the World's customers as of asOf, sorted by
// user id. Only completed orders with Date < asOf count (docs/MARTS.md §0).
func (w *World) completedCustomers(asOf time.Time) []*oracleCustomer {
	byUser := make(map[int64]*oracleCustomer)
	obs := w.observer()
	for i := range w.Orders {
		o := &w.Orders[i]
		if st, _, _ := obs.order(*o); st != StatusCompleted || !o.Date.Before(asOf) {
			continue
		}
		c, ok := byUser[o.UserID]
		if !ok {
			c = &oracleCustomer{userID: o.UserID, first: o.Date}
			byUser[o.UserID] = c
		}
		if o.Date.Before(c.first) {
			c.first = o.Date
		}
		c.orders = append(c.orders, o)
	}
	out := make([]*oracleCustomer, 0, len(byUser))
	for _, c := range byUser {
		slices.SortFunc(c.orders, func(a, b *Order) int {
			if d := a.Date.Compare(b.Date); d != 0 {
				return d
			}
			return cmp.Compare(a.ID, b.ID)
		})
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *oracleCustomer) int { return cmp.Compare(a.userID, b.userID) })
	return out
}

// CohortRetention returns the rows of marts.cohort_retention of granularity
// g (docs/MARTS.md §3), sorted by (Cohort, Offset):
//
//   - a customer is a user with at least one completed order before
//     Horizon(); their cohort is the period of their first completed order
//     (cancelled and refunded orders neither found nor extend a cohort);
//   - Active at offset k: members with at least one completed order dated in
//     period Cohort + k;
//   - every cohort gets offsets 0 up to the period containing the last
//     instant before Horizon(), zeros included; PeriodComplete tells whether
//     that period has ended by Horizon();
//   - Rate is Active/CohortSize rounded half away from zero to 4 decimals.
//
// It panics if g is neither Monthly nor Weekly.
func (w *World) CohortRetention(g Granularity) []CohortRetentionRow {
	if g != Monthly && g != Weekly {
		panic(fmt.Sprintf("sim: CohortRetention: invalid %v", g))
	}
	asOf := w.Horizon()
	type cohort struct {
		size   int64
		active []int64 // by offset
	}
	cohorts := make(map[time.Time]*cohort)
	for _, c := range w.completedCustomers(asOf) {
		start := g.start(w.day(c.first))
		ch, ok := cohorts[start]
		if !ok {
			ch = &cohort{}
			cohorts[start] = ch
		}
		ch.size++
		last := -1 // orders are by date, so offsets are non-decreasing
		for _, o := range c.orders {
			k := g.offset(start, g.start(w.day(o.Date)))
			if k == last {
				continue
			}
			last = k
			for len(ch.active) <= k {
				ch.active = append(ch.active, 0)
			}
			ch.active[k]++
		}
	}
	var out []CohortRetentionRow
	if len(cohorts) == 0 {
		return out
	}
	lastPeriod := g.start(w.day(asOf.Add(-time.Nanosecond)))
	// A period has ended by asOf when the date after it is at most asOf's
	// date: its first instant is then at or before asOf.
	asOfDay := w.day(asOf)
	for _, start := range sortedDates(cohorts) {
		ch := cohorts[start]
		for k := 0; k <= g.offset(start, lastPeriod); k++ {
			var active int64
			if k < len(ch.active) {
				active = ch.active[k]
			}
			period := g.add(start, k)
			out = append(out, CohortRetentionRow{
				Granularity:    g,
				Cohort:         start,
				Offset:         k,
				Period:         period,
				CohortSize:     ch.size,
				Active:         active,
				Rate:           ratio4(active, ch.size),
				PeriodComplete: !g.add(period, 1).After(asOfDay),
			})
		}
	}
	return out
}
