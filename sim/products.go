package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/internal/rng"
)

// Categories are FakeStore's four product categories, spelling included.
var Categories = []string{"men's clothing", "jewelery", "electronics", "women's clothing"}

// Product is one item of the catalogue, as FakeStore describes it, plus its
// life in the run: when it was listed, when it was withdrawn, and how its
// price changed. Use World.PriceAt or World.ProductsAsOf for the price in
// force at an instant.
type Product struct {
	ID          int64 // 1..Config.Products
	Title       string
	Price       money.Cents // > 0; the price at listing (at Start if listed before)
	Description string
	Category    string // one of Categories (or a hostile string, see Config.HostileRate)
	Image       string
	Rating      Rating

	// ListedAt is when the product appeared in the catalogue; zero means
	// listed since before Config.Start.
	ListedAt time.Time
	// WithdrawnAt is when the product left the catalogue (it is not listed
	// at or after it); nil means never.
	WithdrawnAt *time.Time
	// Prices are the price changes after listing, strictly ascending by
	// From; empty means the price is Price for the whole run. The price in
	// force at t is the last point with From <= t, or Price if none.
	Prices []PricePoint
	// PriceValidFrom is set only on the products World.ProductsAsOf returns:
	// when the price in force (Price) took effect, that is the From of the
	// last change at or before the instant, or ListedAt if the price never
	// changed since listing (zero: since before Config.Start). The FakeStore
	// server serves it as the extension field "priceValidFrom".
	PriceValidFrom time.Time
}

// PricePoint is one price change: from From on, the product costs Price.
type PricePoint struct {
	From  time.Time
	Price money.Cents
}

