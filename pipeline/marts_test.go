package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// TestRunner_MartsEqualOracle replays worlds end to end and checks that every
// mart of docs/MARTS.md equals the simulator's oracle, to the cent and the
// fourth decimal: a plain world (TestRunner_Result checks another seed),
// realistic worlds on two seeds (statuses, tracking loss, price changes,
// withdrawals, new products, hostile categories), and one long enough (35
// days) for 30-day LTV windows to mature. The subtests run in parallel.
func TestRunner_MartsEqualOracle(t *testing.T) {
	for _, tc := range []struct {
		name       string
		seed       uint64
		days       int
		users      int
		realistic  bool
		hostile    float64
		priceOrder bool // some completed order is priced after a price change
		long       bool // skipped with -short
		// firstMidnight: the world changes a product at Start + 1 day
		firstMidnight bool
		// nulCategory: some product's category holds a NUL byte
		nulCategory bool
	}{
		{name: "Plain/seed21", seed: 21, days: 10, users: 150},
		{name: "Realistic/seed6", seed: 6, days: 14, users: 150, realistic: true, hostile: 0.2, priceOrder: true},
		{name: "Realistic/seed10", seed: 10, days: 14, users: 150, realistic: true, hostile: 0.2, priceOrder: true},
		{name: "RealisticLTV/seed8", seed: 8, days: 35, users: 60, realistic: true, priceOrder: true, long: true},
		// Worlds that change a product at the first midnight, before the
		// first daily snapshot: only the opening snapshot observes the
		// first day's price (seed 7) or product (seed 57).
		{name: "FirstMidnightPrice/seed7", seed: 7, days: 14, users: 150, realistic: true, firstMidnight: true},
		{name: "FirstMidnightWithdrawal/seed57", seed: 57, days: 14, users: 150, realistic: true, firstMidnight: true},
		// Every product hostile, some categories with NUL bytes, which both
		// engines store as U+FFFD (docs/MARTS.md §5).
		{name: "Hostile/seed5", seed: 5, days: 5, users: 100, hostile: 1, nulCategory: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("a 35-day world; skipped with -short")
			}
			t.Parallel()
			cfg := testConfig(t.TempDir(), tc.seed)
			cfg.Sim.Days, cfg.Sim.Users = tc.days, tc.users
			cfg.Sim.Realistic, cfg.Sim.HostileRate = tc.realistic, tc.hostile
			ctx := context.Background()
			r, err := pipeline.NewRunner(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Close() })
			if got := nulCategory(r.World); got != tc.nulCategory {
				t.Fatalf("seed %d: a category with a NUL byte: %v, want %v", tc.seed, got, tc.nulCategory)
			}
			if got := changesAtFirstMidnight(r.World); got != tc.firstMidnight {
				t.Fatalf("seed %d: a product changes at the first midnight: %v, want %v", tc.seed, got, tc.firstMidnight)
			}
			if tc.priceOrder && !pricedAfterChange(r.World) {
				t.Fatalf("seed %d: no completed order is priced after a price change; the test would not prove the price history", tc.seed)
			}
			if tc.realistic && !tc.firstMidnight && (len(r.World.UntrackedOrders()) == 0 || !anyNotCompleted(r.World)) {
				t.Fatalf("seed %d: no untracked order, or no cancelled or refunded one", tc.seed)
			}
			if tc.long && !anyMatured(r.World) {
				t.Fatalf("seed %d: no 30-day LTV window has elapsed", tc.seed)
			}
			if _, err := r.Run(ctx, nil); err != nil {
				t.Fatal(err)
			}
			assertMartsEqualOracle(t, r.Warehouse(), r.World)
		})
	}
}

// nulCategory reports whether some product's category holds a NUL byte.
func nulCategory(w *sim.World) bool {
	for _, p := range w.Products {
		if strings.IndexByte(p.Category, 0) >= 0 {
			return true
		}
	}
	return false
}

