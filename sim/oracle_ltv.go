package sim

import (
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// LTVHorizons are the windows, in days, of the cohort LTV mart
// (docs/MARTS.md §4).
var LTVHorizons = [3]int{30, 90, 365}

// CustomerLTV is one row of marts.customer_ltv (docs/MARTS.md §4a).
type CustomerLTV struct {
	UserID         int64
	FirstOrderDate time.Time   // UTC midnight of the first completed order's date
	CohortMonth    time.Time   // the 1st of FirstOrderDate's month
	Orders         int64       // completed orders before Horizon()
	Revenue        money.Cents // their total
	// Revenue30, Revenue90 and Revenue365 are the revenue of the completed
	// orders dated less than N days after FirstOrderDate (day offsets
	// 0..N-1); nil while FirstOrderDate + N days is after Horizon().
	Revenue30, Revenue90, Revenue365 *money.Cents
}

// Within returns the customer's revenue within the n-day window, n one of
// LTVHorizons; nil if the window has not elapsed or n is not a horizon.
func (c CustomerLTV) Within(n int) *money.Cents {
	switch n {
	case 30:
		return c.Revenue30
	case 90:
		return c.Revenue90
	case 365:
		return c.Revenue365
	}
	return nil
}

// CohortLTVRow is one row of marts.cohort_ltv (docs/MARTS.md §4b).
type CohortLTVRow struct {
	CohortMonth      time.Time // the 1st of the month, UTC
	HorizonDays      int       // one of LTVHorizons
	CohortCustomers  int64
	MaturedCustomers int64        // customers whose window has elapsed
	Revenue          money.Cents  // sum of their window revenue
	AvgRevenue       *money.Cents // Revenue/MaturedCustomers; nil when MaturedCustomers = 0
}

// CustomerLTV returns marts.customer_ltv (docs/MARTS.md §4a), one row per
// customer (a user with a completed order before Horizon()), sorted by user
// id. Revenue counts completed orders only: refunded and cancelled orders
// add nothing. An order's day offset is its date minus FirstOrderDate in
// days; the N-day window holds offsets 0..N-1 and has elapsed when
// FirstOrderDate + N days <= Horizon().
func (w *World) CustomerLTV() []CustomerLTV {
	asOf := w.Horizon()
	asOfDay := w.day(asOf) // a window has elapsed when its end date is at most asOf's
	cs := w.completedCustomers(asOf)
	out := make([]CustomerLTV, 0, len(cs))
	for _, c := range cs {
		first := w.day(c.first)
		row := CustomerLTV{
			UserID:         c.userID,
			FirstOrderDate: first,
			CohortMonth:    Monthly.start(first),
			Orders:         int64(len(c.orders)),
		}
		var within [3]money.Cents
		for _, o := range c.orders {
			total := w.OrderTotal(*o)
			row.Revenue += total
			day := int(w.day(o.Date).Sub(first) / (24 * time.Hour))
			for i, n := range LTVHorizons {
				if day < n {
					within[i] += total
				}
			}
		}
		ptrs := [3]**money.Cents{&row.Revenue30, &row.Revenue90, &row.Revenue365}
		for i, n := range LTVHorizons {
			if !first.AddDate(0, 0, n).After(asOfDay) {
				*ptrs[i] = new(within[i])
			}
		}
		out = append(out, row)
	}
	return out
}

// CohortLTV returns marts.cohort_ltv (docs/MARTS.md §4b): for every cohort
// month with a customer, one row per horizon of LTVHorizons, sorted by
// (CohortMonth, HorizonDays). Only customers whose window has elapsed
// (CustomerLTV.Within not nil) are averaged; AvgRevenue is rounded half away
// from zero to the cent.
func (w *World) CohortLTV() []CohortLTVRow {
	type acc struct {
		customers int64
		matured   [3]int64
		revenue   [3]money.Cents
	}
	cohorts := make(map[time.Time]*acc)
	for _, c := range w.CustomerLTV() {
		a, ok := cohorts[c.CohortMonth]
		if !ok {
			a = &acc{}
			cohorts[c.CohortMonth] = a
		}
		a.customers++
		for i, n := range LTVHorizons {
			if v := c.Within(n); v != nil {
				a.matured[i]++
				a.revenue[i] += *v
			}
		}
	}
	out := make([]CohortLTVRow, 0, len(LTVHorizons)*len(cohorts))
	for _, m := range sortedDates(cohorts) {
		a := cohorts[m]
		for i, n := range LTVHorizons {
			row := CohortLTVRow{
				CohortMonth:      m,
				HorizonDays:      n,
				CohortCustomers:  a.customers,
				MaturedCustomers: a.matured[i],
				Revenue:          a.revenue[i],
			}
			if a.matured[i] > 0 {
				row.AvgRevenue = new(money.Cents(divRound(int64(a.revenue[i]), a.matured[i])))
			}
			out = append(out, row)
		}
	}
	return out
}
