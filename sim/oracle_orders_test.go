package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
)

func ordersDailyLines(rows []sim.OrdersDailyRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s orders=%d customers=%d new=%d returning=%d new_orders=%d returning_orders=%d "+
			"new_revenue=%s returning_revenue=%s units=%d lines=%d avg_units=%s avg_lines=%s repeat=%s",
			ds(r.Date), r.Orders, r.Customers, r.NewCustomers, r.ReturningCustomers, r.NewCustomerOrders, r.ReturningCustomerOrders,
			r.NewCustomerRevenue, r.ReturningCustomerRevenue, r.Units, r.Lines, r.AvgUnitsPerOrder, r.AvgLinesPerOrder, r.RepeatCustomerRate))
	}
	return out
}

// TestWorld_OrdersDaily checks marts.orders_daily (docs/MARTS.md §14) on
// hand-built worlds against rows worked out by hand, and its invariants
// against daily_kpis and customer_ltv on generated ones.
func TestWorld_OrdersDaily(t *testing.T) {
	t.Run("ByHand", func(t *testing.T) {
		// martsWorld's completed orders before the horizon (Mar 1): first
		// orders u1 Jan 4, u7 Jan 15, u3 Jan 20 (its refunded order 6
		// counts nowhere), u8 Jan 30, u2 Feb 1 (its cancelled January
		// order does not make it a customer), u4 Feb 28; second orders u1
		// Jan 5, u3 Feb 19, u8 Feb 28. Order 11 (u6, Mar 1 00:00) is at the
		// horizon: no row, although daily_kpis counts it.
		want := []string{
			"2026-01-04 orders=1 customers=1 new=1 returning=0 new_orders=1 returning_orders=0 new_revenue=10.00 returning_revenue=0.00 units=1 lines=1 avg_units=1.00 avg_lines=1.00 repeat=0.0000",
			"2026-01-05 orders=1 customers=1 new=0 returning=1 new_orders=0 returning_orders=1 new_revenue=0.00 returning_revenue=20.00 units=1 lines=1 avg_units=1.00 avg_lines=1.00 repeat=1.0000",
			"2026-01-15 orders=1 customers=1 new=1 returning=0 new_orders=1 returning_orders=0 new_revenue=7.26 returning_revenue=0.00 units=1 lines=1 avg_units=1.00 avg_lines=1.00 repeat=0.5000",
			"2026-01-20 orders=1 customers=1 new=1 returning=0 new_orders=1 returning_orders=0 new_revenue=40.00 returning_revenue=0.00 units=2 lines=1 avg_units=2.00 avg_lines=1.00 repeat=0.3333",
			"2026-01-30 orders=1 customers=1 new=1 returning=0 new_orders=1 returning_orders=0 new_revenue=5.50 returning_revenue=0.00 units=1 lines=1 avg_units=1.00 avg_lines=1.00 repeat=0.2500",
			"2026-02-01 orders=1 customers=1 new=1 returning=0 new_orders=1 returning_orders=0 new_revenue=25.00 returning_revenue=0.00 units=1 lines=1 avg_units=1.00 avg_lines=1.00 repeat=0.2000",
			"2026-02-09 orders=1 customers=1 new=0 returning=1 new_orders=0 returning_orders=1 new_revenue=0.00 returning_revenue=11.00 units=2 lines=1 avg_units=2.00 avg_lines=1.00 repeat=0.2000",
			"2026-02-19 orders=1 customers=1 new=0 returning=1 new_orders=0 returning_orders=1 new_revenue=0.00 returning_revenue=5.50 units=1 lines=1 avg_units=1.00 avg_lines=1.00 repeat=0.4000",
			"2026-02-28 orders=2 customers=2 new=1 returning=1 new_orders=1 returning_orders=1 new_revenue=30.00 returning_revenue=5.50 units=4 lines=2 avg_units=2.00 avg_lines=1.00 repeat=0.5000",
		}
		w := martsWorld()
		diffLines(t, ordersDailyLines(w.OrdersDaily()), want)
		checkOrdersDaily(t, w)
	})
	t.Run("SameDay", func(t *testing.T) {
		// u1 orders twice on its first day: both orders are a new
		// customer's, u1 counts once and is a repeat customer from that
		// day. u2's first completed order is on Mar 3 (its Mar 2 order is
		// cancelled); u3's only order is refunded.
		at := func(d, h int) time.Time { return time.Date(2026, time.March, d, h, 0, 0, 0, time.UTC) }
		l := func(p, q int64) sim.Line { return sim.Line{ProductID: p, Quantity: q} }
		w := &sim.World{
			Products: []sim.Product{{ID: 1, Price: 100, Category: "a"}, {ID: 2, Price: 250, Category: "b"}},
			Orders: []sim.Order{
				{ID: 1, UserID: 1, Date: at(2, 9), Lines: []sim.Line{l(1, 2), l(2, 1)}, Status: sim.StatusCompleted}, // 4.50
				{ID: 2, UserID: 1, Date: at(2, 15), Lines: []sim.Line{l(1, 1)}, Status: sim.StatusCompleted},         // 1.00
				{ID: 3, UserID: 2, Date: at(2, 10), Lines: []sim.Line{l(2, 1)}, Status: sim.StatusCancelled},
				{ID: 4, UserID: 3, Date: at(2, 11), Lines: []sim.Line{l(1, 1)}, Status: sim.StatusRefunded},
				{ID: 5, UserID: 2, Date: at(3, 8), Lines: []sim.Line{l(1, 1)}, Status: sim.StatusCompleted},           // 1.00
				{ID: 6, UserID: 1, Date: at(3, 9), Lines: []sim.Line{l(2, 2)}, Status: sim.StatusCompleted},           // 5.00
				{ID: 7, UserID: 4, Date: at(3, 10), Lines: []sim.Line{l(1, 1), l(2, 1)}, Status: sim.StatusCompleted}, // 3.50
			},
		}
		want := []string{
			"2026-03-02 orders=2 customers=1 new=1 returning=0 new_orders=2 returning_orders=0 new_revenue=5.50 returning_revenue=0.00 units=4 lines=3 avg_units=2.00 avg_lines=1.50 repeat=1.0000",
			// 5 units and 4 lines in 3 orders: 1.67 and 1.33.
			"2026-03-03 orders=3 customers=3 new=2 returning=1 new_orders=2 returning_orders=1 new_revenue=4.50 returning_revenue=5.00 units=5 lines=4 avg_units=1.67 avg_lines=1.33 repeat=0.3333",
		}
		diffLines(t, ordersDailyLines(w.OrdersDaily()), want)
		checkOrdersDaily(t, w)
	})
	t.Run("Empty", func(t *testing.T) {
		if got := (&sim.World{}).OrdersDaily(); len(got) != 0 {
			t.Fatalf("an empty world has %d rows", len(got))
		}
	})
	t.Run("Generated", func(t *testing.T) {
		plain := sim.DefaultConfig()
		plain.Days = 30
		realistic := sim.DefaultConfig().Realistic()
		realistic.Days, realistic.Users = 45, 400
		lifecycle := sim.Config{Seed: 15, Start: sim.DefaultConfig().Start, Days: 12, Users: 400, Traffic: 2, RefundRate: 0.25}.Realistic()
		lifecycle.OrderLifecycle, lifecycle.PartialRefundRate = true, 0.2
		for _, tc := range []struct {
			name     string
			cfg      sim.Config
			lookback int
		}{{"Plain", plain, 0}, {"Realistic", realistic, 0}, {"LifecycleLookback", lifecycle, 10}} {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, tc.cfg)
				w.Lookback = tc.lookback
				rows := checkOrdersDaily(t, w)
				var returning int64
				for _, r := range rows {
					returning += r.ReturningCustomers
				}
				if len(rows) == 0 || returning == 0 || rows[len(rows)-1].RepeatCustomerRate == "0.0000" {
					t.Fatalf("%d rows, %d returning customers: the world tests nothing", len(rows), returning)
				}
			})
		}
	})
}

