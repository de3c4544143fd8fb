package sim_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
)

// salesWorld is a handmade World with the order lifecycle and a lookback of
// 3 days, whose sales marts are worked out by hand in TestWorld_ProductSales
// and TestWorld_CategorySales. It runs 10 days from 2026-01-01.
//
// Products: P1 "Electronics " 10.00 and P2 "electronics" 20.00, 25.00 from
// Jan 3 (both "electronics"); P3 "jewelery" 5.00; P4 without a category
// (""), 1.00.
//
// Orders (as a batch last saw them: an order of day d as of d+3 days):
//
//	1 Jan 1 10:00  P1×2 P2×1  completed
//	2 Jan 1 12:00  P1×1       cancelled Jan 2 01:00
//	3 Jan 2 09:00  P2×2 P3×1  refunded whole Jan 3 15:00 (P2 at 20.00)
//	4 Jan 3 08:00  P2×1 P4×3  completed, P4×3 returned Jan 4 10:00
//	5 Jan 3 20:00  P3×1       refunded Jan 9: after its last batch (Jan 6), never seen
//	6 Jan 4 09:00  P1×1       completed, a refund of unknown product 99 on Jan 4: skipped
//	7 Jan 4 11:00  P3×2       completed
//	8 Jan 5 10:00  P4×1       cancelled, without the lifecycle (on its own date)
func salesWorld() *sim.World {
	at := func(d, h int) time.Time { return time.Date(2026, time.January, d, h, 0, 0, 0, time.UTC) }
	lines := func(pq ...int64) []sim.Line {
		var out []sim.Line
		for i := 0; i < len(pq); i += 2 {
			out = append(out, sim.Line{ProductID: pq[i], Quantity: pq[i+1]})
		}
		return out
	}
	change := func(t time.Time, status string, refund ...sim.Line) []sim.StatusChange {
		return []sim.StatusChange{{At: t, Status: status, Refund: refund}}
	}
	const done, cancelled, refunded = sim.StatusCompleted, sim.StatusCancelled, sim.StatusRefunded
	w := &sim.World{
		Config: sim.Config{Seed: 1, Start: at(1, 0), Days: 10, Users: 8, Products: 4},
		Products: []sim.Product{
			{ID: 1, Price: 1000, Category: "Electronics "},
			{ID: 2, Price: 2000, Category: "electronics", Prices: []sim.PricePoint{{From: at(3, 0), Price: 2500}}},
			{ID: 3, Price: 500, Category: "jewelery"},
			{ID: 4, Price: 100},
		},
		Orders: []sim.Order{
			{ID: 1, UserID: 1, Date: at(1, 10), Lines: lines(1, 2, 2, 1), Status: done},
			{ID: 2, UserID: 2, Date: at(1, 12), Lines: lines(1, 1), Status: cancelled, Changes: change(at(2, 1), cancelled)},
			{ID: 3, UserID: 3, Date: at(2, 9), Lines: lines(2, 2, 3, 1), Status: refunded,
				Changes: change(at(3, 15), refunded, lines(2, 2, 3, 1)...)},
			{ID: 4, UserID: 4, Date: at(3, 8), Lines: lines(2, 1, 4, 3), Status: done, Changes: change(at(4, 10), done, lines(4, 3)...)},
			{ID: 5, UserID: 5, Date: at(3, 20), Lines: lines(3, 1), Status: refunded, Changes: change(at(9, 0), refunded, lines(3, 1)...)},
			{ID: 6, UserID: 6, Date: at(4, 9), Lines: lines(1, 1), Status: done, Changes: change(at(4, 18), done, lines(99, 1)...)},
			{ID: 7, UserID: 7, Date: at(4, 11), Lines: lines(3, 2), Status: done},
			{ID: 8, UserID: 8, Date: at(5, 10), Lines: lines(4, 1), Status: cancelled},
		},
	}
	w.Lookback = 3
	return w
}

// salesLine renders the columns the sales marts share, in table order.
func salesLine(s sim.Sales) string {
	return fmt.Sprintf("orders=%d units=%d gross=%s cancelled=%d/%s refunded=%d/%s net=%d/%s rank=%d",
		s.OrdersPlaced, s.UnitsSold, s.GrossSales, s.CancelledUnits, s.CancelledSales,
		s.RefundedUnits, s.Refunds, s.NetUnits, s.NetSales, s.NetSalesRank)
}

func productSalesLines(rows []sim.ProductSalesRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s P%d %q %s", ds(r.Date), r.ProductID, r.Category, salesLine(r.Sales))
	}
	return out
}

func categorySalesLines(rows []sim.CategorySalesRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s %q %s", ds(r.Date), r.Category, salesLine(r.Sales))
	}
	return out
}

