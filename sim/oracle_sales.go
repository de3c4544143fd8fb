package sim

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// Sales holds the amounts shared by the product and category sales marts
// (docs/MARTS.md §12, §13): the amounts of RevenueDaily (§11), each on its
// own date, for one product or one category, and the date's rank by net
// sales.
type Sales struct {
	OrdersPlaced   int64
	UnitsSold      int64
	GrossSales     money.Cents
	CancelledUnits int64
	CancelledSales money.Cents
	RefundedUnits  int64
	Refunds        money.Cents
	NetUnits       int64       // UnitsSold - CancelledUnits - RefundedUnits
	NetSales       money.Cents // GrossSales - CancelledSales - Refunds
	NetSalesRank   int         // 1, 2, ... within the date: NetSales descending, then the key ascending
}

// ProductSalesRow is one row of marts.product_sales (docs/MARTS.md §12).
type ProductSalesRow struct {
	Date      time.Time // UTC midnight
	ProductID int64
	Category  string // CategoryKey(Product.Category)
	Sales
}

// CategorySalesRow is one row of marts.category_sales (docs/MARTS.md §13).
type CategorySalesRow struct {
	Date     time.Time // UTC midnight
	Category string    // CategoryKey(Product.Category)
	Sales
}

// ProductSales returns marts.product_sales (docs/MARTS.md §12):
// RevenueDaily by product, for every (UTC date, product) with a line
// placed, cancelled or refunded that day, sorted by (Date, ProductID),
// every order as the warehouse knows it (Observed), every line at the
// order's unit price (the product's price at the order's Date, as in
// OrderTotal):
//
//   - OrdersPlaced, UnitsSold, GrossSales: the orders whose Date falls on
//     the date (any status) with a line of the product, the line's
//     quantities and quantity × unit price;
//   - CancelledUnits, CancelledSales: the product's lines of the orders
//     cancelled, on the date they took the status;
//   - RefundedUnits, Refunds: the product's refunded lines, on their refund
//     date, at the order's unit price; a refund of a product the World does
//     not know is skipped, as RevenueDaily skips it;
//   - NetUnits, NetSales: sold less cancelled less refunded;
//   - NetSalesRank: the row's position within its date by NetSales
//     descending, ties by ProductID ascending (1, 2, 3 ... without gaps).
//
// Category is CategoryKey of the product's category, as the conversion
// marts report it. Summed over a date's products, the amounts are
// RevenueDaily's.
func (w *World) ProductSales() []ProductSalesRow {
	products, _ := w.salesTotals()
	out := make([]ProductSalesRow, 0, len(products))
	for k, s := range products {
		p, _ := w.product(k.id)
		out = append(out, ProductSalesRow{Date: k.date, ProductID: k.id, Category: CategoryKey(p.Category), Sales: s.withNet()})
	}
	slices.SortFunc(out, func(a, b ProductSalesRow) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		if c := cmp.Compare(b.NetSales, a.NetSales); c != 0 {
			return c
		}
		return cmp.Compare(a.ProductID, b.ProductID)
	})
	rankByDate(out, func(r *ProductSalesRow) (time.Time, *int) { return r.Date, &r.NetSalesRank })
	slices.SortFunc(out, func(a, b ProductSalesRow) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.ProductID, b.ProductID)
	})
	return out
}

// CategorySales returns marts.category_sales (docs/MARTS.md §13):
// ProductSales summed by (date, Category), sorted by (Date, Category) with
// categories compared bytewise, except OrdersPlaced: the orders whose Date
// falls on the date with at least one line of a product of the category,
// each counted once however many of its products share the category.
// NetSalesRank is the row's position within its date by NetSales
// descending, ties by Category ascending (bytewise).
func (w *World) CategorySales() []CategorySalesRow {
	_, categories := w.salesTotals()
	out := make([]CategorySalesRow, 0, len(categories))
	for k, s := range categories {
		out = append(out, CategorySalesRow{Date: k.date, Category: k.category, Sales: s.withNet()})
	}
	slices.SortFunc(out, func(a, b CategorySalesRow) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		if c := cmp.Compare(b.NetSales, a.NetSales); c != 0 {
			return c
		}
		return strings.Compare(a.Category, b.Category)
	})
	rankByDate(out, func(r *CategorySalesRow) (time.Time, *int) { return r.Date, &r.NetSalesRank })
	slices.SortFunc(out, func(a, b CategorySalesRow) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.Category, b.Category)
	})
	return out
}

// salesTotals makes one pass over w.Orders and adds every line placed,
// cancelled or refunded to its product's and its category's totals on the
// line's date (see ProductSales). An order counts once in OrdersPlaced per
// product and once per category.
func (w *World) salesTotals() (map[productDay]*Sales, map[categoryDay]*Sales) {
	products := make(map[productDay]*Sales)
	categories := make(map[categoryDay]*Sales)
	add := func(t time.Time, p *Product) (*Sales, *Sales) {
		d := w.day(t)
		pk, ck := productDay{d, p.ID}, categoryDay{d, CategoryKey(p.Category)}
		ps, ok := products[pk]
		if !ok {
			ps = &Sales{}
			products[pk] = ps
		}
		cs, ok := categories[ck]
		if !ok {
			cs = &Sales{}
			categories[ck] = cs
		}
		return ps, cs
	}
	obs := w.observer()
	for _, o := range w.Orders {
		status, since, refunds := obs.order(o)
		var seen []*Sales // the product and category rows o already counts in
		for _, l := range o.Lines {
			p, ok := w.product(l.ProductID)
			if !ok {
				panic(fmt.Sprintf("sim: order %d references unknown product %d", o.ID, l.ProductID))
			}
			price, _ := p.priceAt(o.Date)
			amount := money.Cents(l.Quantity) * price
			ps, cs := add(o.Date, p)
			for _, s := range []*Sales{ps, cs} {
				if !slices.Contains(seen, s) {
					seen = append(seen, s)
					s.OrdersPlaced++
				}
				s.UnitsSold += l.Quantity
				s.GrossSales += amount
			}
			if status == StatusCancelled {
				ps, cs := add(since, p)
				for _, s := range []*Sales{ps, cs} {
					s.CancelledUnits += l.Quantity
					s.CancelledSales += amount
				}
			}
		}
		for _, f := range refunds {
			p, ok := w.product(f.ProductID)
			if !ok {
				continue
			}
			price, _ := p.priceAt(o.Date)
			ps, cs := add(f.At, p)
			for _, s := range []*Sales{ps, cs} {
				s.RefundedUnits += f.Quantity
				s.Refunds += money.Cents(f.Quantity) * price
			}
		}
	}
	return products, categories
}

// withNet returns s with its net amounts computed.
func (s *Sales) withNet() Sales {
	out := *s
	out.NetUnits = out.UnitsSold - out.CancelledUnits - out.RefundedUnits
	out.NetSales = out.GrossSales - out.CancelledSales - out.Refunds
	return out
}

// rankByDate numbers rows 1, 2, ... within each date, in their order: rows
// sorted by date, then by rank order.
func rankByDate[R any](rows []R, key func(*R) (time.Time, *int)) {
	var last time.Time
	n := 0
	for i := range rows {
		d, rank := key(&rows[i])
		if i == 0 || !d.Equal(last) {
			last, n = d, 0
		}
		n++
		*rank = n
	}
}
