package sim

import (
	"slices"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// PriceAt returns the price of product id in force at t: the last of its
// Prices with From <= t, or its Price if none. It returns false if the World
// has no such product or the product was not yet listed at t. A withdrawn
// product keeps its last price (orders before the withdrawal still use it).
func (w *World) PriceAt(id int64, t time.Time) (money.Cents, bool) {
	p, ok := w.product(id)
	if !ok || p.ListedAt.After(t) {
		return 0, false
	}
	price, _ := p.priceAt(t)
	return price, true
}

// ProductsAsOf returns the products listed at t (ListedAt <= t and not
// withdrawn at or before t), sorted by ID. Each is a copy with Price set to
// the price in force at t, PriceValidFrom to when that price took effect, and
// Prices cut to the changes at or before t (the slice shares the World's
// backing array and must not be modified).
func (w *World) ProductsAsOf(t time.Time) []Product {
	out := make([]Product, 0, len(w.Products))
	for i := range w.Products {
		p := w.Products[i]
		if !p.listedAt(t) {
			continue
		}
		price, from := p.priceAt(t)
		n := 0
		for n < len(p.Prices) && !p.Prices[n].From.After(t) {
			n++
		}
		p.Prices = p.Prices[:n:n]
		if n == 0 {
			p.Prices = nil
		}
		p.Price, p.PriceValidFrom = price, from
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Product) int { return compareInt64(a.ID, b.ID) })
	return out
}

// UsersAsOf returns the users with CreatedAt <= t, sorted by ID. The slice
// is new; the users are copies.
func (w *World) UsersAsOf(t time.Time) []User {
	if w.derive == nil {
		out := make([]User, 0, len(w.Users))
		for _, u := range w.Users {
			if !u.CreatedAt.After(t) {
				out = append(out, u)
			}
		}
		slices.SortFunc(out, func(a, b User) int { return compareInt64(a.ID, b.ID) })
		return out
	}
	ids := w.userIDsAsOf(t)
	out := make([]User, 0, len(ids))
	for _, id := range ids {
		u, _ := w.User(id)
		out = append(out, u)
	}
	return out
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
