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

func formatOrdersDaily(rows []warehouse.OrdersDailyRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %d %d %d %d %d %d %s %s %d %d %s %s %s\n", day(r.Date), r.Orders, r.Customers, r.NewCustomers,
			r.ReturningCustomers, r.NewCustomerOrders, r.ReturningCustomerOrders, r.NewCustomerRevenue, r.ReturningCustomerRevenue,
			r.Units, r.Lines, r.AvgUnitsPerOrder, r.AvgLinesPerOrder, r.RepeatCustomerRate)
	}
	return b.String()
}

// TestWarehouse_OrdersDaily checks marts.orders_daily (docs/MARTS.md §14)
// on both engines against rows computed by hand: martsSource's completed
// orders (1001 u1 and 1002 u2 on 01-01, 1003 u3 on 01-02, 1004 u1 and 1007
// u2 on 01-03) and a later object's orders of 01-05 (1008 u3, returning;
// 1009 and 1010 u5, its first day, twice; 1011 u6). It checks the
// invariants against daily_kpis and customer_ltv, and that orders at or
// after as_of count nowhere, as in customer_ltv, while daily_kpis still
// counts them.
func TestWarehouse_OrdersDaily(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		src := martsSource(t)
		src.putJSON(t, "carts", "2026-01-05", []cart{
			{ID: 1008, UserID: 3, Date: "2026-01-05T09:00:00.000Z", Products: []cartLine{{1, 1}, {2, 3}}}, // 19.99
			{ID: 1009, UserID: 5, Date: "2026-01-05T09:30:00.000Z", Products: []cartLine{{2, 1}}},         // 3.33
			{ID: 1010, UserID: 5, Date: "2026-01-05T16:00:00.000Z", Products: []cartLine{{1, 2}}},         // 20.00
			{ID: 1011, UserID: 6, Date: "2026-01-05T18:00:00.000Z", Products: []cartLine{{2, 1}}},         // 3.33
		})
		for _, tc := range []struct {
			name string
			asOf time.Time
			want string
		}{
			{"AsOf0210", time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC),
				// 01-05: u5 new with two orders, u6 new, u3 returning; by
				// then u1, u2 (01-03), u3 and u5 (01-05) of 5 customers have
				// two orders.
				"2026-01-01 2 2 2 0 2 0 16.66 0.00 3 2 1.50 1.00 0.0000\n" +
					"2026-01-02 1 1 1 0 1 0 3.33 0.00 1 1 1.00 1.00 0.0000\n" +
					"2026-01-03 2 2 0 2 0 2 0.00 23.33 3 3 1.50 1.50 0.6667\n" +
					"2026-01-05 4 3 2 1 3 1 26.66 19.99 8 5 2.00 1.25 0.8000\n"},
			{"AsOf0103", time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC),
				// The orders of 01-03 and 01-05 are at or after as_of.
				"2026-01-01 2 2 2 0 2 0 16.66 0.00 3 2 1.50 1.00 0.0000\n" +
					"2026-01-02 1 1 1 0 1 0 3.33 0.00 1 1 1.00 1.00 0.0000\n"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := open(t)
				mustLoad(t, w, src)
				transformWith(t, w, warehouse.TransformOptions{AsOf: tc.asOf})
				rows, err := w.OrdersDaily(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := formatOrdersDaily(rows); got != tc.want {
					t.Fatalf("orders_daily:\n%s\nwant:\n%s", got, tc.want)
				}
				kpis, err := w.DailyKPIs(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ltv, err := w.CustomerLTV(ctx)
				if err != nil {
					t.Fatal(err)
				}
				byDate := map[time.Time]warehouse.OrdersDailyRow{}
				var newCustomers int64
				for _, r := range rows {
					byDate[r.Date] = r
					newCustomers += r.NewCustomers
				}
				after := 0
				for _, k := range kpis {
					r, ok := byDate[k.Date]
					switch {
					case !k.Date.Before(tc.asOf):
						after += int(k.Orders)
						if ok {
							t.Errorf("%s: a row at or after as_of", day(k.Date))
						}
					case k.Orders > 0 && (!ok || r.Orders != k.Orders || r.NewCustomerRevenue+r.ReturningCustomerRevenue != k.Revenue):
						t.Errorf("%s: daily_kpis %d orders, %s; orders_daily %d, %s + %s", day(k.Date), k.Orders, k.Revenue,
							r.Orders, r.NewCustomerRevenue, r.ReturningCustomerRevenue)
					}
				}
				if after == 0 && tc.asOf.Before(time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("daily_kpis counts no order at or after as_of: the test shows nothing")
				}
				if newCustomers != int64(len(ltv)) {
					t.Errorf("new customers sum to %d, customer_ltv has %d rows", newCustomers, len(ltv))
				}
				var total money.Cents
				for _, c := range ltv {
					total += c.Revenue
				}
				var sum money.Cents
				for _, r := range rows {
					sum += r.NewCustomerRevenue + r.ReturningCustomerRevenue
				}
				if sum != total {
					t.Errorf("orders_daily revenue %s, customer_ltv %s", sum, total)
				}
			})
		}
	})
}
