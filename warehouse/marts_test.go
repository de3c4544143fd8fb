package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// martsSource is a small handmade shop with hand-computed marts (see the
// expectations in TestWarehouse_Marts).
func martsSource(tb testing.TB) *memSource {
	tb.Helper()
	src := newMemSource()
	src.putJSON(tb, "products", "2026-01-01", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3.33, "kitchen"}})
	src.putJSON(tb, "carts", "2026-01-04", []cart{
		{ID: 1001, UserID: 1, Date: "2026-01-01T10:04:00.000Z", Products: []cartLine{{1, 1}}},                      // 10.00
		{ID: 1002, UserID: 2, Date: "2026-01-01T23:59:00.000Z", Products: []cartLine{{2, 2}}},                      // 6.66
		{ID: 1003, UserID: 3, Date: "2026-01-02T10:00:00.000Z", Products: []cartLine{{2, 1}}},                      // 3.33
		{ID: 1004, UserID: 1, Date: "2026-01-03T12:00:00.000Z", Products: []cartLine{{1, 1}, {2, 1}}},              // 13.33
		{ID: 1007, UserID: 2, Date: "2026-01-03T12:30:00.000Z", Products: []cartLine{{1, 1}}},                      // 10.00
		{ID: 1005, UserID: 4, Date: "2026-01-03T13:00:00.000Z", Status: "cancelled", Products: []cartLine{{1, 1}}}, // not counted
		{ID: 1006, UserID: 4, Date: "2026-01-04T13:00:00.000Z", Status: "pending", Products: []cartLine{{1, 1}}},   // not counted
	})
	src.putEvents(tb, "2026-01-01", "10", "clicks-0-1-100", records(tb,
		// s1: the whole funnel, converts.
		ev{id: "s1-1", typ: "page_view", session: "s1", at: "2026-01-01T10:00:00Z"},
		ev{id: "s1-2", typ: "product_view", session: "s1", at: "2026-01-01T10:01:00Z", product: 1},
		ev{id: "s1-3", typ: "add_to_cart", session: "s1", at: "2026-01-01T10:02:00Z", product: 1},
		ev{id: "s1-4", typ: "begin_checkout", session: "s1", at: "2026-01-01T10:03:00Z"},
		ev{id: "s1-5", typ: "purchase", session: "s1", at: "2026-01-01T10:04:00Z", order: 1001},
		// s2: add_to_cart before its first product_view: step 2.
		ev{id: "s2-1", typ: "add_to_cart", session: "s2", at: "2026-01-01T11:00:00Z", product: 2},
		ev{id: "s2-2", typ: "product_view", session: "s2", at: "2026-01-01T11:05:00Z", product: 2},
		// s3: a page view, nothing else.
		ev{id: "s3-1", typ: "page_view", session: "s3", at: "2026-01-01T12:00:00Z"},
	))
	src.putEvents(tb, "2026-01-02", "00", "clicks-0-101-200", records(tb,
		// s4: spans midnight; counted (with its purchase) on 2026-01-01.
		ev{id: "s4-1", typ: "product_view", session: "s4", at: "2026-01-01T23:50:00Z", product: 2},
		ev{id: "s4-2", typ: "add_to_cart", session: "s4", at: "2026-01-01T23:55:00Z", product: 2},
		ev{id: "s4-3", typ: "begin_checkout", session: "s4", at: "2026-01-02T00:05:00Z"},
		ev{id: "s4-4", typ: "purchase", session: "s4", at: "2026-01-02T00:10:00Z", order: 1002},
		// s5: steps 1 and 2.
		ev{id: "s5-1", typ: "product_view", session: "s5", at: "2026-01-02T09:00:00Z", product: 1},
		ev{id: "s5-2", typ: "add_to_cart", session: "s5", at: "2026-01-02T09:01:00Z", product: 1},
		// s6: a purchase alone: converting, and at the funnel's last step.
		ev{id: "s6-1", typ: "purchase", session: "s6", at: "2026-01-02T10:00:00Z", order: 1003},
		// s7: skips add_to_cart: step 1 only, but converting.
		ev{id: "s7-1", typ: "product_view", session: "s7", at: "2026-01-02T11:00:00Z", product: 2},
		ev{id: "s7-2", typ: "begin_checkout", session: "s7", at: "2026-01-02T11:01:00Z"},
		ev{id: "s7-3", typ: "purchase", session: "s7", at: "2026-01-02T11:02:00Z", order: 9999},
	))
	return src
}

