package sim

import "time"

// AbandonmentRow is one row of the checkout abandonment mart
// (docs/MARTS.md §18), as the oracle computes it.
type AbandonmentRow struct {
	Date                    time.Time // UTC midnight: the sessions' date
	Sessions                int64
	Carts                   int64
	Checkouts               int64
	Purchases               int64
	CartAbandonmentRate     *string // (Carts - Purchases) / Carts, "0.1234"; nil when Carts = 0
	CheckoutAbandonmentRate *string // (Checkouts - Purchases) / Checkouts; nil when Checkouts = 0
}

// CheckoutAbandonment returns the checkout abandonment mart: for every
// date with a session, sorted by date, its sessions and, by the session
// funnel's furthest step (§2), those reaching add_to_cart (Carts),
// begin_checkout (Checkouts) and purchase (Purchases, the converting
// sessions of DailyKPIs). CartAbandonmentRate is (Carts - Purchases) /
// Carts and CheckoutAbandonmentRate (Checkouts - Purchases) / Checkouts,
// rounded half away from zero to 4 decimals; nil when the denominator is 0.
func (w *World) CheckoutAbandonment() []AbandonmentRow {
	rows := map[time.Time]*AbandonmentRow{}
	for _, s := range w.summarizeSessions() {
		r, ok := rows[s.date]
		if !ok {
			r = &AbandonmentRow{Date: s.date}
			rows[s.date] = r
		}
		r.Sessions++
		if s.reached >= 2 {
			r.Carts++
		}
		if s.reached >= 3 {
			r.Checkouts++
		}
		if s.reached >= 4 {
			r.Purchases++
		}
	}
	out := make([]AbandonmentRow, 0, len(rows))
	for _, d := range sortedDates(rows) {
		r := rows[d]
		if r.Carts > 0 {
			r.CartAbandonmentRate = new(ratio4(r.Carts-r.Purchases, r.Carts))
		}
		if r.Checkouts > 0 {
			r.CheckoutAbandonmentRate = new(ratio4(r.Checkouts-r.Purchases, r.Checkouts))
		}
		out = append(out, *r)
	}
	return out
}
