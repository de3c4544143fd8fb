package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_SalesMarts checks marts.product_sales and
// marts.category_sales (docs/MARTS.md §12, §13) on a handmade shop, against
// values computed by hand, on both engines, and that summed over a date's
// products, and over its categories, they equal marts.revenue_daily.
//
// Products: 1 Lamp 10.00 "Home " and 4 Vase 10.00 "home" (both "home"), 2
// Mug 3.33 "kitchen", 3 Pen 5.00 without a category, 5 Kite 20.00 "toys";
// product 9 is in a cart but in no snapshot (no price, no category). The
// first batch reads carts 3001 and 3002 as placed; the second:
//
//	3001 Jan 1 10:00  P1×1 P2×2  completed
//	3002 Jan 1 11:00  P1×1 P4×1  cancelled Jan 2 08:00
//	3003 Jan 2 09:00  P3×2 P9×1  completed, P3×1 and P9×1 refunded Jan 3 10:00
//	3004 Jan 3 12:00  P1×1 P4×1  completed
//	3005 Jan 3 13:00  P5×1       completed
func TestWarehouse_SalesMarts(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		type m = map[string]any
		line := func(p, q int) m { return m{"productId": p, "quantity": q} }
		refund := func(at string, p, q int) m { return m{"date": at, "productId": p, "quantity": q} }
		src := newMemSource()
		products := src.putJSON(t, "products", "2026-01-01", []product{
			{1, "Lamp", 10, "Home "}, {2, "Mug", 3.33, "kitchen"}, {3, "Pen", 5, ""}, {4, "Vase", 10, "home"}, {5, "Kite", 20, "toys"},
		})
		day1 := src.putJSON(t, "carts", "2026-01-01", []m{
			{"id": 3001, "userId": 1, "date": "2026-01-01T10:00:00.000Z", "products": []m{line(1, 1), line(2, 2)}, "status": "completed"},
			{"id": 3002, "userId": 2, "date": "2026-01-01T11:00:00.000Z", "products": []m{line(1, 1), line(4, 1)}, "status": "completed"},
		})
		day3 := src.putJSON(t, "carts", "2026-01-03", []m{
			{"id": 3001, "userId": 1, "date": "2026-01-01T10:00:00.000Z", "products": []m{line(1, 1), line(2, 2)}, "status": "completed"},
			{"id": 3002, "userId": 2, "date": "2026-01-01T11:00:00.000Z", "products": []m{line(1, 1), line(4, 1)},
				"status": "cancelled", "statusDate": "2026-01-02T08:00:00.000Z"},
			{"id": 3003, "userId": 3, "date": "2026-01-02T09:00:00.000Z", "products": []m{line(3, 2), line(9, 1)}, "status": "completed",
				"refunds": []m{refund("2026-01-03T10:00:00.000Z", 9, 1), refund("2026-01-03T10:00:00.000Z", 3, 1)}},
			{"id": 3004, "userId": 4, "date": "2026-01-03T12:00:00.000Z", "products": []m{line(1, 1), line(4, 1)}, "status": "completed"},
			{"id": 3005, "userId": 5, "date": "2026-01-03T13:00:00.000Z", "products": []m{line(5, 1)}, "status": "completed"},
		})
		jan1Products := "2026-01-01 P1 \"home\" 2 2 20.00 0 0.00 0 0.00 2 20.00 #1\n" +
			"2026-01-01 P2 \"kitchen\" 1 2 6.66 0 0.00 0 0.00 2 6.66 #3\n" +
			"2026-01-01 P4 \"home\" 1 1 10.00 0 0.00 0 0.00 1 10.00 #2\n"
		jan1Categories := "2026-01-01 \"home\" 2 3 30.00 0 0.00 0 0.00 3 30.00 #1\n" + // 3002 holds two home products: one order
			"2026-01-01 \"kitchen\" 1 2 6.66 0 0.00 0 0.00 2 6.66 #2\n"
		steps := []struct {
			keys                 []string
			products, categories string
		}{
			{[]string{products, day1}, jan1Products, jan1Categories},
			{[]string{day3},
				jan1Products +
					// 3002's cancellation on its date; P9 has no price: units, no amount.
					"2026-01-02 P1 \"home\" 0 0 0.00 1 10.00 0 0.00 -1 -10.00 #3\n" +
					"2026-01-02 P3 \"\" 1 2 10.00 0 0.00 0 0.00 2 10.00 #1\n" +
					"2026-01-02 P4 \"home\" 0 0 0.00 1 10.00 0 0.00 -1 -10.00 #4\n" +
					"2026-01-02 P9 \"\" 1 1 0.00 0 0.00 0 0.00 1 0.00 #2\n" +
					// P1 and P4 tie at 10.00: the smaller id first.
					"2026-01-03 P1 \"home\" 1 1 10.00 0 0.00 0 0.00 1 10.00 #2\n" +
					"2026-01-03 P3 \"\" 0 0 0.00 0 0.00 1 5.00 -1 -5.00 #5\n" +
					"2026-01-03 P4 \"home\" 1 1 10.00 0 0.00 0 0.00 1 10.00 #3\n" +
					"2026-01-03 P5 \"toys\" 1 1 20.00 0 0.00 0 0.00 1 20.00 #1\n" +
					"2026-01-03 P9 \"\" 0 0 0.00 0 0.00 1 0.00 -1 0.00 #4\n",
				jan1Categories +
					"2026-01-02 \"\" 1 3 10.00 0 0.00 0 0.00 3 10.00 #1\n" +
					"2026-01-02 \"home\" 0 0 0.00 2 20.00 0 0.00 -2 -20.00 #2\n" +
					"2026-01-03 \"\" 0 0 0.00 0 0.00 2 5.00 -2 -5.00 #3\n" +
					// home and toys tie at 20.00: bytewise first.
					"2026-01-03 \"home\" 1 2 20.00 0 0.00 0 0.00 2 20.00 #1\n" +
					"2026-01-03 \"toys\" 1 1 20.00 0 0.00 0 0.00 1 20.00 #2\n"},
		}
		w := open(t)
		var loaded []string
		for i, s := range steps {
			loaded = append(loaded, s.keys...)
			mustLoad(t, w, src.subset(loaded...))
			mustTransform(t, w)
			products, err := w.ProductSales(ctx)
			if err != nil {
				t.Fatal(err)
			}
			categories, err := w.CategorySales(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, r := range products {
				fmt.Fprintf(&b, "%s P%d %q %s\n", day(r.Date), r.ProductID, r.Category, formatSales(r.Sales))
			}
			if got := b.String(); got != s.products {
				t.Errorf("run %d: product_sales:\n%s\nwant:\n%s", i+1, got, s.products)
			}
			b.Reset()
			for _, r := range categories {
				fmt.Fprintf(&b, "%s %q %s\n", day(r.Date), r.Category, formatSales(r.Sales))
			}
			if got := b.String(); got != s.categories {
				t.Errorf("run %d: category_sales:\n%s\nwant:\n%s", i+1, got, s.categories)
			}
			checkSalesSumToRevenue(t, w, products, categories)
			if i == len(steps)-1 {
				checkSalesTotals(t, products, categories)
			}
		}
	})
}

