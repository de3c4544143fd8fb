package sim

import (
	"fmt"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/internal/rng"
)

// Categories are FakeStore's four product categories, spelling included.
var Categories = []string{"men's clothing", "jewelery", "electronics", "women's clothing"}

// Product is one item of the catalogue, as FakeStore describes it. Prices are
// constant over a run.
type Product struct {
	ID          int64 // 1..Config.Products
	Title       string
	Price       money.Cents // > 0
	Description string
	Category    string // one of Categories
	Image       string
	Rating      Rating
}

// Rating is FakeStore's product rating.
type Rating struct {
	Rate  float64 // 1.0..5.0, one decimal
	Count int
}

// priceRange is the range of whole currency units a category's prices fall in.
var priceRange = map[string][2]int64{
	"men's clothing":   {5, 120},
	"women's clothing": {5, 120},
	"jewelery":         {9, 700},
	"electronics":      {10, 1000},
}

// priceEndings are the cents a price ends with; 0 makes integer prices such
// as FakeStore's 695.
var priceEndings = []int64{99, 99, 95, 50, 0, 0, 30}

// generateProducts draws n products from the "sim/products" stream.
func generateProducts(seed uint64, n int) []Product {
	r := rng.New(seed, "sim/products")
	f := gofakeit.NewFaker(rng.Source(seed, "sim/products/text"), false)
	out := make([]Product, n)
	for i := range out {
		id := int64(i + 1)
		cat := Categories[r.IntN(len(Categories))]
		pr := priceRange[cat]
		whole := pr[0] + r.Int64N(pr[1]-pr[0]+1)
		cents := whole*100 + priceEndings[r.IntN(len(priceEndings))]
		out[i] = Product{
			ID:          id,
			Title:       f.ProductName(),
			Price:       money.Cents(cents),
			Description: f.ProductDescription(),
			Category:    cat,
			Image:       fmt.Sprintf("https://fakestore.shoplake.test/img/product-%d.jpg", id),
			Rating: Rating{
				Rate:  float64(10+r.IntN(41)) / 10,
				Count: r.IntN(700),
			},
		}
	}
	return out
}