func TestWorld_ProductSales(t *testing.T) {
	diffLines(t, productSalesLines(salesWorld().ProductSales()), []string{
		// Orders 1 and 2 (cancelled the next day: still placed today).
		`2026-01-01 P1 "electronics" orders=2 units=3 gross=30.00 cancelled=0/0.00 refunded=0/0.00 net=3/30.00 rank=1`,
		`2026-01-01 P2 "electronics" orders=1 units=1 gross=20.00 cancelled=0/0.00 refunded=0/0.00 net=1/20.00 rank=2`,
		// Order 2's cancellation on its date; order 3 placed.
		`2026-01-02 P1 "electronics" orders=0 units=0 gross=0.00 cancelled=1/10.00 refunded=0/0.00 net=-1/-10.00 rank=3`,
		`2026-01-02 P2 "electronics" orders=1 units=2 gross=40.00 cancelled=0/0.00 refunded=0/0.00 net=2/40.00 rank=1`,
		`2026-01-02 P3 "jewelery" orders=1 units=1 gross=5.00 cancelled=0/0.00 refunded=0/0.00 net=1/5.00 rank=2`,
		// Order 3 refunded at its own prices (P2 at 20.00, not 25.00);
		// orders 4 and 5 placed (5's refund is never seen).
		`2026-01-03 P2 "electronics" orders=1 units=1 gross=25.00 cancelled=0/0.00 refunded=2/40.00 net=-1/-15.00 rank=3`,
		`2026-01-03 P3 "jewelery" orders=1 units=1 gross=5.00 cancelled=0/0.00 refunded=1/5.00 net=0/0.00 rank=2`,
		`2026-01-03 P4 "" orders=1 units=3 gross=3.00 cancelled=0/0.00 refunded=0/0.00 net=3/3.00 rank=1`,
		// P1 and P3 tie at 10.00: the smaller id first. Product 99's
		// refund is nowhere.
		`2026-01-04 P1 "electronics" orders=1 units=1 gross=10.00 cancelled=0/0.00 refunded=0/0.00 net=1/10.00 rank=1`,
		`2026-01-04 P3 "jewelery" orders=1 units=2 gross=10.00 cancelled=0/0.00 refunded=0/0.00 net=2/10.00 rank=2`,
		`2026-01-04 P4 "" orders=0 units=0 gross=0.00 cancelled=0/0.00 refunded=3/3.00 net=-3/-3.00 rank=3`,
		// Without the lifecycle a cancelled order is cancelled on its date.
		`2026-01-05 P4 "" orders=1 units=1 gross=1.00 cancelled=1/1.00 refunded=0/0.00 net=0/0.00 rank=1`,
	})
}

func TestWorld_CategorySales(t *testing.T) {
	diffLines(t, categorySalesLines(salesWorld().CategorySales()), []string{
		// Order 1 holds two electronics products: one order.
		`2026-01-01 "electronics" orders=2 units=4 gross=50.00 cancelled=0/0.00 refunded=0/0.00 net=4/50.00 rank=1`,
		`2026-01-02 "electronics" orders=1 units=2 gross=40.00 cancelled=1/10.00 refunded=0/0.00 net=1/30.00 rank=1`,
		`2026-01-02 "jewelery" orders=1 units=1 gross=5.00 cancelled=0/0.00 refunded=0/0.00 net=1/5.00 rank=2`,
		`2026-01-03 "" orders=1 units=3 gross=3.00 cancelled=0/0.00 refunded=0/0.00 net=3/3.00 rank=1`,
		`2026-01-03 "electronics" orders=1 units=1 gross=25.00 cancelled=0/0.00 refunded=2/40.00 net=-1/-15.00 rank=3`,
		`2026-01-03 "jewelery" orders=1 units=1 gross=5.00 cancelled=0/0.00 refunded=1/5.00 net=0/0.00 rank=2`,
		// A tie at 10.00: "electronics" before "jewelery", bytewise.
		`2026-01-04 "" orders=0 units=0 gross=0.00 cancelled=0/0.00 refunded=3/3.00 net=-3/-3.00 rank=3`,
		`2026-01-04 "electronics" orders=1 units=1 gross=10.00 cancelled=0/0.00 refunded=0/0.00 net=1/10.00 rank=1`,
		`2026-01-04 "jewelery" orders=1 units=2 gross=10.00 cancelled=0/0.00 refunded=0/0.00 net=2/10.00 rank=2`,
		`2026-01-05 "" orders=1 units=1 gross=1.00 cancelled=1/1.00 refunded=0/0.00 net=0/0.00 rank=1`,
	})
}