// priceAt returns the price of p in force at t, and when it took effect
// (ListedAt, possibly zero, if no change happened at or before t).
func (p *Product) priceAt(t time.Time) (money.Cents, time.Time) {
	i, _ := slices.BinarySearchFunc(p.Prices, t, func(pp PricePoint, t time.Time) int {
		if pp.From.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return p.Price, p.ListedAt
	}
	return p.Prices[i-1].Price, p.Prices[i-1].From
}

// listedAt reports whether p is in the catalogue at t.
func (p *Product) listedAt(t time.Time) bool {
	return !p.ListedAt.After(t) && (p.WithdrawnAt == nil || t.Before(*p.WithdrawnAt))
}

// Rating is FakeStore's product rating.
type Rating struct {
	Rate  float64 // 1.0..5.0, one decimal
	Count int
}

// HostileCategories are the category names a hostile product may carry
// instead of its category, one per entry of Categories (same index).
var HostileCategories = []string{
	`men's "clothing"\`,
	`jewelery'; DROP TABLE x; --`,
	"../electronics\x00\x00",
	"women's\tclothing \u202e\x1b[0m",
}

// priceRange is the range of whole currency units a category's prices fall in.
var priceRange = [4][2]int64{
	{5, 120},   // men's clothing
	{9, 700},   // jewelery
	{10, 1000}, // electronics
	{5, 120},   // women's clothing
}

// Funnel factors by category (index of Categories). browseWeight scales how
// often a category's products are viewed (electronics most); addFactor
// scales the chance that a view is added to the cart (clothing best,
// electronics, browsed for comparison, worst).
var (
	browseWeight = [4]float64{1.0, 0.7, 1.6, 1.2}
	addFactor    = [4]float64{1.15, 0.8, 0.7, 1.2}
)

// PAddPerView is the base chance that a viewed product is added to the cart,
// before the category's addFactor and the price factor (see priceFactor).
const PAddPerView = 0.14

// priceFactor scales the chance to add a product to the cart by its price:
// (30.00 / price)^0.35, within [0.35, 1.8]. A 5.00 item converts 1.9× (capped
// 1.8×) better than a 30.00 one, a 1,000.00 one 0.3× (floored 0.35×).
func priceFactor(p money.Cents) float64 {
	return min(1.8, max(0.35, math.Pow(3000/float64(max(p, 1)), 0.35)))
}

// priceEndings are the cents a price ends with; 0 makes integer prices such
// as FakeStore's 695.
var priceEndings = []int64{99, 99, 95, 50, 0, 0, 30}

// catalogue is the Generator's view of the products: the Products and, per
// product (index id-1), what sessions need.
type catalogue struct {
	products []Product
	cat      []uint8        // index of the base category in Categories
	weight   []float64      // view weight: browseWeight × popularity
	pAdd     []float64      // chance that a view is added to the cart, at listing price
	changes  int            // price changes over the run
	withdraw int            // products withdrawn during the run
	newly    int            // products listed during the run
	hostile  int            // products with a hostile title
	life     map[int64]bool // Unix ms of the midnights when a product is listed or withdrawn
}

// changesOn reports whether a product is listed or withdrawn at ms.
func (c *catalogue) changesOn(ms int64) bool { return c.life[ms] }

// generateProducts draws cfg.Products products. Text comes from gofakeit on
// "sim/products/text"; category, price, rating and popularity from
// "sim/products"; listing and withdrawal days from "sim/products/life"; price
// changes from "sim/products/prices"; hostile strings from
// "sim/products/hostile". Every stream is drawn the same way whatever the
// rates, so turning a rate on changes only what it governs.
func generateProducts(cfg Config) *catalogue {
	n := cfg.Products
	r := rng.New(cfg.Seed, "sim/products")
	f := gofakeit.NewFaker(rng.Source(cfg.Seed, "sim/products/text"), false)
	life := rng.New(cfg.Seed, "sim/products/life")
	prices := rng.New(cfg.Seed, "sim/products/prices")
	hostile := rng.New(cfg.Seed, "sim/products/hostile")
	c := &catalogue{
		products: make([]Product, n),
		cat:      make([]uint8, n),
		weight:   make([]float64, n),
		pAdd:     make([]float64, n),
		life:     map[int64]bool{},
	}
	weeks := float64(cfg.Days) / 7
	nNew := 0
	if cfg.Days > 1 {
		nNew = int(math.Round(cfg.NewProductShare * float64(n)))
	}
	pWithdraw := 1 - math.Pow(1-cfg.WithdrawRate, weeks)
	pChangeDay := cfg.PriceChangeRate / 7
	for i := range c.products {
		id := int64(i + 1)
		ci := r.IntN(len(Categories))
		pr := priceRange[ci]
		whole := pr[0] + r.Int64N(pr[1]-pr[0]+1)
		price := money.Cents(whole*100 + priceEndings[r.IntN(len(priceEndings))])
		p := Product{
			ID:          id,
			Title:       f.ProductName(),
			Price:       price,
			Description: f.ProductDescription(),
			Category:    Categories[ci],
			Image:       fmt.Sprintf("https://fakestore.shoplake.test/img/product-%d.jpg", id),
			Rating: Rating{
				Rate:  float64(10+r.IntN(41)) / 10,
				Count: r.IntN(700),
			},
		}
		// Popularity: log-normal, so a few products draw most views.
		pop := math.Exp(r.NormFloat64())

		// Life: listing day (for the last nNew ids), withdrawal day.
		firstDay := 0
		listDay := 1 + life.IntN(max(cfg.Days-1, 1))
		if i >= n-nNew {
			firstDay = listDay
			p.ListedAt = dayStart(cfg, listDay)
			c.life[p.ListedAt.UnixMilli()] = true
			c.newly++
		}
		wd := firstDay + 1 + life.IntN(max(cfg.Days-firstDay, 1))
		if life.Float64() < pWithdraw && wd < cfg.Days {
			p.WithdrawnAt = new(dayStart(cfg, wd))
			c.life[p.WithdrawnAt.UnixMilli()] = true
			c.withdraw++
		}

		// Price changes: geometric gaps in days, at most one per day.
		cur := price
		for d := firstDay; pChangeDay > 0; {
			d += geometric(prices, pChangeDay)
			if d >= cfg.Days || p.WithdrawnAt != nil && !dayStart(cfg, d).Before(*p.WithdrawnAt) {
				break
			}
			cur = changePrice(prices, cur)
			p.Prices = append(p.Prices, PricePoint{From: dayStart(cfg, d), Price: cur})
			c.changes++
		}

		// Hostile strings.
		if hostile.Float64() < cfg.HostileRate {
			p.Title = HostileString(hostile)
			if hostile.IntN(3) == 0 {
				p.Category = HostileCategories[ci]
			}
			c.hostile++
		}

		c.products[i] = p
		c.cat[i] = uint8(ci)
		c.weight[i] = browseWeight[ci] * pop
		c.pAdd[i] = PAddPerView * addFactor[ci] * priceFactor(price)
	}
	return c
}

// dayStart returns 00:00 UTC of day d (0-based) of the run.
func dayStart(cfg Config, d int) time.Time {
	return cfg.Start.Add(time.Duration(d) * 24 * time.Hour)
}

// geometric draws the number of trials up to and including the first
// success of chance p (1, 2, ...).
func geometric(r *rand.Rand, p float64) int {
	if p >= 1 {
		return 1
	}
	u := 1 - r.Float64() // (0, 1]
	k := math.Floor(math.Log(u)/math.Log1p(-p)) + 1
	if k > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(k)
}

// changePrice draws a new price within -30%..+20% of old, rounded to a
// whole unit plus one of priceEndings, at least 1.00 and never equal to old.
func changePrice(r *rand.Rand, old money.Cents) money.Cents {
	f := 0.70 + 0.50*r.Float64()
	whole := max(1, int64(float64(old)*f/100))
	p := money.Cents(whole*100 + priceEndings[r.IntN(len(priceEndings))])
	if p == old {
		p += 100
	}
	return p
}
