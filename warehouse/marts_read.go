package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// The rows of the marts of docs/MARTS.md §3 to §6, as the readers below
// return them. Field names follow the simulator oracle's row types
// (sim.CohortRetentionRow, sim.CustomerLTV, ...) so that a test compares
// them field by field; JSON names are the mart's columns. Dates are UTC
// midnights; rates are strings with exactly four decimals ("0.0375"); a nil
// pointer is a SQL NULL.

// CohortRetentionRow is one row of marts.cohort_retention (§3).
type CohortRetentionRow struct {
	Granularity    string    `json:"granularity"`  // "month" or "week"
	Cohort         time.Time `json:"cohort_start"` // the 1st of a month, or a Monday
	Offset         int       `json:"period_offset"`
	Period         time.Time `json:"period_start"`
	CohortSize     int64     `json:"cohort_size"`
	Active         int64     `json:"active_customers"`
	Rate           string    `json:"retention_rate"`
	PeriodComplete bool      `json:"period_complete"`
}

// CustomerLTV is one row of marts.customer_ltv (§4a).
type CustomerLTV struct {
	UserID         int64       `json:"user_id"`
	FirstOrderDate time.Time   `json:"first_order_date"`
	CohortMonth    time.Time   `json:"cohort_month"`
	Orders         int64       `json:"orders"`
	Revenue        money.Cents `json:"revenue"`
	// Revenue30, Revenue90 and Revenue365 are nil while the window has not
	// elapsed.
	Revenue30  *money.Cents `json:"revenue_30d"`
	Revenue90  *money.Cents `json:"revenue_90d"`
	Revenue365 *money.Cents `json:"revenue_365d"`
}

// CohortLTVRow is one row of marts.cohort_ltv (§4b).
type CohortLTVRow struct {
	CohortMonth      time.Time    `json:"cohort_month"`
	HorizonDays      int          `json:"horizon_days"` // 30, 90 or 365
	CohortCustomers  int64        `json:"cohort_customers"`
	MaturedCustomers int64        `json:"matured_customers"`
	Revenue          money.Cents  `json:"revenue"`
	AvgRevenue       *money.Cents `json:"avg_revenue"` // nil when MaturedCustomers = 0
}

// Conversion holds the counts and rates shared by the product and category
// conversion marts (§5).
type Conversion struct {
	ViewSessions     int64   `json:"view_sessions"`
	CartSessions     int64   `json:"cart_sessions"`
	PurchaseSessions int64   `json:"purchase_sessions"`
	ViewToCart       *string `json:"view_to_cart_rate"`     // nil when ViewSessions = 0
	ViewToPurchase   *string `json:"view_to_purchase_rate"` // nil when ViewSessions = 0
}

// ProductConversionRow is one row of marts.product_conversion (§5a).
type ProductConversionRow struct {
	Date      time.Time `json:"date"`
	ProductID int64     `json:"product_id"`
	Conversion
}

// CategoryConversionRow is one row of marts.category_conversion (§5b).
type CategoryConversionRow struct {
	Date     time.Time `json:"date"`
	Category string    `json:"category"` // core.products.category: lower(trim(source category))
	Conversion
}

// ReconciliationRow is one row of marts.purchase_reconciliation (§6).
type ReconciliationRow struct {
	Date                 time.Time `json:"date"`
	Orders               int64     `json:"orders"`
	TrackedOrders        int64     `json:"tracked_orders"`
	UntrackedOrders      int64     `json:"untracked_orders"`
	PurchaseEvents       int64     `json:"purchase_events"`
	OrphanPurchaseEvents int64     `json:"orphan_purchase_events"`
	TrackingLossRate     *string   `json:"tracking_loss_rate"` // nil when Orders = 0
}

// CohortRetention returns marts.cohort_retention as of the last Transform,
// sorted by (granularity, cohort, offset): every month row before every
// week row.
func (w *Warehouse) CohortRetention(ctx context.Context) ([]CohortRetentionRow, error) {
	var out []CohortRetentionRow
	err := w.readMart(ctx, "cohort_retention", func(rows *sql.Rows) error {
		var r CohortRetentionRow
		if err := rows.Scan(&r.Granularity, &r.Cohort, &r.Offset, &r.Period, &r.CohortSize, &r.Active,
			&r.Rate, &r.PeriodComplete); err != nil {
			return err
		}
		r.Cohort, r.Period = r.Cohort.UTC(), r.Period.UTC()
		out = append(out, r)
		return nil
	})
	return out, err
}