// checkSalesTotals checks warehouse.TopProducts and TopCategories on the
// sales of TestWarehouse_SalesMarts's last run, summed by hand: ties on
// net sales (P1 and P5, 20.00) rank the smaller id first; n bounds the
// list; n <= 0 keeps every product.
func checkSalesTotals(tb testing.TB, products []warehouse.ProductSalesRow, categories []warehouse.CategorySalesRow) {
	tb.Helper()
	var b strings.Builder
	for _, p := range warehouse.TopProducts(products, 0) {
		fmt.Fprintf(&b, "P%d %q %s\n", p.ProductID, p.Category, formatSales(p.Sales))
	}
	if got, want := b.String(), "P1 \"home\" 3 3 30.00 1 10.00 0 0.00 2 20.00 #1\n"+
		"P5 \"toys\" 1 1 20.00 0 0.00 0 0.00 1 20.00 #2\n"+
		"P4 \"home\" 2 2 20.00 1 10.00 0 0.00 1 10.00 #3\n"+
		"P2 \"kitchen\" 1 2 6.66 0 0.00 0 0.00 2 6.66 #4\n"+
		"P3 \"\" 1 2 10.00 0 0.00 1 5.00 1 5.00 #5\n"+
		"P9 \"\" 1 1 0.00 0 0.00 1 0.00 0 0.00 #6\n"; got != want {
		tb.Errorf("TopProducts:\n%s\nwant:\n%s", got, want)
	}
	if top := warehouse.TopProducts(products, 2); len(top) != 2 || top[1].ProductID != 5 {
		tb.Errorf("TopProducts(2) = %+v, want P1 and P5", top)
	}
	b.Reset()
	for _, c := range warehouse.TopCategories(categories, 3) {
		fmt.Fprintf(&b, "%q %s\n", c.Category, formatSales(c.Sales))
	}
	if got, want := b.String(), "\"home\" 3 5 50.00 2 20.00 0 0.00 3 30.00 #1\n"+
		"\"toys\" 1 1 20.00 0 0.00 0 0.00 1 20.00 #2\n"+
		"\"kitchen\" 1 2 6.66 0 0.00 0 0.00 2 6.66 #3\n"; got != want {
		tb.Errorf("TopCategories(3):\n%s\nwant:\n%s", got, want)
	}
}

