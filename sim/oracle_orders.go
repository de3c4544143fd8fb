package sim

import (
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// OrdersDailyRow is one row of marts.orders_daily (docs/MARTS.md §14), as
// the oracle computes it.
type OrdersDailyRow struct {
	Date                     time.Time // UTC midnight
	Orders                   int64
	Customers                int64
	NewCustomers             int64
	ReturningCustomers       int64
	NewCustomerOrders        int64
	ReturningCustomerOrders  int64
	NewCustomerRevenue       money.Cents
	ReturningCustomerRevenue money.Cents
	Units                    int64
	Lines                    int64
	AvgUnitsPerOrder         string // Units/Orders, "2.35"
	AvgLinesPerOrder         string // Lines/Orders, "1.50"
	RepeatCustomerRate       string // "0.1234"
}

// OrdersDaily returns marts.orders_daily (docs/MARTS.md §14): for every UTC
// date with a completed order dated before Horizon(), sorted by date, who
// placed the orders DailyKPIs counts on that date and what they held. An
// order is completed as the warehouse knows it (Observed); orders at or
// after Horizon() count nowhere, as in CustomerLTV, whose customers this
// mart shares. A customer's first order is their earliest completed order
// by Date (CustomerLTV's FirstOrderDate); a customer is new on that date
// and returning on any later one.
//
//   - Orders: the completed orders dated D; Customers: their distinct users;
//   - NewCustomers: those whose first order is dated D; ReturningCustomers:
//     Customers - NewCustomers, whose first order is earlier;
//   - NewCustomerOrders, NewCustomerRevenue: the new customers' orders of D
//     and their totals (OrderTotal); ReturningCustomerOrders and
//     ReturningCustomerRevenue: the others';
//   - Units, Lines: the sum of the quantities of the orders' lines and the
//     number of lines, as sold (a line refunded later is not taken off, as
//     the revenue is not);
//   - AvgUnitsPerOrder, AvgLinesPerOrder: Units/Orders and Lines/Orders
//     rounded half away from zero to 2 decimals, as "2.35";
//   - RepeatCustomerRate: cumulative, as of the end of D: customers whose
//     second completed order is dated D or earlier over customers whose
//     first is, rounded half away from zero to 4 decimals.
//
// Before Horizon(), Orders and NewCustomerRevenue + ReturningCustomerRevenue
// equal DailyKPIs' Orders and Revenue date by date, and NewCustomers sums to
// the number of CustomerLTV rows.
func (w *World) OrdersDaily() []OrdersDailyRow {
	type day struct {
		row     OrdersDailyRow
		seconds int64 // customers whose second completed order is on the date
	}
	days := map[time.Time]*day{}
	at := func(d time.Time) *day {
		x, ok := days[d]
		if !ok {
			x = &day{row: OrdersDailyRow{Date: d}}
			days[d] = x
		}
		return x
	}
	for _, c := range w.completedCustomers(w.Horizon()) {
		first := w.day(c.first)
		var last time.Time // the date of the customer's previous order
		for i, o := range c.orders {
			d := w.day(o.Date)
			x := at(d)
			r := &x.row
			total := w.OrderTotal(*o)
			r.Orders++
			isNew := d.Equal(first)
			if isNew {
				r.NewCustomerOrders++
				r.NewCustomerRevenue += total
			} else {
				r.ReturningCustomerOrders++
				r.ReturningCustomerRevenue += total
			}
			for _, l := range o.Lines {
				r.Units += l.Quantity
				r.Lines++
			}
			if i == 0 || !d.Equal(last) { // c.orders is by Date: one count per customer and date
				r.Customers++
				if isNew {
					r.NewCustomers++
				} else {
					r.ReturningCustomers++
				}
			}
			if i == 1 {
				x.seconds++
			}
			last = d
		}
	}
	out := make([]OrdersDailyRow, 0, len(days))
	var customers, repeaters int64
	for _, d := range sortedDates(days) {
		x := days[d]
		r := x.row
		customers += r.NewCustomers
		repeaters += x.seconds
		r.AvgUnitsPerOrder = ratio2(r.Units, r.Orders)
		r.AvgLinesPerOrder = ratio2(r.Lines, r.Orders)
		r.RepeatCustomerRate = ratio4(repeaters, customers)
		out = append(out, r)
	}
	return out
}