// checkOrdersDaily checks w's orders_daily against daily_kpis (the same
// orders and revenue on every date before the horizon, no row at or after
// it), customer_ltv (new customers on each first order date, repeat rate
// at the end) and the orders themselves (units and lines), and returns the
// rows.
func checkOrdersDaily(t *testing.T, w *sim.World) []sim.OrdersDailyRow {
	t.Helper()
	horizon := w.Horizon()
	rows := w.OrdersDaily()
	byDate := map[time.Time]sim.OrdersDailyRow{}
	for i, r := range rows {
		if i > 0 && !rows[i-1].Date.Before(r.Date) {
			t.Fatalf("rows %d and %d are not in date order", i-1, i)
		}
		if !r.Date.Before(horizon) {
			t.Fatalf("%s: a row at or after the horizon %s", ds(r.Date), ds(horizon))
		}
		if r.Orders <= 0 || r.Customers != r.NewCustomers+r.ReturningCustomers || r.Orders != r.NewCustomerOrders+r.ReturningCustomerOrders ||
			r.NewCustomerOrders < r.NewCustomers || r.ReturningCustomerOrders < r.ReturningCustomers || r.Customers > r.Orders || r.Lines < r.Orders {
			t.Fatalf("%s: inconsistent counts %+v", ds(r.Date), r)
		}
		byDate[r.Date] = r
	}
	for _, k := range w.DailyKPIs() {
		r, ok := byDate[k.Date]
		if !k.Date.Before(horizon) {
			continue
		}
		if k.Orders == 0 && ok {
			t.Fatalf("%s: a row without completed orders in daily_kpis", ds(k.Date))
		}
		if k.Orders > 0 && (!ok || r.Orders != k.Orders || r.NewCustomerRevenue+r.ReturningCustomerRevenue != k.Revenue) {
			t.Fatalf("%s: daily_kpis has %d orders, %s; orders_daily %d orders, %s + %s", ds(k.Date), k.Orders, k.Revenue,
				r.Orders, r.NewCustomerRevenue, r.ReturningCustomerRevenue)
		}
		delete(byDate, k.Date)
	}
	if len(byDate) > 0 {
		t.Fatalf("%d dates of orders_daily are not dates of daily_kpis", len(byDate))
	}

	ltv := w.CustomerLTV()
	firsts := map[time.Time]int64{}
	var repeaters int64
	for _, c := range ltv {
		firsts[c.FirstOrderDate]++
		if c.Orders >= 2 {
			repeaters++
		}
	}
	var newCustomers int64
	for _, r := range rows {
		newCustomers += r.NewCustomers
		if r.NewCustomers != firsts[r.Date] {
			t.Fatalf("%s: %d new customers, customer_ltv has %d first orders that day", ds(r.Date), r.NewCustomers, firsts[r.Date])
		}
	}
	if newCustomers != int64(len(ltv)) {
		t.Fatalf("new customers sum to %d, customer_ltv has %d rows", newCustomers, len(ltv))
	}
	if len(rows) > 0 {
		if got, want := rows[len(rows)-1].RepeatCustomerRate, rate4(repeaters, int64(len(ltv))); got != want {
			t.Fatalf("last repeat_customer_rate %s, want %s (%d of %d customer_ltv rows with 2+ orders)", got, want, repeaters, len(ltv))
		}
	}

	var units, lines, sumUnits, sumLines int64
	var revenue, sumRevenue money.Cents
	for _, o := range w.Orders {
		if st, _, _ := w.Observed(o); st != sim.StatusCompleted || !o.Date.Before(horizon) {
			continue
		}
		revenue += w.OrderTotal(o)
		for _, l := range o.Lines {
			units += l.Quantity
			lines++
		}
	}
	for _, r := range rows {
		sumUnits += r.Units
		sumLines += r.Lines
		sumRevenue += r.NewCustomerRevenue + r.ReturningCustomerRevenue
	}
	if sumUnits != units || sumLines != lines || sumRevenue != revenue {
		t.Fatalf("orders_daily sums to %d units, %d lines, %s; the completed orders have %d, %d, %s", sumUnits, sumLines, sumRevenue, units, lines, revenue)
	}
	return rows
}

// rate4 renders n/d rounded half away from zero to 4 decimals (n >= 0,
// d > 0), as docs/MARTS.md §0 does.
func rate4(n, d int64) string {
	q := (2*10000*n + d) / (2 * d)
	return fmt.Sprintf("%d.%04d", q/10000, q%10000)
}
