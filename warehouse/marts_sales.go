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

// Sales holds the amounts shared by the product and category sales marts
// (docs/MARTS.md §12, §13): marts.revenue_daily's amounts (§11), each on
// its own date, for one product or category, and the date's rank by net
// sales. Field names follow sim.Sales.
type Sales struct {
	OrdersPlaced   int64       `json:"orders_placed"`
	UnitsSold      int64       `json:"units_sold"`
	GrossSales     money.Cents `json:"gross_sales"`
	CancelledUnits int64       `json:"cancelled_units"`
	CancelledSales money.Cents `json:"cancelled_sales"`
	RefundedUnits  int64       `json:"refunded_units"`
	Refunds        money.Cents `json:"refunds"`
	NetUnits       int64       `json:"net_units"`      // UnitsSold - CancelledUnits - RefundedUnits
	NetSales       money.Cents `json:"net_sales"`      // GrossSales - CancelledSales - Refunds
	NetSalesRank   int         `json:"net_sales_rank"` // 1, 2, ... within the date by NetSales descending
}

// ProductSalesRow is one row of marts.product_sales (§12).
type ProductSalesRow struct {
	Date      time.Time `json:"date"` // UTC midnight
	ProductID int64     `json:"product_id"`
	Category  string    `json:"category"` // core.products.category; "" when missing
	Sales
}

// CategorySalesRow is one row of marts.category_sales (§13).
type CategorySalesRow struct {
	Date     time.Time `json:"date"` // UTC midnight
	Category string    `json:"category"`
	Sales
}

// ProductSales returns marts.product_sales as of the last Transform, sorted
// by (date, product id).
func (w *Warehouse) ProductSales(ctx context.Context) ([]ProductSalesRow, error) {
	var out []ProductSalesRow
	err := w.readMart(ctx, "product_sales", func(rows *sql.Rows) error {
		var r ProductSalesRow
		var s salesText
		if err := rows.Scan(append([]any{&r.Date, &r.ProductID, &r.Category}, s.dest(&r.Sales)...)...); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		if err := s.parse(&r.Sales); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// CategorySales returns marts.category_sales as of the last Transform,
// sorted by (date, category), categories compared bytewise.
func (w *Warehouse) CategorySales(ctx context.Context) ([]CategorySalesRow, error) {
	var out []CategorySalesRow
	err := w.readMart(ctx, "category_sales", func(rows *sql.Rows) error {
		var r CategorySalesRow
		var s salesText
		if err := rows.Scan(append([]any{&r.Date, &r.Category}, s.dest(&r.Sales)...)...); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		if err := s.parse(&r.Sales); err != nil {
			return err
		}
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

// salesText holds the amounts of a Sales row as the read query renders
// them (decimal text), until parse.
type salesText struct{ gross, cancelled, refunds, net string }

// dest returns the Scan destinations of the Sales columns, in table order:
// counts into s, amounts into t.
func (t *salesText) dest(s *Sales) []any {
	return []any{&s.OrdersPlaced, &s.UnitsSold, &t.gross, &s.CancelledUnits, &t.cancelled,
		&s.RefundedUnits, &t.refunds, &s.NetUnits, &t.net, &s.NetSalesRank}
}

// parse sets the amounts of s from t.
func (t *salesText) parse(s *Sales) error {
	for _, m := range []struct {
		name string
		text string
		dst  *money.Cents
	}{{"gross_sales", t.gross, &s.GrossSales}, {"cancelled_sales", t.cancelled, &s.CancelledSales},
		{"refunds", t.refunds, &s.Refunds}, {"net_sales", t.net, &s.NetSales}} {
		c, err := money.Parse(m.text)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		*m.dst = c
	}
	return nil
}