// CustomerLTV returns marts.customer_ltv as of the last Transform, sorted by
// user id.
func (w *Warehouse) CustomerLTV(ctx context.Context) ([]CustomerLTV, error) {
	var out []CustomerLTV
	err := w.readMart(ctx, "customer_ltv", func(rows *sql.Rows) error {
		var r CustomerLTV
		var revenue string
		var r30, r90, r365 sql.NullString
		if err := rows.Scan(&r.UserID, &r.FirstOrderDate, &r.CohortMonth, &r.Orders, &revenue, &r30, &r90, &r365); err != nil {
			return err
		}
		r.FirstOrderDate, r.CohortMonth = r.FirstOrderDate.UTC(), r.CohortMonth.UTC()
		var err error
		if r.Revenue, err = money.Parse(revenue); err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		for _, f := range []struct {
			s   sql.NullString
			dst **money.Cents
		}{{r30, &r.Revenue30}, {r90, &r.Revenue90}, {r365, &r.Revenue365}} {
			if *f.dst, err = nullMoney(f.s); err != nil {
				return fmt.Errorf("window revenue: %w", err)
			}
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// CohortLTV returns marts.cohort_ltv as of the last Transform, sorted by
// (cohort month, horizon).
func (w *Warehouse) CohortLTV(ctx context.Context) ([]CohortLTVRow, error) {
	var out []CohortLTVRow
	err := w.readMart(ctx, "cohort_ltv", func(rows *sql.Rows) error {
		var r CohortLTVRow
		var revenue string
		var avg sql.NullString
		if err := rows.Scan(&r.CohortMonth, &r.HorizonDays, &r.CohortCustomers, &r.MaturedCustomers, &revenue, &avg); err != nil {
			return err
		}
		r.CohortMonth = r.CohortMonth.UTC()
		var err error
		if r.Revenue, err = money.Parse(revenue); err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		if r.AvgRevenue, err = nullMoney(avg); err != nil {
			return fmt.Errorf("avg_revenue: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// ProductConversion returns marts.product_conversion as of the last
// Transform, sorted by (date, product id).
func (w *Warehouse) ProductConversion(ctx context.Context) ([]ProductConversionRow, error) {
	var out []ProductConversionRow
	err := w.readMart(ctx, "product_conversion", func(rows *sql.Rows) error {
		var r ProductConversionRow
		if err := rows.Scan(append([]any{&r.Date, &r.ProductID}, conversionDest(&r.Conversion)...)...); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		out = append(out, r)
		return nil
	})
	return out, err
}

// CategoryConversion returns marts.category_conversion as of the last
// Transform, sorted by (date, category), categories compared bytewise.
func (w *Warehouse) CategoryConversion(ctx context.Context) ([]CategoryConversionRow, error) {
	var out []CategoryConversionRow
	err := w.readMart(ctx, "category_conversion", func(rows *sql.Rows) error {
		var r CategoryConversionRow
		if err := rows.Scan(append([]any{&r.Date, &r.Category}, conversionDest(&r.Conversion)...)...); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		out = append(out, r)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if c := out[i].Date.Compare(out[j].Date); c != 0 {
			return c < 0
		}
		return strings.Compare(out[i].Category, out[j].Category) < 0
	})
	return out, err
}

// PurchaseReconciliation returns marts.purchase_reconciliation as of the
// last Transform, sorted by date.
func (w *Warehouse) PurchaseReconciliation(ctx context.Context) ([]ReconciliationRow, error) {
	var out []ReconciliationRow
	err := w.readMart(ctx, "purchase_reconciliation", func(rows *sql.Rows) error {
		var r ReconciliationRow
		var rate sql.NullString
		if err := rows.Scan(&r.Date, &r.Orders, &r.TrackedOrders, &r.UntrackedOrders, &r.PurchaseEvents,
			&r.OrphanPurchaseEvents, &rate); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		r.TrackingLossRate = nullText(rate)
		out = append(out, r)
		return nil
	})
	return out, err
}

// readMart runs queries/read_<mart>.sql and calls scan for every row. Its
// errors name the mart.
func (w *Warehouse) readMart(ctx context.Context, mart string, scan func(*sql.Rows) error) error {
	q, err := readSQL("queries/read_" + mart + ".sql")
	if err != nil {
		return err
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("read %s: %w", mart, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s: %w", mart, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", mart, err)
	}
	return nil
}

// conversionDest returns the Scan destinations of the Conversion columns
// (three counts, two nullable rates) that fill c.
func conversionDest(c *Conversion) []any {
	return []any{&c.ViewSessions, &c.CartSessions, &c.PurchaseSessions, nullRate{&c.ViewToCart}, nullRate{&c.ViewToPurchase}}
}

// nullRate scans a nullable rate rendered as text into a *string (nil for
// NULL).
type nullRate struct{ dst **string }

// Scan implements sql.Scanner.
func (n nullRate) Scan(v any) error {
	var s sql.NullString
	if err := s.Scan(v); err != nil {
		return err
	}
	*n.dst = nullText(s)
	return nil
}

// nullText returns the string of s, or nil for NULL.
func nullText(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// nullMoney parses a nullable amount rendered as text; nil for NULL.
func nullMoney(s sql.NullString) (*money.Cents, error) {
	if !s.Valid {
		return nil, nil
	}
	c, err := money.Parse(s.String)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