// changesAtFirstMidnight reports whether w changes a product (a price
// change or a withdrawal) at Start + 1 day, after which the first daily
// snapshot is taken: only the runner's opening snapshot sees the first
// day's catalogue (docs/MARTS.md §8).
func changesAtFirstMidnight(w *sim.World) bool {
	first := w.Config.Start.Add(24 * time.Hour)
	for _, p := range w.Products {
		if p.WithdrawnAt != nil && p.WithdrawnAt.Equal(first) {
			return true
		}
		for _, pp := range p.Prices {
			if pp.From.Equal(first) {
				return true
			}
		}
	}
	return false
}

// pricedAfterChange reports whether some completed order has a line whose
// price at the order's date differs from the product's listing price.
func pricedAfterChange(w *sim.World) bool {
	listing := map[int64]money.Cents{}
	for _, p := range w.Products {
		listing[p.ID] = p.Price
	}
	for _, o := range w.Orders {
		if o.Status != sim.StatusCompleted {
			continue
		}
		for _, l := range o.Lines {
			if p, ok := w.PriceAt(l.ProductID, o.Date); ok && p != listing[l.ProductID] {
				return true
			}
		}
	}
	return false
}

// anyNotCompleted reports whether some order is cancelled or refunded.
func anyNotCompleted(w *sim.World) bool {
	for _, o := range w.Orders {
		if o.Status != sim.StatusCompleted {
			return true
		}
	}
	return false
}

// anyMatured reports whether some customer's 30-day LTV window has elapsed.
func anyMatured(w *sim.World) bool {
	for _, c := range w.CustomerLTV() {
		if c.Revenue30 != nil {
			return true
		}
	}
	return false
}

