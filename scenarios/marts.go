package scenarios

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// MartDiff is one mart that differs from the oracle.
type MartDiff struct {
	Mart       string `json:"mart"`
	Rows       int    `json:"rows"`
	OracleRows int    `json:"oracle_rows"`
	// Diff shows the first differing rows (at most five), warehouse then
	// oracle.
	Diff string `json:"diff"`
}

// MartCount is how many rows one mart has, in the warehouse and the oracle.
type MartCount struct {
	Mart       string
	Rows       int
	OracleRows int
}

// CompareMarts compares every mart of docs/MARTS.md in wh with the oracle of
// w, row by row, rendered alike (dates as YYYY-MM-DD, money to the cent,
// rates as the marts' decimal text). It returns the row counts of every
// mart and the marts that differ. An error is a mart that could not be read.
func CompareMarts(ctx context.Context, wh *warehouse.Warehouse, w *sim.World) ([]MartCount, []MartDiff, error) {
	var counts []MartCount
	var diffs []MartDiff
	var errs []error
	check := func(mart string, got, want []string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("read mart %s: %w", mart, err))
			return
		}
		counts = append(counts, MartCount{Mart: mart, Rows: len(got), OracleRows: len(want)})
		if diff := diffLines(got, want); diff != "" {
			diffs = append(diffs, MartDiff{Mart: mart, Rows: len(got), OracleRows: len(want), Diff: diff})
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

	traffic, err := wh.TrafficSources(ctx)
	check("traffic_sources", mapRows(traffic, func(r warehouse.TrafficSourceRow) string {
		return row(r.Date, r.Channel, r.DeviceType, r.Country, r.Sessions, r.ReachedProductView, r.ReachedAddToCart,
			r.ReachedBeginCheckout, r.ReachedPurchase, r.FunnelConversion)
	}), mapRows(w.TrafficSources(), func(r sim.TrafficSourceRow) string {
		return row(r.Date, r.Channel, r.DeviceType, r.Country, r.Sessions, r.ReachedProductView, r.ReachedAddToCart,
			r.ReachedBeginCheckout, r.ReachedPurchase, r.FunnelConversion)
	}), err)

	abandonment, err := wh.CheckoutAbandonment(ctx)
	check("checkout_abandonment", mapRows(abandonment, func(r warehouse.AbandonmentRow) string {
		return row(r.Date, r.Sessions, r.Carts, r.Checkouts, r.Purchases, r.CartAbandonmentRate, r.CheckoutAbandonmentRate)
	}), mapRows(w.CheckoutAbandonment(), func(r sim.AbandonmentRow) string {
		return row(r.Date, r.Sessions, r.Carts, r.Checkouts, r.Purchases, r.CartAbandonmentRate, r.CheckoutAbandonmentRate)
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
	revenue, err := wh.RevenueDaily(ctx)
	check("revenue_daily", mapRows(revenue, func(r warehouse.RevenueDailyRow) string {
		return row(r.Date, r.OrdersPlaced, r.GrossSales, r.CancelledOrders, r.CancelledSales, r.RefundedUnits, r.Refunds, r.NetSales,
			r.CancellationRate, r.RefundRate)
	}), mapRows(w.RevenueDaily(), func(r sim.RevenueDailyRow) string {
		return row(r.Date, r.OrdersPlaced, r.GrossSales, r.CancelledOrders, r.CancelledSales, r.RefundedUnits, r.Refunds, r.NetSales,
			r.CancellationRate, r.RefundRate)
	}), err)

	productSales, err := wh.ProductSales(ctx)
	check("product_sales", mapRows(productSales, func(r warehouse.ProductSalesRow) string {
		return row(append([]any{r.Date, r.ProductID, r.Category}, salesColumns(sim.Sales(r.Sales))...)...)
	}), mapRows(w.ProductSales(), func(r sim.ProductSalesRow) string {
		return row(append([]any{r.Date, r.ProductID, r.Category}, salesColumns(r.Sales)...)...)
	}), err)
	categorySales, err := wh.CategorySales(ctx)
	check("category_sales", mapRows(categorySales, func(r warehouse.CategorySalesRow) string {
		return row(append([]any{r.Date, r.Category}, salesColumns(sim.Sales(r.Sales))...)...)
	}), mapRows(w.CategorySales(), func(r sim.CategorySalesRow) string {
		return row(append([]any{r.Date, r.Category}, salesColumns(r.Sales)...)...)
	}), err)

	orders, err := wh.OrdersDaily(ctx)
	check("orders_daily", mapRows(orders, func(r warehouse.OrdersDailyRow) string {
		return row(r.Date, r.Orders, r.Customers, r.NewCustomers, r.ReturningCustomers, r.NewCustomerOrders, r.ReturningCustomerOrders,
			r.NewCustomerRevenue, r.ReturningCustomerRevenue, r.Units, r.Lines, r.AvgUnitsPerOrder, r.AvgLinesPerOrder, r.RepeatCustomerRate)
	}), mapRows(w.OrdersDaily(), func(r sim.OrdersDailyRow) string {
		return row(r.Date, r.Orders, r.Customers, r.NewCustomers, r.ReturningCustomers, r.NewCustomerOrders, r.ReturningCustomerOrders,
			r.NewCustomerRevenue, r.ReturningCustomerRevenue, r.Units, r.Lines, r.AvgUnitsPerOrder, r.AvgLinesPerOrder, r.RepeatCustomerRate)
	}), err)

	attribution, err := wh.OrderAttribution(ctx)
	check("order_attribution", mapRows(attribution, func(r warehouse.OrderAttributionRow) string {
		return row(r.Date, r.Model, r.Channel, r.UTMSource, r.UTMMedium, r.UTMCampaign, r.Orders, r.Revenue)
	}), mapRows(w.OrderAttribution(), func(r sim.OrderAttributionRow) string {
		return row(r.Date, r.Model, r.Channel, r.UTMSource, r.UTMMedium, r.UTMCampaign, r.Orders, r.Revenue)
	}), err)
	hours, err := wh.TrafficByHour(ctx)
	check("traffic_by_hour", mapRows(hours, func(r warehouse.TrafficHourRow) string {
		return row(r.Date, r.Hour, r.Weekday, r.Sessions, r.ConvertingSessions, r.Orders, r.Revenue)
	}), mapRows(w.TrafficByHour(), func(r sim.TrafficHourRow) string {
		return row(r.Date, r.Hour, r.Weekday, r.Sessions, r.ConvertingSessions, r.Orders, r.Revenue)
	}), err)
	active, err := wh.ActiveUsers(ctx)
	check("active_users", mapRows(active, func(r warehouse.ActiveUsersRow) string {
		return row(r.Date, r.DAU, r.WAU, r.MAU, r.Signups, r.Stickiness)
	}), mapRows(w.ActiveUsers(), func(r sim.ActiveUsersRow) string {
		return row(r.Date, r.DAU, r.WAU, r.MAU, r.Signups, r.Stickiness)
	}), err)
	if len(errs) > 0 {
		return counts, diffs, errs[0]
	}
	return counts, diffs, nil
}

// salesColumns returns the columns the sales marts share (docs/MARTS.md
// §12, §13), in table order.
func salesColumns(s sim.Sales) []any {
	return []any{s.OrdersPlaced, s.UnitsSold, s.GrossSales, s.CancelledUnits, s.CancelledSales,
		s.RefundedUnits, s.Refunds, s.NetUnits, s.NetSales, s.NetSalesRank}
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
