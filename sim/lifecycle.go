package sim

import (
	"time"
)

// Order lifecycle (Config.OrderLifecycle). A shop's orders change after
// they are placed: an order is cancelled before it ships, refunded days
// after it arrived, or has one line returned. Without the lifecycle an
// order has its final status from the moment it is placed (the worlds
// before it).
//
// With it, an order is placed "completed" and then:
//   - a cancelled order (CancelRate) is cancelled 10 minutes to 20 hours
//     later, before it ships: nothing is refunded, nothing was paid out;
//   - a refunded order (RefundRate) is refunded whole 1 to 14 days later;
//   - PartialRefundRate of the completed orders with two lines or more have
//     one line returned, its whole quantity, 1 to 14 days later; the order
//     stays completed.
//
// The delays and the line are drawn from the order's id
// ("sim/orders/lifecycle"), never from the behaviour's stream: the
// sessions, events and orders of a seed are the same with or without the
// lifecycle, only what the API says of an order, and when, differs. A change
// may fall after the simulated period: it has not happened yet when the
// last day is read, as for a real shop.

// Lifecycle delays.
const (
	MinCancelDelay = 10 * time.Minute
	MaxCancelDelay = 20 * time.Hour
	MinRefundDelay = 24 * time.Hour
	MaxRefundDelay = 14 * 24 * time.Hour
)

// StatusChange is one change of an order after it was placed.
type StatusChange struct {
	At     time.Time
	Status string // the order's status after the change
	// Refund lists the lines (product and quantity) this change refunds:
	// every line for a refund, one for a partial refund, none for a
	// cancellation.
	Refund []Line
}

// Refund is one refunded line as the API serves it: when, which product,
// how many.
type Refund struct {
	At        time.Time
	ProductID int64
	Quantity  int64
}

// AsOf returns what the order is at t: its status, when it took that
// status (the order's date, or the change's time), and the lines refunded
// by then, in time order. Before the order's date it is not placed yet:
// ok is false.
func (o Order) AsOf(t time.Time) (status string, since time.Time, refunds []Refund, ok bool) {
	if o.Date.After(t) {
		return "", time.Time{}, nil, false
	}
	status, since = o.Status, o.Date
	if len(o.Changes) > 0 {
		status = StatusCompleted
	}
	for _, c := range o.Changes {
		if c.At.After(t) {
			break
		}
		status, since = c.Status, c.At
		for _, l := range c.Refund {
			refunds = append(refunds, Refund{At: c.At, ProductID: l.ProductID, Quantity: l.Quantity})
		}
	}
	return status, since, refunds, true
}

// lifecycle returns the changes of order o (its ID, Date, Lines and final
// Status set), drawn from k.
func lifecycle(k keyed, o Order, partialRate float64) []StatusChange {
	// Whole seconds: the API serves times to the millisecond.
	delay := func(i uint64, lo, hi time.Duration) time.Time {
		span := uint64((hi - lo) / time.Second)
		return o.Date.Add(lo + time.Duration(k.at(o.ID, i)%span)*time.Second)
	}
	switch o.Status {
	case StatusCancelled:
		return []StatusChange{{At: delay(1, MinCancelDelay, MaxCancelDelay), Status: StatusCancelled}}
	case StatusRefunded:
		return []StatusChange{{At: delay(1, MinRefundDelay, MaxRefundDelay), Status: StatusRefunded, Refund: append([]Line(nil), o.Lines...)}}
	}
	if len(o.Lines) < 2 || partialRate <= 0 {
		return nil
	}
	if float64(k.at(o.ID, 2)>>11)/(1<<53) >= partialRate {
		return nil
	}
	l := o.Lines[k.at(o.ID, 3)%uint64(len(o.Lines))]
	return []StatusChange{{At: delay(1, MinRefundDelay, MaxRefundDelay), Status: StatusCompleted, Refund: []Line{l}}}
}

// An observer answers what the warehouse knows of an order: its status,
// when it took it and the lines refunded, as the last daily batch that read
// the order saw them. The batch of date X reads the carts dated X-(L-1) to
// X as they stood at X+1 00:00 (the API serves a dated list as of its
// enddate), so an order of day d is last read as of d+L days, or as of the
// horizon when the run ends before: a later change is never seen. Without
// the lifecycle an order is what it is from the start.
type observer struct {
	lookback int
	horizon  time.Time
	missed   map[time.Time]bool
}

// observer returns w's observer: one reading of the horizon for every
// order.
func (w *World) observer() observer {
	b := observer{lookback: max(w.Lookback, 1), horizon: w.Horizon(), missed: map[time.Time]bool{}}
	for _, d := range w.MissedBatches {
		b.missed[utcDate(d)] = true
	}
	return b
}

// lastBatch returns the latest date X in [d, d+L-1] before the horizon
// whose batch ran (not missed): the last batch that read the orders of day
// d; false if none did.
func (b observer) lastBatch(d time.Time) (time.Time, bool) {
	last := d.AddDate(0, 0, b.lookback-1)
	if !b.horizon.IsZero() {
		if h := b.horizon.AddDate(0, 0, -1); h.Before(last) {
			last = h
		}
	}
	for x := last; !x.Before(d); x = x.AddDate(0, 0, -1) {
		if !b.missed[x] {
			return x, true
		}
	}
	return time.Time{}, false
}

// at is when the last batch that read o saw it: the end of lastBatch's
// date (the end of o's own date if no batch read it).
func (b observer) at(o Order) time.Time {
	d := utcDate(o.Date)
	if x, ok := b.lastBatch(d); ok {
		d = x
	}
	return d.AddDate(0, 0, 1)
}

// ReadByBatches returns whether a batch that ran read an order: its own
// date's, or, with a lookback, a later date's whose window covers it. An
// order no batch read is not in CORE.
func (w *World) ReadByBatches() func(Order) bool {
	b := w.observer()
	return func(o Order) bool {
		_, ok := b.lastBatch(utcDate(o.Date))
		return ok
	}
}

// order returns o as the warehouse knows it.
func (b observer) order(o Order) (status string, since time.Time, refunds []Refund) {
	if o.Changes == nil {
		return o.Status, o.Date, nil
	}
	status, since, refunds, _ = o.AsOf(b.at(o))
	return status, since, refunds
}

// Observed returns order o as the warehouse knows it after the run's last
// batch (see observer): its status, since when, and the lines refunded.
func (w *World) Observed(o Order) (status string, since time.Time, refunds []Refund) {
	return w.observer().order(o)
}
