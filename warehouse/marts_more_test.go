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

// TestWarehouse_MartsByHand checks the marts of docs/MARTS.md §3 to §6 on
// martsSource (see marts_test.go), against values computed by hand. The
// completed orders: 1001 (user 1, 01-01, 10.00), 1002 (user 2, 01-01 23:59,
// 6.66), 1003 (user 3, 01-02, 3.33), 1004 (user 1, 01-03, 13.33), 1007
// (user 2, 01-03, 10.00); 1005 is cancelled and 1006 pending. 2026-01-01 is
// a Thursday: its ISO week starts on Monday 2025-12-29.
func TestWarehouse_MartsByHand(t *testing.T) {
	ctx := context.Background()
	transform := func(tb testing.TB, w *warehouse.Warehouse, asOf time.Time) {
		tb.Helper()
		if _, err := w.Transform(ctx, warehouse.TransformOptions{AsOf: asOf}); err != nil {
			tb.Fatal(err)
		}
	}

	t.Run("HorizonFromCore", func(t *testing.T) {
		// No AsOf: the midnight after the latest order (1006, 01-04 13:00),
		// 2026-01-05, as the oracle does for a World without an end.
		w := openTest(t)
		mustLoad(t, w, martsSource(t))
		transform(t, w, time.Time{})
		rows, err := w.CohortRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := "month 2026-01-01 0 2026-01-01 3 3 1.0000 false\n" +
			"week 2025-12-29 0 2025-12-29 3 3 1.0000 true\n" // the week ends on 01-05 = as_of
		if got := formatRetention(rows); got != want {
			t.Fatalf("cohort_retention:\n%s\nwant:\n%s", got, want)
		}
		explicit := openTest(t)
		mustLoad(t, explicit, martsSource(t))
		transform(t, explicit, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
		if got, want := mustHashes(t, w), mustHashes(t, explicit); !equalHashes(got, want) {
			t.Fatalf("no AsOf and AsOf 2026-01-05 differ:\n%v\n%v", got, want)
		}
	})

	w := openTest(t)
	mustLoad(t, w, martsSource(t))
	transform(t, w, time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))

	t.Run("CohortRetention", func(t *testing.T) {
		rows, err := w.CohortRetention(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// as_of 02-10: months 01 and 02 (02 still running); weeks from
		// 12-29 to the week of 02-09, the last one running.
		want := "month 2026-01-01 0 2026-01-01 3 3 1.0000 true\n" +
			"month 2026-01-01 1 2026-02-01 3 0 0.0000 false\n" +
			"week 2025-12-29 0 2025-12-29 3 3 1.0000 true\n" +
			"week 2025-12-29 1 2026-01-05 3 0 0.0000 true\n" +
			"week 2025-12-29 2 2026-01-12 3 0 0.0000 true\n" +
			"week 2025-12-29 3 2026-01-19 3 0 0.0000 true\n" +
			"week 2025-12-29 4 2026-01-26 3 0 0.0000 true\n" +
			"week 2025-12-29 5 2026-02-02 3 0 0.0000 true\n" +
			"week 2025-12-29 6 2026-02-09 3 0 0.0000 false\n"
		if got := formatRetention(rows); got != want {
			t.Fatalf("cohort_retention:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("CustomerLTV", func(t *testing.T) {
		rows, err := w.CustomerLTV(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 30-day windows end 01-31 (users 1, 2) and 02-01 (user 3), before
		// as_of; the 90- and 365-day ones have not elapsed.
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%d %s %s %d %s %s %s %s\n", r.UserID, day(r.FirstOrderDate), day(r.CohortMonth), r.Orders,
				r.Revenue, cents(r.Revenue30), cents(r.Revenue90), cents(r.Revenue365))
		}
		want := "1 2026-01-01 2026-01-01 2 23.33 23.33 nil nil\n" +
			"2 2026-01-01 2026-01-01 2 16.66 16.66 nil nil\n" +
			"3 2026-01-02 2026-01-01 1 3.33 3.33 nil nil\n"
		if got := b.String(); got != want {
			t.Fatalf("customer_ltv:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("CohortLTV", func(t *testing.T) {
		rows, err := w.CohortLTV(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %d %d %d %s %s\n", day(r.CohortMonth), r.HorizonDays, r.CohortCustomers, r.MaturedCustomers,
				r.Revenue, cents(r.AvgRevenue))
		}
		want := "2026-01-01 30 3 3 43.32 14.44\n" + // 43.32 / 3
			"2026-01-01 90 3 0 0.00 nil\n" +
			"2026-01-01 365 3 0 0.00 nil\n"
		if got := b.String(); got != want {
			t.Fatalf("cohort_ltv:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("Conversion", func(t *testing.T) {
		products, err := w.ProductConversion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 01-01: s1 views, carts and buys 1 (order 1001); s2 carts then
		// views 2; s4 views, carts and buys 2 (order 1002, after midnight).
		// 01-02: s5 views and carts 1; s6 buys 2 (order 1003) without a
		// view; s7 views 2 and buys order 9999, which does not exist.
		var b strings.Builder
		for _, r := range products {
			fmt.Fprintf(&b, "%s %d %s\n", day(r.Date), r.ProductID, formatConversion(r.Conversion))
		}
		want := "2026-01-01 1 1 1 1 1.0000 1.0000\n" +
			"2026-01-01 2 2 2 1 1.0000 0.5000\n" +
			"2026-01-02 1 1 1 0 1.0000 0.0000\n" +
			"2026-01-02 2 1 0 1 0.0000 1.0000\n"
		if got := b.String(); got != want {
			t.Fatalf("product_conversion:\n%s\nwant:\n%s", got, want)
		}
		categories, err := w.CategoryConversion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.Reset()
		for _, r := range categories {
			fmt.Fprintf(&b, "%s %s %s\n", day(r.Date), r.Category, formatConversion(r.Conversion))
		}
		want = "2026-01-01 home 1 1 1 1.0000 1.0000\n" +
			"2026-01-01 kitchen 2 2 1 1.0000 0.5000\n" +
			"2026-01-02 home 1 1 0 1.0000 0.0000\n" +
			"2026-01-02 kitchen 1 0 1 0.0000 1.0000\n"
		if got := b.String(); got != want {
			t.Fatalf("category_conversion:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("PurchaseReconciliation", func(t *testing.T) {
		rows, err := w.PurchaseReconciliation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Orders of every status on their dates; purchase events on theirs
		// (s4's purchase of 1002 is on 01-02); 9999 is an orphan; 1004,
		// 1005, 1006 and 1007 have no purchase event.
		var b strings.Builder
		for _, r := range rows {
			rate := "nil"
			if r.TrackingLossRate != nil {
				rate = *r.TrackingLossRate
			}
			fmt.Fprintf(&b, "%s %d %d %d %d %d %s\n", day(r.Date), r.Orders, r.TrackedOrders, r.UntrackedOrders,
				r.PurchaseEvents, r.OrphanPurchaseEvents, rate)
		}
		want := "2026-01-01 2 2 0 1 0 0.0000\n" +
			"2026-01-02 1 1 0 3 1 0.0000\n" +
			"2026-01-03 3 0 3 0 0 1.0000\n" +
			"2026-01-04 1 0 1 0 0 1.0000\n"
		if got := b.String(); got != want {
			t.Fatalf("purchase_reconciliation:\n%s\nwant:\n%s", got, want)
		}
	})
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func cents(c *money.Cents) string {
	if c == nil {
		return "nil"
	}
	return c.String()
}

func formatRetention(rows []warehouse.CohortRetentionRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s %d %s %d %d %s %t\n", r.Granularity, day(r.Cohort), r.Offset, day(r.Period),
			r.CohortSize, r.Active, r.Rate, r.PeriodComplete)
	}
	return b.String()
}

func formatConversion(c warehouse.Conversion) string {
	rate := func(s *string) string {
		if s == nil {
			return "nil"
		}
		return *s
	}
	return fmt.Sprintf("%d %d %d %s %s", c.ViewSessions, c.CartSessions, c.PurchaseSessions, rate(c.ViewToCart), rate(c.ViewToPurchase))
}
