package sim

import (
	"cmp"
	"github.com/shoplake/shoplake/internal/clean"
	"slices"
	"strings"
	"time"

	"github.com/shoplake/shoplake/stream"
)

// Conversion holds the counts and rates shared by the product and category
// conversion marts (docs/MARTS.md §5).
type Conversion struct {
	ViewSessions     int64
	CartSessions     int64
	PurchaseSessions int64
	ViewToCart       *string // CartSessions/ViewSessions, "0.1234"; nil when ViewSessions = 0
	ViewToPurchase   *string // PurchaseSessions/ViewSessions; nil when ViewSessions = 0
}

// ProductConversionRow is one row of marts.product_conversion
// (docs/MARTS.md §5a).
type ProductConversionRow struct {
	Date      time.Time // UTC midnight: the sessions' date
	ProductID int64
	Conversion
}

// CategoryConversionRow is one row of marts.category_conversion
// (docs/MARTS.md §5b).
type CategoryConversionRow struct {
	Date     time.Time // UTC midnight: the sessions' date
	Category string    // Product.Category normalized: see CategoryKey
	Conversion
}

// ProductConversion returns marts.product_conversion (docs/MARTS.md §5a):
// for every (session date, product) with at least one session that viewed,
// carted or purchased the product, the number of such sessions of each kind,
// sorted by (Date, ProductID). Per session and product:
//
//   - viewed: at least one product_view of it (twice counts once);
//   - carted: at least one add_to_cart of it, viewed or not;
//   - purchased: a purchase event whose order_id names an order of the
//     World (any status) with a line of it; a purchase event naming no
//     order attributes nothing, nor does an order whose event is missing.
//
// A session counts on its date (UTC date of its earliest event). Product ids
// missing from w.Products count nowhere. Rates are counts/ViewSessions
// rounded half away from zero to 4 decimals, nil when ViewSessions = 0.
func (w *World) ProductConversion() []ProductConversionRow {
	products, _ := w.conversionCounts()
	keys := make([]productDay, 0, len(products))
	for k := range products {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b productDay) int {
		if c := a.date.Compare(b.date); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]ProductConversionRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, ProductConversionRow{Date: k.date, ProductID: k.id, Conversion: products[k].withRates()})
	}
	return out
}

// CategoryConversion returns marts.category_conversion (docs/MARTS.md §5b):
// the same counts as ProductConversion by (session date,
// CategoryKey(product's category)), a session counting once per category however many of its products it
// touched, sorted by (Date, Category) with categories compared bytewise.
func (w *World) CategoryConversion() []CategoryConversionRow {
	_, categories := w.conversionCounts()
	keys := make([]categoryDay, 0, len(categories))
	for k := range categories {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b categoryDay) int {
		if c := a.date.Compare(b.date); c != 0 {
			return c
		}
		return strings.Compare(a.category, b.category)
	})
	out := make([]CategoryConversionRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, CategoryConversionRow{Date: k.date, Category: k.category, Conversion: categories[k].withRates()})
	}
	return out
}

type productDay struct {
	date time.Time
	id   int64
}

type categoryDay struct {
	date     time.Time
	category string
}

// The three things a session can do with a product, indexes of
// sessionProducts.ids.
const (
	convViewed = iota
	convCarted
	convPurchased
)

// sessionProducts is what one session did with products.
type sessionProducts struct {
	first time.Time
	ids   [3][]int64 // product ids viewed, carted, purchased; with repeats
}

// conversionCounts makes one pass over w.Events, grouping them by session,
// then counts each session once per (product, behaviour) and once per
// (category, behaviour). The events may be in any order.
func (w *World) conversionCounts() (map[productDay]*Conversion, map[categoryDay]*Conversion) {
	orders := make(map[int64]*Order, len(w.Orders))
	for i := range w.Orders {
		orders[w.Orders[i].ID] = &w.Orders[i]
	}
	sessions := make(map[string]*sessionProducts)
	for i := range w.events() {
		e := &w.Events[i]
		s, ok := sessions[e.SessionID]
		if !ok {
			s = &sessionProducts{first: e.EventTime}
			sessions[e.SessionID] = s
		}
		if e.EventTime.Before(s.first) {
			s.first = e.EventTime
		}
		switch {
		case e.EventType == stream.ProductView && e.ProductID != nil:
			s.ids[convViewed] = append(s.ids[convViewed], *e.ProductID)
		case e.EventType == stream.AddToCart && e.ProductID != nil:
			s.ids[convCarted] = append(s.ids[convCarted], *e.ProductID)
		case e.EventType == stream.Purchase && e.OrderID != nil:
			if o, ok := orders[*e.OrderID]; ok {
				for _, l := range o.Lines {
					s.ids[convPurchased] = append(s.ids[convPurchased], l.ProductID)
				}
			}
		}
	}

	catalogue := make(map[int64]*Product, len(w.Products))
	for i := range w.Products {
		catalogue[w.Products[i].ID] = &w.Products[i]
	}
	products := make(map[productDay]*Conversion)
	categories := make(map[categoryDay]*Conversion)
	var cats []string
	for _, s := range sessions {
		date := w.day(s.first)
		for b, ids := range s.ids {
			slices.Sort(ids)
			ids = slices.Compact(ids)
			cats = cats[:0]
			for _, id := range ids {
				p, ok := catalogue[id]
				if !ok {
					continue
				}
				k := productDay{date, id}
				c, ok := products[k]
				if !ok {
					c = &Conversion{}
					products[k] = c
				}
				c.add(b)
				cats = append(cats, CategoryKey(p.Category))
			}
			slices.Sort(cats)
			for _, cat := range slices.Compact(cats) {
				k := categoryDay{date, cat}
				c, ok := categories[k]
				if !ok {
					c = &Conversion{}
					categories[k] = c
				}
				c.add(b)
			}
		}
	}
	return products, categories
}

// CategoryKey is the category under which the category conversion mart
// counts a product (docs/MARTS.md §5): its category with leading and
// trailing ASCII spaces removed and lower-cased, as CORE stores it
// (lower(trim(category))). Every other byte is kept: a hostile category is
// data, not an error.
func CategoryKey(category string) string {
	key, _ := clean.Category(category)
	return key
}

// add counts one more session doing b.
func (c *Conversion) add(b int) {
	switch b {
	case convViewed:
		c.ViewSessions++
	case convCarted:
		c.CartSessions++
	case convPurchased:
		c.PurchaseSessions++
	}
}

// withRates returns c with its rates computed from its counts.
func (c *Conversion) withRates() Conversion {
	out := *c
	if out.ViewSessions > 0 {
		out.ViewToCart = new(ratio4(out.CartSessions, out.ViewSessions))
		out.ViewToPurchase = new(ratio4(out.PurchaseSessions, out.ViewSessions))
	}
	return out
}
