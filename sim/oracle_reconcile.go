package sim

import (
	"slices"
	"time"

	"github.com/shoplake/shoplake/stream"
)

// ReconciliationRow is one row of marts.purchase_reconciliation
// (docs/MARTS.md §6).
type ReconciliationRow struct {
	Date                 time.Time // UTC midnight
	Orders               int64     // orders of any status dated Date
	TrackedOrders        int64     // those named by at least one purchase event
	UntrackedOrders      int64     // Orders - TrackedOrders
	PurchaseEvents       int64     // purchase events whose event_time falls on Date
	OrphanPurchaseEvents int64     // those whose order_id names no order
	TrackingLossRate     *string   // UntrackedOrders/Orders, "0.0500"; nil when Orders = 0
}

// reconciliation matches w.Orders with the purchase events of w.Events by
// order id: it returns the set of tracked order ids and the orphan events.
func (w *World) reconciliation() (tracked map[int64]bool, orphans []*stream.Event) {
	known := make(map[int64]bool, len(w.Orders))
	for _, o := range w.Orders {
		known[o.ID] = true
	}
	tracked = make(map[int64]bool, len(w.Orders))
	for i := range w.events() {
		e := &w.Events[i]
		if e.EventType != stream.Purchase {
			continue
		}
		if e.OrderID != nil && known[*e.OrderID] {
			tracked[*e.OrderID] = true
			continue
		}
		orphans = append(orphans, e)
	}
	return tracked, orphans
}

// Reconciliation returns marts.purchase_reconciliation (docs/MARTS.md §6):
// one row per date with at least one order or purchase event, sorted by
// date. Orders of every status count, on the date of their Date; an order
// is tracked if some purchase event (any date, any session) carries its id.
// Purchase events count on the date of their event_time; an orphan is one
// whose order_id names no order of the World.
func (w *World) Reconciliation() []ReconciliationRow {
	tracked, orphans := w.reconciliation()
	isOrphan := make(map[*stream.Event]bool, len(orphans))
	for _, e := range orphans {
		isOrphan[e] = true
	}
	rows := make(map[time.Time]*ReconciliationRow)
	row := func(d time.Time) *ReconciliationRow {
		r, ok := rows[d]
		if !ok {
			r = &ReconciliationRow{Date: d}
			rows[d] = r
		}
		return r
	}
	for _, o := range w.Orders {
		r := row(w.day(o.Date))
		r.Orders++
		if tracked[o.ID] {
			r.TrackedOrders++
		} else {
			r.UntrackedOrders++
		}
	}
	for i := range w.events() {
		e := &w.Events[i]
		if e.EventType != stream.Purchase {
			continue
		}
		r := row(w.day(e.EventTime))
		r.PurchaseEvents++
		if isOrphan[e] {
			r.OrphanPurchaseEvents++
		}
	}
	out := make([]ReconciliationRow, 0, len(rows))
	for _, d := range sortedDates(rows) {
		r := rows[d]
		if r.Orders > 0 {
			r.TrackingLossRate = new(ratio4(r.UntrackedOrders, r.Orders))
		}
		out = append(out, *r)
	}
	return out
}

// UntrackedOrders returns the ids of the orders that no purchase event
// carries (tracking loss, docs/MARTS.md §6), ascending.
func (w *World) UntrackedOrders() []int64 {
	tracked, _ := w.reconciliation()
	out := []int64{}
	for _, o := range w.Orders {
		if !tracked[o.ID] {
			out = append(out, o.ID)
		}
	}
	slices.Sort(out)
	return out
}

// OrphanPurchaseEvents returns the event ids of the purchase events whose
// order_id names no order of the World (docs/MARTS.md §6), ascending.
func (w *World) OrphanPurchaseEvents() []string {
	_, orphans := w.reconciliation()
	out := make([]string, 0, len(orphans))
	for _, e := range orphans {
		out = append(out, e.EventID)
	}
	slices.Sort(out)
	return out
}