func formatSales(s warehouse.Sales) string {
	return fmt.Sprintf("%d %d %s %d %s %d %s %d %s #%d", s.OrdersPlaced, s.UnitsSold, s.GrossSales, s.CancelledUnits, s.CancelledSales,
		s.RefundedUnits, s.Refunds, s.NetUnits, s.NetSales, s.NetSalesRank)
}

// checkSalesSumToRevenue fails tb unless the sales marts, summed over a
// date's products and over its categories, have marts.revenue_daily's
// dates, gross sales, cancelled sales, refunded units, refunds and net
// sales (docs/MARTS.md §12).
func checkSalesSumToRevenue(tb testing.TB, w *warehouse.Warehouse, products []warehouse.ProductSalesRow, categories []warehouse.CategorySalesRow) {
	tb.Helper()
	revenue, err := w.RevenueDaily(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	type totals struct {
		gross, cancelled, refunds, net money.Cents
		refundedUnits                  int64
	}
	add := func(m map[time.Time]totals, d time.Time, s warehouse.Sales) {
		x := m[d]
		x.gross += s.GrossSales
		x.cancelled += s.CancelledSales
		x.refunds += s.Refunds
		x.net += s.NetSales
		x.refundedUnits += s.RefundedUnits
		m[d] = x
	}
	byProduct, byCategory := map[time.Time]totals{}, map[time.Time]totals{}
	for _, r := range products {
		add(byProduct, r.Date, r.Sales)
	}
	for _, r := range categories {
		add(byCategory, r.Date, r.Sales)
	}
	// The rates are the day's cancelled sales and refunds over its gross
	// sales, in cents, rounded half away from zero; NULL without sales.
	rate := func(n, d money.Cents) string {
		if d == 0 {
			return "nil"
		}
		q := (2*10000*int64(n) + int64(d)) / (2 * int64(d))
		return fmt.Sprintf("%d.%04d", q/10000, q%10000)
	}
	text := func(s *string) string {
		if s == nil {
			return "nil"
		}
		return *s
	}
	for _, r := range revenue {
		if text(r.CancellationRate) != rate(r.CancelledSales, r.GrossSales) || text(r.RefundRate) != rate(r.Refunds, r.GrossSales) {
			tb.Errorf("revenue_daily on %s: rates %s, %s; want %s, %s", day(r.Date), text(r.CancellationRate), text(r.RefundRate),
				rate(r.CancelledSales, r.GrossSales), rate(r.Refunds, r.GrossSales))
		}
	}
	for mart, sums := range map[string]map[time.Time]totals{"product_sales": byProduct, "category_sales": byCategory} {
		if len(sums) != len(revenue) {
			tb.Errorf("%s has %d dates, revenue_daily %d", mart, len(sums), len(revenue))
		}
		for _, r := range revenue {
			got, ok := sums[r.Date]
			if want := (totals{r.GrossSales, r.CancelledSales, r.Refunds, r.NetSales, r.RefundedUnits}); !ok || got != want {
				tb.Errorf("%s on %s sums to %+v, revenue_daily has %+v", mart, day(r.Date), got, want)
			}
		}
	}
}