// TestWorld_SalesConsistent: summed over a date's products, and over its
// categories, the sales marts are revenue_daily's amounts, date for date;
// ranks number each date's rows 1..n by net sales; a category's orders are
// at most its products' and at least any one of theirs. On the handmade
// world and on a generated one with the lifecycle, a lookback and a quarter
// of the orders refunded.
func TestWorld_SalesConsistent(t *testing.T) {
	cfg := sim.Config{Seed: 15, Start: sim.DefaultConfig().Start, Days: 12, Users: 400, Traffic: 2, RefundRate: 0.25}.Realistic()
	cfg.OrderLifecycle, cfg.PartialRefundRate = true, 0.2
	generated := newWorld(t, cfg)
	generated.Lookback = 10
	for name, w := range map[string]*sim.World{"Handmade": salesWorld(), "Generated": generated} {
		t.Run(name, func(t *testing.T) { checkSalesConsistent(t, w) })
	}
}

func checkSalesConsistent(t *testing.T, w *sim.World) {
	type totals struct {
		gross, cancelled, refunds, net money.Cents
		refundedUnits                  int64
	}
	// ranked is one row of either mart: its date, its key rendered for the
	// tie-break (product ids zero-padded, so that bytes order them), its
	// sales.
	type ranked struct {
		date time.Time
		key  string
		s    sim.Sales
	}
	check := func(mart string, rows []ranked) map[time.Time]totals {
		t.Helper()
		byDate := map[time.Time][]ranked{}
		sums := map[time.Time]totals{}
		for _, r := range rows {
			s := r.s
			if s.NetUnits != s.UnitsSold-s.CancelledUnits-s.RefundedUnits || s.NetSales != s.GrossSales-s.CancelledSales-s.Refunds {
				t.Fatalf("%s %s %s: net is not sold - cancelled - refunded: %s", mart, ds(r.date), r.key, salesLine(s))
			}
			byDate[r.date] = append(byDate[r.date], r)
			x := sums[r.date]
			x.gross += s.GrossSales
			x.cancelled += s.CancelledSales
			x.refunds += s.Refunds
			x.net += s.NetSales
			x.refundedUnits += s.RefundedUnits
			sums[r.date] = x
		}
		// Each date's ranks are 1..n in order of net sales descending,
		// then key ascending.
		for d, rs := range byDate {
			slices.SortFunc(rs, func(a, b ranked) int { return cmp.Compare(a.s.NetSalesRank, b.s.NetSalesRank) })
			for i, r := range rs {
				if r.s.NetSalesRank != i+1 {
					t.Fatalf("%s %s: the ranks are not 1..%d", mart, ds(d), len(rs))
				}
				if i > 0 {
					p := rs[i-1]
					if p.s.NetSales < r.s.NetSales || (p.s.NetSales == r.s.NetSales && p.key > r.key) {
						t.Fatalf("%s %s: %s (net %s) ranks %d, before %s (net %s)", mart, ds(d), p.key, p.s.NetSales, p.s.NetSalesRank, r.key, r.s.NetSales)
					}
				}
			}
		}
		return sums
	}

	var products, categories []ranked
	productOrders := map[string][]int64{} // "date category": the orders of its products
	for _, r := range w.ProductSales() {
		products = append(products, ranked{r.Date, fmt.Sprintf("%020d", r.ProductID), r.Sales})
		k := ds(r.Date) + " " + r.Category
		productOrders[k] = append(productOrders[k], r.OrdersPlaced)
	}
	for _, r := range w.CategorySales() {
		categories = append(categories, ranked{r.Date, r.Category, r.Sales})
		// An order counts once per category: at most the sum of its
		// products' counts, at least the largest.
		ns := productOrders[ds(r.Date)+" "+r.Category]
		var total int64
		for _, n := range ns {
			total += n
		}
		if len(ns) == 0 || r.OrdersPlaced > total || r.OrdersPlaced < slices.Max(ns) {
			t.Fatalf("%s %q: %d orders; its products have %v", ds(r.Date), r.Category, r.OrdersPlaced, ns)
		}
	}

	revenue := w.RevenueDaily()
	var refunds, cancelled money.Cents
	for _, r := range revenue {
		refunds += r.Refunds
		cancelled += r.CancelledSales
	}
	if refunds == 0 || cancelled == 0 {
		t.Fatalf("refunds %s, cancelled %s: the world shows neither", refunds, cancelled)
	}
	for mart, sums := range map[string]map[time.Time]totals{"product_sales": check("product_sales", products), "category_sales": check("category_sales", categories)} {
		if len(sums) != len(revenue) {
			t.Fatalf("%s has %d dates, revenue_daily %d", mart, len(sums), len(revenue))
		}
		for _, r := range revenue {
			got, ok := sums[r.Date]
			if want := (totals{r.GrossSales, r.CancelledSales, r.Refunds, r.NetSales, r.RefundedUnits}); !ok || got != want {
				t.Fatalf("%s on %s sums to %+v, revenue_daily has %+v", mart, ds(r.Date), got, want)
			}
		}
	}
}