// assertMartsEqualOracle compares every mart of wh with w's oracle, row by
// row, and reports the first differing rows of each mart.
func assertMartsEqualOracle(t *testing.T, wh *warehouse.Warehouse, w *sim.World) {
	t.Helper()
	ctx := context.Background()
	check := func(mart string, got, want []string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", mart, err)
			return
		}
		if len(want) == 0 && mart != "purchase_reconciliation" {
			t.Logf("%s: the oracle has no rows", mart)
		}
		if diff := diffLines(got, want); diff != "" {
			t.Errorf("%s (%d rows, oracle %d) differs from the oracle:\n%s", mart, len(got), len(want), diff)
		}
	}

	kpis, err := wh.DailyKPIs(ctx)
	check("daily_kpis", mapRows(kpis, func(k warehouse.DailyKPI) string {
		return row(k.Date, k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue, k.AvgOrderValue, k.ConversionRate)
	}), mapRows(w.DailyKPIs(), func(k sim.DailyKPI) string {
		return row(k.Date, k.Sessions, k.ConvertingSessions, k.Orders, k.Revenue, k.AvgOrderValue, k.ConversionRate)
	}), err)

	funnel, err := wh.SessionFunnel(ctx)
	check("session_funnel", mapRows(funnel, func(s warehouse.FunnelStep) string {
		return row(s.Date, s.StepOrder, s.Step, s.Sessions, s.ConversionFromPrevious)
	}), mapRows(w.SessionFunnel(), func(s sim.FunnelStep) string {
		return row(s.Date, s.StepOrder, string(s.Step), s.Sessions, s.ConversionFromPrevious)
	}), err)

	retention, err := wh.CohortRetention(ctx)
	check("cohort_retention", mapRows(retention, func(r warehouse.CohortRetentionRow) string {
		return row(r.Granularity, r.Cohort, r.Offset, r.Period, r.CohortSize, r.Active, r.Rate, r.PeriodComplete)
	}), mapRows(append(w.CohortRetention(sim.Monthly), w.CohortRetention(sim.Weekly)...), func(r sim.CohortRetentionRow) string {
		return row(r.Granularity.String(), r.Cohort, r.Offset, r.Period, r.CohortSize, r.Active, r.Rate, r.PeriodComplete)
	}), err)

	ltv, err := wh.CustomerLTV(ctx)
	check("customer_ltv", mapRows(ltv, func(c warehouse.CustomerLTV) string {
		return row(c.UserID, c.FirstOrderDate, c.CohortMonth, c.Orders, c.Revenue, c.Revenue30, c.Revenue90, c.Revenue365)
	}), mapRows(w.CustomerLTV(), func(c sim.CustomerLTV) string {
		return row(c.UserID, c.FirstOrderDate, c.CohortMonth, c.Orders, c.Revenue, c.Revenue30, c.Revenue90, c.Revenue365)
	}), err)

	cohortLTV, err := wh.CohortLTV(ctx)
	check("cohort_ltv", mapRows(cohortLTV, func(c warehouse.CohortLTVRow) string {
		return row(c.CohortMonth, c.HorizonDays, c.CohortCustomers, c.MaturedCustomers, c.Revenue, c.AvgRevenue)
	}), mapRows(w.CohortLTV(), func(c sim.CohortLTVRow) string {
		return row(c.CohortMonth, c.HorizonDays, c.CohortCustomers, c.MaturedCustomers, c.Revenue, c.AvgRevenue)
	}), err)

	products, err := wh.ProductConversion(ctx)
	check("product_conversion", mapRows(products, func(p warehouse.ProductConversionRow) string {
		return row(p.Date, p.ProductID, p.ViewSessions, p.CartSessions, p.PurchaseSessions, p.ViewToCart, p.ViewToPurchase)
	}), mapRows(w.ProductConversion(), func(p sim.ProductConversionRow) string {
		return row(p.Date, p.ProductID, p.ViewSessions, p.CartSessions, p.PurchaseSessions, p.ViewToCart, p.ViewToPurchase)
	}), err)

	categories, err := wh.CategoryConversion(ctx)
	check("category_conversion", mapRows(categories, func(c warehouse.CategoryConversionRow) string {
		return row(c.Date, c.Category, c.ViewSessions, c.CartSessions, c.PurchaseSessions, c.ViewToCart, c.ViewToPurchase)
	}), mapRows(w.CategoryConversion(), func(c sim.CategoryConversionRow) string {
		return row(c.Date, c.Category, c.ViewSessions, c.CartSessions, c.PurchaseSessions, c.ViewToCart, c.ViewToPurchase)
	}), err)

	recon, err := wh.PurchaseReconciliation(ctx)
	check("purchase_reconciliation", mapRows(recon, func(r warehouse.ReconciliationRow) string {
		return row(r.Date, r.Orders, r.TrackedOrders, r.UntrackedOrders, r.PurchaseEvents, r.OrphanPurchaseEvents, r.TrackingLossRate)
	}), mapRows(w.Reconciliation(), func(r sim.ReconciliationRow) string {
		return row(r.Date, r.Orders, r.TrackedOrders, r.UntrackedOrders, r.PurchaseEvents, r.OrphanPurchaseEvents, r.TrackingLossRate)
	}), err)
}

func mapRows[T any](rows []T, f func(T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// row renders one mart row: dates as YYYY-MM-DD (with the time if it is not
// a midnight), money with two decimals, nil pointers as "NULL", strings
// quoted (categories may hold any byte).
func row(vals ...any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case time.Time:
			if x.Equal(x.Truncate(24 * time.Hour)) {
				parts[i] = x.UTC().Format(time.DateOnly)
			} else {
				parts[i] = x.UTC().Format(time.RFC3339Nano)
			}
		case *money.Cents:
			parts[i] = "NULL"
			if x != nil {
				parts[i] = x.String()
			}
		case *string:
			parts[i] = "NULL"
			if x != nil {
				parts[i] = *x
			}
		case string:
			parts[i] = fmt.Sprintf("%q", x)
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, " ")
}

// diffLines returns "" if got equals want, or the first differing lines of
// each, at most five.
func diffLines(got, want []string) string {
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(got), len(want)) && shown < 5; i++ {
		g, w := "(none)", "(none)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "  row %d:\n    got    %s\n    oracle %s\n", i, g, w)
			shown++
		}
	}
	return b.String()
}
