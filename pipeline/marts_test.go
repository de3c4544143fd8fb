package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/scenarios"
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
			r, err := pipeline.NewRunnerWith(ctx, cfg, pipeline.Options{KeepEvents: true}) // the oracle reads them
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
	counts, diffs, err := scenarios.CompareMarts(context.Background(), wh, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.OracleRows == 0 && c.Mart != "purchase_reconciliation" {
			t.Logf("%s: the oracle has no rows", c.Mart)
		}
	}
	for _, d := range diffs {
		t.Errorf("%s (%d rows, oracle %d) differs from the oracle:\n%s", d.Mart, d.Rows, d.OracleRows, d.Diff)
	}
}
