package sim

import (
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// RevenueDailyRow is one row of the daily revenue mart (docs/MARTS.md §11),
// as the oracle computes it.
type RevenueDailyRow struct {
	Date            time.Time // UTC midnight
	OrdersPlaced    int64
	GrossSales      money.Cents
	CancelledOrders int64
	CancelledSales  money.Cents
	RefundedUnits   int64
	Refunds         money.Cents
	NetSales        money.Cents
	// CancellationRate and RefundRate: CancelledSales / GrossSales and
	// Refunds / GrossSales of the date, "0.1234"; nil when GrossSales is 0.
	CancellationRate *string
	RefundRate       *string
}

// RevenueDaily returns the daily revenue mart: for every date with an
// order placed, cancelled or refunded, sorted by date, each amount on its
// own date, every order as the warehouse knows it (Observed):
//
//   - OrdersPlaced, GrossSales: orders whose Date falls on the date, any
//     status, and their totals (OrderTotal);
//   - CancelledOrders, CancelledSales: orders cancelled, on the date they
//     took the status, and their totals;
//   - RefundedUnits, Refunds: the refunded lines, on their refund date:
//     quantities, and quantity × the product's price at the order's Date;
//   - NetSales: GrossSales - CancelledSales - Refunds;
//   - CancellationRate, RefundRate: CancelledSales and Refunds over
//     GrossSales of the same date, in cents, rounded half away from zero to
//     4 decimals; nil when GrossSales is 0. They exceed 1 on a date whose
//     refunds or cancellations outweigh its own sales.
func (w *World) RevenueDaily() []RevenueDailyRow {
	rows := map[time.Time]*RevenueDailyRow{}
	row := func(t time.Time) *RevenueDailyRow {
		d := w.day(t)
		r, ok := rows[d]
		if !ok {
			r = &RevenueDailyRow{Date: d}
			rows[d] = r
		}
		return r
	}
	obs := w.observer()
	for _, o := range w.Orders {
		total := w.OrderTotal(o)
		r := row(o.Date)
		r.OrdersPlaced++
		r.GrossSales += total
		status, since, refunds := obs.order(o)
		if status == StatusCancelled {
			c := row(since)
			c.CancelledOrders++
			c.CancelledSales += total
		}
		for _, f := range refunds {
			p, ok := w.product(f.ProductID)
			if !ok {
				continue
			}
			price, _ := p.priceAt(o.Date)
			x := row(f.At)
			x.RefundedUnits += f.Quantity
			x.Refunds += money.Cents(f.Quantity) * price
		}
	}
	out := make([]RevenueDailyRow, 0, len(rows))
	for _, d := range sortedDates(rows) {
		r := rows[d]
		r.NetSales = r.GrossSales - r.CancelledSales - r.Refunds
		if r.GrossSales != 0 {
			r.CancellationRate = new(ratio4(int64(r.CancelledSales), int64(r.GrossSales)))
			r.RefundRate = new(ratio4(int64(r.Refunds), int64(r.GrossSales)))
		}
		out = append(out, *r)
	}
	return out
}