func TestWarehouse_Marts(t *testing.T) {
	ctx := context.Background()
	w := openTest(t)
	mustLoad(t, w, martsSource(t))
	mustTransform(t, w)

	t.Run("DailyKPIs", func(t *testing.T) {
		kpis, err := w.DailyKPIs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 01-01: sessions s1..s4, converting s1, s4; orders 1001 + 1002 = 16.66, avg 8.33.
		// 01-02: sessions s5..s7, converting s6, s7 (2/3 = 0.6667); order 1003.
		// 01-03: no session; orders 1004 + 1007 = 23.33, avg 11.665 -> 11.67.
		// 01-04: only a pending order: no row.
		want := "2026-01-01 sessions=4 converting=2 orders=2 revenue=16.66 aov=8.33 rate=0.5000\n" +
			"2026-01-02 sessions=3 converting=2 orders=1 revenue=3.33 aov=3.33 rate=0.6667\n" +
			"2026-01-03 sessions=0 converting=0 orders=2 revenue=23.33 aov=11.67 rate=nil\n"
		if got := formatKPIs(kpis); got != want {
			t.Fatalf("DailyKPIs:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("CheckoutAbandonment", func(t *testing.T) {
		rows, err := w.CheckoutAbandonment(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 01-01: carts s1 s2 s4, checkouts s1 s4, purchases s1 s4.
		// 01-02: carts s5 s6 s7, checkouts and purchases s6 s7.
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %d %d %d %d %s %s\n", r.Date.Format("2006-01-02"), r.Sessions, r.Carts, r.Checkouts, r.Purchases,
				strOrNil(r.CartAbandonmentRate), strOrNil(r.CheckoutAbandonmentRate))
		}
		want := "2026-01-01 4 3 2 2 0.3333 0.0000\n2026-01-02 3 3 2 2 0.3333 0.0000\n"
		if b.String() != want {
			t.Fatalf("CheckoutAbandonment:\n%s\nwant:\n%s", b.String(), want)
		}
	})

	t.Run("SessionFunnel", func(t *testing.T) {
		steps, err := w.SessionFunnel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The furthest step of each session (the funnel is not strict):
		// 01-01: s1 4, s2 2 (its add_to_cart came first), s3 0, s4 4 (its
		//        checkout and purchase after midnight).
		// 01-02: s5 2, s6 4 (a purchase alone), s7 4: the purchase step
		//        counts daily_kpis' converting sessions.
		want := "2026-01-01 1 product_view 3 nil\n" +
			"2026-01-01 2 add_to_cart 3 1.0000\n" +
			"2026-01-01 3 begin_checkout 2 0.6667\n" +
			"2026-01-01 4 purchase 2 1.0000\n" +
			"2026-01-02 1 product_view 3 nil\n" +
			"2026-01-02 2 add_to_cart 3 1.0000\n" +
			"2026-01-02 3 begin_checkout 2 0.6667\n" +
			"2026-01-02 4 purchase 2 1.0000\n"
		if got := formatFunnel(steps); got != want {
			t.Fatalf("SessionFunnel:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("Types", func(t *testing.T) {
		got := joinRows(queryStrings(t, w, `SELECT table_name, column_name, data_type FROM information_schema.columns
			WHERE table_schema = 'marts' AND data_type LIKE 'DECIMAL%' ORDER BY ALL`))
		want := "active_users|stickiness|DECIMAL(9,4)\n" +
			"category_conversion|view_to_cart_rate|DECIMAL(9,4)\ncategory_conversion|view_to_purchase_rate|DECIMAL(9,4)\n" +
			"category_sales|cancelled_sales|DECIMAL(18,2)\ncategory_sales|gross_sales|DECIMAL(18,2)\n" +
			"category_sales|net_sales|DECIMAL(18,2)\ncategory_sales|refunds|DECIMAL(18,2)\n" +
			"checkout_abandonment|cart_abandonment_rate|DECIMAL(9,4)\ncheckout_abandonment|checkout_abandonment_rate|DECIMAL(9,4)\n" +
			"cohort_ltv|avg_revenue|DECIMAL(18,2)\ncohort_ltv|revenue|DECIMAL(18,2)\n" +
			"cohort_retention|retention_rate|DECIMAL(9,4)\n" +
			"customer_ltv|revenue|DECIMAL(18,2)\ncustomer_ltv|revenue_30d|DECIMAL(18,2)\n" +
			"customer_ltv|revenue_365d|DECIMAL(18,2)\ncustomer_ltv|revenue_90d|DECIMAL(18,2)\n" +
			"daily_kpis|avg_order_value|DECIMAL(18,2)\ndaily_kpis|conversion_rate|DECIMAL(9,4)\ndaily_kpis|revenue|DECIMAL(18,2)\n" +
			"order_attribution|revenue|DECIMAL(18,2)\n" +
			"orders_daily|avg_lines_per_order|DECIMAL(9,2)\norders_daily|avg_units_per_order|DECIMAL(9,2)\n" +
			"orders_daily|new_customer_revenue|DECIMAL(18,2)\norders_daily|repeat_customer_rate|DECIMAL(9,4)\n" +
			"orders_daily|returning_customer_revenue|DECIMAL(18,2)\n" +
			"product_conversion|view_to_cart_rate|DECIMAL(9,4)\nproduct_conversion|view_to_purchase_rate|DECIMAL(9,4)\n" +
			"product_sales|cancelled_sales|DECIMAL(18,2)\nproduct_sales|gross_sales|DECIMAL(18,2)\n" +
			"product_sales|net_sales|DECIMAL(18,2)\nproduct_sales|refunds|DECIMAL(18,2)\n" +
			"purchase_reconciliation|tracking_loss_rate|DECIMAL(9,4)\n" +
			"revenue_daily|cancellation_rate|DECIMAL(9,4)\nrevenue_daily|cancelled_sales|DECIMAL(18,2)\nrevenue_daily|gross_sales|DECIMAL(18,2)\n" +
			"revenue_daily|net_sales|DECIMAL(18,2)\nrevenue_daily|refund_rate|DECIMAL(9,4)\nrevenue_daily|refunds|DECIMAL(18,2)\n" +
			"session_funnel|conversion_from_previous|DECIMAL(9,4)\n" +
			"traffic_by_hour|revenue|DECIMAL(18,2)\n" +
			"traffic_sources|funnel_conversion|DECIMAL(9,4)\n"
		if got != want {
			t.Fatalf("decimal columns:\n%s\nwant:\n%s", got, want)
		}
	})
}

func formatKPIs(kpis []warehouse.DailyKPI) string {
	var b strings.Builder
	for _, k := range kpis {
		aov, rate := "nil", "nil"
		if k.AvgOrderValue != nil {
			aov = k.AvgOrderValue.String()
		}
		if k.ConversionRate != nil {
			rate = *k.ConversionRate
		}
		fmt.Fprintf(&b, "%s sessions=%d converting=%d orders=%d revenue=%s aov=%s rate=%s\n",
			k.Date.Format("2006-01-02"), k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue, aov, rate)
	}
	return b.String()
}

func formatFunnel(steps []warehouse.FunnelStep) string {
	var b strings.Builder
	for _, s := range steps {
		conv := "nil"
		if s.ConversionFromPrevious != nil {
			conv = *s.ConversionFromPrevious
		}
		fmt.Fprintf(&b, "%s %d %s %d %s\n", s.Date.Format("2006-01-02"), s.StepOrder, s.Step, s.Sessions, conv)
	}
	return b.String()
}

// strOrNil renders an optional rate.
func strOrNil(s *string) string {
	if s == nil {
		return "nil"
	}
	return *s
}
