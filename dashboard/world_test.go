package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shoplake/shoplake/dashboard"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// TestHelperHoldWarehouse is the child process of warehousetest.HoldWriter.
func TestHelperHoldWarehouse(t *testing.T) { warehousetest.ServeHold(t) }

// dataDirEnv names a data directory (of shoplake demo) the tests read
// instead of building their small world: how docs/dashboard.png is made
// (docs/TESTING.md). Not SHOPLAKE_-prefixed: the configuration rejects
// unknown SHOPLAKE_ variables.
const dataDirEnv = "DASHBOARD_DATA_DIR"

var world struct {
	once sync.Once
	dir  string // the data directory: its warehouse.duckdb
	err  error
}

// TestMain removes the shared world's directory after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if world.dir != "" && os.Getenv(dataDirEnv) == "" {
		os.RemoveAll(world.dir)
	}
	os.Exit(code)
}

// warehouseFile returns the DuckDB file of a small pipeline run: three
// realistic days (cancellations, refunds, tracking loss) of 150 users,
// built once for the test binary (some 4 s), or the warehouse of
// $DASHBOARD_DATA_DIR. The run's own warehouse is closed: the file is free
// for readers.
func warehouseFile(tb testing.TB) string {
	tb.Helper()
	world.once.Do(func() {
		if dir := os.Getenv(dataDirEnv); dir != "" {
			world.dir = dir
			if _, err := os.Stat(filepath.Join(dir, "warehouse.duckdb")); err != nil {
				world.err = fmt.Errorf("%s=%s: %w (run shoplake demo --data-dir %s first)", dataDirEnv, dir, err, dir)
			}
			return
		}
		dir, err := os.MkdirTemp("", "dashboard-world-")
		if err != nil {
			world.err = err
			return
		}
		world.dir = dir
		cfg := config.DefaultConfig()
		cfg.DataDir, cfg.Seed, cfg.Sim.Days, cfg.Sim.Users, cfg.Sim.Realistic = dir, 7, 3, 150, true
		ctx := context.Background()
		r, err := pipeline.NewRunner(ctx, cfg, nil)
		if err != nil {
			world.err = err
			return
		}
		_, err = r.Run(ctx, nil)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		world.err = err
	})
	if world.err != nil {
		tb.Fatal(world.err)
	}
	return filepath.Join(world.dir, "warehouse.duckdb")
}

// openReadOnly opens the warehouse at path read-only, as shoplake
// dashboard does.
func openReadOnly(path string) func(context.Context) (*warehouse.Warehouse, error) {
	return func(ctx context.Context) (*warehouse.Warehouse, error) {
		return warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
	}
}

// readers is what the warehouse's readers return, read on their own
// (not through the dashboard): what the page must show.
type readers struct {
	kpis           []warehouse.DailyKPI
	revenue        []warehouse.RevenueDailyRow
	orders         []warehouse.OrdersDailyRow
	funnel         []warehouse.FunnelStep
	retention      []warehouse.CohortRetentionRow
	ltv            []warehouse.CohortLTVRow
	products       []warehouse.ProductSalesRow
	categories     []warehouse.CategorySalesRow
	reconciliation []warehouse.ReconciliationRow
	abandonment    []warehouse.AbandonmentRow
	active         []warehouse.ActiveUsersRow
	traffic        []warehouse.TrafficSourceRow
	hours          []warehouse.TrafficHourRow
	attribution    []warehouse.OrderAttributionRow
	customers      []warehouse.CustomerLTV
	productConv    []warehouse.ProductConversionRow
	categoryConv   []warehouse.CategoryConversionRow
	freshness      warehouse.Freshness
	run            warehouse.CheckRun
	accounting     warehouse.Accounting
}

func readAll(tb testing.TB, path string) readers {
	tb.Helper()
	ctx := context.Background()
	wh, err := openReadOnly(path)(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer wh.Close()
	var r readers
	for _, f := range []func() error{
		func() (err error) { r.kpis, err = wh.DailyKPIs(ctx); return err },
		func() (err error) { r.revenue, err = wh.RevenueDaily(ctx); return err },
		func() (err error) { r.orders, err = wh.OrdersDaily(ctx); return err },
		func() (err error) { r.funnel, err = wh.SessionFunnel(ctx); return err },
		func() (err error) { r.retention, err = wh.CohortRetention(ctx); return err },
		func() (err error) { r.ltv, err = wh.CohortLTV(ctx); return err },
		func() (err error) { r.products, err = wh.ProductSales(ctx); return err },
		func() (err error) { r.categories, err = wh.CategorySales(ctx); return err },
		func() (err error) { r.reconciliation, err = wh.PurchaseReconciliation(ctx); return err },
		func() (err error) { r.abandonment, err = wh.CheckoutAbandonment(ctx); return err },
		func() (err error) { r.active, err = wh.ActiveUsers(ctx); return err },
		func() (err error) { r.traffic, err = wh.TrafficSources(ctx); return err },
		func() (err error) { r.hours, err = wh.TrafficByHour(ctx); return err },
		func() (err error) { r.attribution, err = wh.OrderAttribution(ctx); return err },
		func() (err error) { r.customers, err = wh.CustomerLTV(ctx); return err },
		func() (err error) { r.productConv, err = wh.ProductConversion(ctx); return err },
		func() (err error) { r.categoryConv, err = wh.CategoryConversion(ctx); return err },
		func() (err error) { r.freshness, err = wh.Freshness(ctx); return err },
		func() (err error) { r.run, err = wh.CheckResults(ctx, 0); return err },
		func() (err error) { r.accounting, err = wh.Accounting(ctx); return err },
	} {
		if err := f(); err != nil {
			tb.Fatal(err)
		}
	}
	if len(r.kpis) == 0 || len(r.funnel) == 0 || len(r.retention) == 0 || len(r.products) == 0 || r.run.RunID == 0 {
		tb.Fatalf("the world has too little to show: %d KPI days, %d funnel rows, %d retention rows, %d product rows, run %d",
			len(r.kpis), len(r.funnel), len(r.retention), len(r.products), r.run.RunID)
	}
	// Every mart the page shows has rows, and enough that the page lists
	// only the first TopN customers and products.
	for name, n := range map[string]int{"checkout_abandonment": len(r.abandonment), "active_users": len(r.active),
		"traffic_sources": len(r.traffic), "traffic_by_hour": len(r.hours), "order_attribution": len(r.attribution),
		"category_conversion": len(r.categoryConv)} {
		if n == 0 {
			tb.Fatalf("the world has no row of %s", name)
		}
	}
	if len(r.customers) <= dashboard.TopN || len(r.productConv) <= dashboard.TopN {
		tb.Fatalf("the world has %d customers and %d product_conversion rows: too few to list only the first %d",
			len(r.customers), len(r.productConv), dashboard.TopN)
	}
	return r
}
