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

// ProductTotal is marts.product_sales summed over its dates for one
// product: what a "top products" table shows for a range of days.
type ProductTotal struct {
	ProductID int64  `json:"product_id"`
	Category  string `json:"category"` // of the product's earliest row; "" when missing
	// Sales holds the sums of the product's rows; NetSalesRank is its rank
	// among the totals (1, 2, ... by NetSales descending, ties by product
	// id).
	Sales
}

// CategoryTotal is marts.category_sales summed over its dates for one
// category.
type CategoryTotal struct {
	Category string `json:"category"`
	// Sales holds the sums of the category's rows; NetSalesRank is its
	// rank among the totals (by NetSales descending, ties by category,
	// bytewise).
	Sales
}

// TopProducts sums rows (marts.product_sales, any dates) by product and
// returns the first n by net sales, ranked; every product when n <= 0.
func TopProducts(rows []ProductSalesRow, n int) []ProductTotal {
	by := map[int64]*ProductTotal{}
	var out []*ProductTotal
	for _, r := range rows {
		p, ok := by[r.ProductID]
		if !ok {
			p = &ProductTotal{ProductID: r.ProductID, Category: r.Category}
			by[r.ProductID] = p
			out = append(out, p)
		}
		p.Sales.add(r.Sales)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].NetSales != out[j].NetSales {
			return out[i].NetSales > out[j].NetSales
		}
		return out[i].ProductID < out[j].ProductID
	})
	return ranked(out, n, func(p *ProductTotal) *Sales { return &p.Sales })
}

// TopCategories sums rows (marts.category_sales, any dates) by category
// and returns the first n by net sales, ranked; every category when n <= 0.
func TopCategories(rows []CategorySalesRow, n int) []CategoryTotal {
	by := map[string]*CategoryTotal{}
	var out []*CategoryTotal
	for _, r := range rows {
		c, ok := by[r.Category]
		if !ok {
			c = &CategoryTotal{Category: r.Category}
			by[r.Category] = c
			out = append(out, c)
		}
		c.Sales.add(r.Sales)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].NetSales != out[j].NetSales {
			return out[i].NetSales > out[j].NetSales
		}
		return strings.Compare(out[i].Category, out[j].Category) < 0
	})
	return ranked(out, n, func(c *CategoryTotal) *Sales { return &c.Sales })
}

// ranked returns the first n of sorted (all when n <= 0), each with its
// rank set from 1.
func ranked[T any](sorted []*T, n int, sales func(*T) *Sales) []T {
	if n <= 0 || n > len(sorted) {
		n = len(sorted)
	}
	out := make([]T, n)
	for i := range out {
		sales(sorted[i]).NetSalesRank = i + 1
		out[i] = *sorted[i]
	}
	return out
}

// add adds the counts and amounts of o to s (not its rank).
func (s *Sales) add(o Sales) {
	s.OrdersPlaced += o.OrdersPlaced
	s.UnitsSold += o.UnitsSold
	s.GrossSales += o.GrossSales
	s.CancelledUnits += o.CancelledUnits
	s.CancelledSales += o.CancelledSales
	s.RefundedUnits += o.RefundedUnits
	s.Refunds += o.Refunds
	s.NetUnits += o.NetUnits
	s.NetSales += o.NetSales
}
