package warehouse_test

import (
	"sort"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// pricedProduct is a products snapshot row with the simulator's
// "priceValidFrom" extension; nil leaves the field out, as the real
// FakeStore does.
type pricedProduct struct {
	ID             int64   `json:"id"`
	Title          string  `json:"title"`
	Price          float64 `json:"price"`
	Category       string  `json:"category"`
	PriceValidFrom *string `json:"priceValidFrom,omitempty"`
}

func from(s string) *string { return &s }

// simPricesSource serves snapshots the way the pipeline takes them from the
// simulator: the snapshot of logical date D at D+1 00:05, so a price change
// at the midnight that ends D is already in D's snapshot, with its
// priceValidFrom.
func simPricesSource(tb testing.TB) *memSource {
	tb.Helper()
	src := newMemSource()
	src.putJSON(tb, "products", "2026-01-05", []pricedProduct{
		{1, "Lamp", 10, "home", nil}, // in force since before the source's history
		{2, "Mug", 5, "kitchen", nil},
	})
	src.putJSON(tb, "products", "2026-01-06", []pricedProduct{
		{1, "Lamp", 12, "home", from("2026-01-07T00:00:00.000Z")}, // changes at the end of 01-06
		{2, "Mug", 5, "kitchen", nil},
	})
	src.putJSON(tb, "products", "2026-01-07", []pricedProduct{
		{1, "Lamp", 12, "home", from("2026-01-07T00:00:00.000Z")},
		// 2 is withdrawn at 2026-01-08 00:00; 3 is listed then.
		{3, "Chair", 7, "home", from("2026-01-08T00:00:00.000Z")},
	})
	src.putJSON(tb, "products", "2026-01-08", []pricedProduct{
		{1, "Lamp", 10, "home", from("2026-01-09T00:00:00.000Z")}, // back to 10.00
		{3, "Chair", 7, "home", from("2026-01-08T00:00:00.000Z")},
	})
	src.putJSON(tb, "carts", "2026-01-09", []cart{
		{ID: 1, UserID: 1, Date: "2026-01-04T12:00:00.000Z", Products: []cartLine{{1, 1}}}, // before every version: the earliest
		{ID: 2, UserID: 1, Date: "2026-01-06T23:59:59.999Z", Products: []cartLine{{1, 1}}}, // 10.00
		{ID: 3, UserID: 2, Date: "2026-01-07T00:00:00.000Z", Products: []cartLine{{1, 2}}}, // 12.00
		{ID: 4, UserID: 2, Date: "2026-01-09T10:00:00.000Z", Products: []cartLine{{1, 1}, {3, 1}}},
		{ID: 5, UserID: 3, Date: "2026-01-07T20:00:00.000Z", Products: []cartLine{{2, 3}}}, // before the withdrawal
	})
	return src
}

// fakestorePricesSource is the real FakeStore's shape: no priceValidFrom, so
// a version starts at the date of the snapshot that first shows its price.
func fakestorePricesSource(tb testing.TB) *memSource {
	tb.Helper()
	src := newMemSource()
	src.putJSON(tb, "products", "2026-03-01", []pricedProduct{{1, "Lamp", 10, "home", nil}})
	src.putJSON(tb, "products", "2026-03-02", []pricedProduct{{1, "Lamp", 10, "home", nil}})
	src.putJSON(tb, "products", "2026-03-03", []pricedProduct{{1, "Lamp", 11.5, "home", nil}})
	src.putJSON(tb, "products", "2026-03-04", []pricedProduct{{1, "Lamp", 10, "home", nil}})
	src.putJSON(tb, "carts", "2026-03-04", []cart{
		{ID: 1, UserID: 1, Date: "2026-03-02T23:00:00.000Z", Products: []cartLine{{1, 1}}}, // 10.00
		{ID: 2, UserID: 1, Date: "2026-03-03T00:00:00.000Z", Products: []cartLine{{1, 1}}}, // 11.50
		{ID: 3, UserID: 1, Date: "2026-03-04T08:00:00.000Z", Products: []cartLine{{1, 1}}}, // 10.00
	})
	return src
}

func TestWarehouse_ProductPrices(t *testing.T) {
	versions := func(tb testing.TB, w *warehouse.Warehouse) string {
		tb.Helper()
		return joinRows(queryStrings(tb, w, `SELECT CAST(product_id AS VARCHAR), CAST(price AS VARCHAR),
			CAST(valid_from AS VARCHAR), COALESCE(CAST(valid_to AS VARCHAR), 'open')
			FROM core.product_prices ORDER BY product_id, valid_from`))
	}
	lines := func(tb testing.TB, w *warehouse.Warehouse) string {
		tb.Helper()
		return joinRows(queryStrings(tb, w, `SELECT order_item_id, CAST(unit_price AS VARCHAR)
			FROM core.order_items ORDER BY order_item_id`))
	}

	t.Run("PriceValidFrom", func(t *testing.T) {
		w := openTest(t)
		mustLoad(t, w, simPricesSource(t))
		st := mustTransform(t, w)
		if got, want := st.Core["core.product_prices"], (warehouse.MergeStats{Inserted: 5}); got != want {
			t.Errorf("core.product_prices stats = %+v, want %+v", got, want)
		}
		want := "1|10.00|2026-01-05 00:00:00|2026-01-07 00:00:00\n" +
			"1|12.00|2026-01-07 00:00:00|2026-01-09 00:00:00\n" +
			"1|10.00|2026-01-09 00:00:00|open\n" +
			"2|5.00|2026-01-05 00:00:00|open\n" + // withdrawn: its last price stays in force
			"3|7.00|2026-01-08 00:00:00|open\n"
		if got := versions(t, w); got != want {
			t.Fatalf("core.product_prices:\n%s\nwant:\n%s", got, want)
		}
		want = "1:1|10.00\n2:1|10.00\n3:1|12.00\n4:1|10.00\n4:2|7.00\n5:1|5.00\n"
		if got := lines(t, w); got != want {
			t.Fatalf("core.order_items:\n%s\nwant:\n%s", got, want)
		}
		got := joinRows(queryStrings(t, w, `SELECT CAST(order_id AS VARCHAR), CAST(order_total AS VARCHAR) FROM core.orders ORDER BY order_id`))
		if want := "1|10.00\n2|10.00\n3|24.00\n4|17.00\n5|15.00\n"; got != want {
			t.Fatalf("core.orders:\n%s\nwant:\n%s", got, want)
		}

		// A second run changes nothing.
		st = mustTransform(t, w)
		if got, want := st.Core["core.product_prices"], (warehouse.MergeStats{Unchanged: 5}); got != want {
			t.Errorf("second run: core.product_prices stats = %+v, want %+v", got, want)
		}
	})

	t.Run("FakeStoreFallsBackToSnapshotDate", func(t *testing.T) {
		w := openTest(t)
		mustLoad(t, w, fakestorePricesSource(t))
		mustTransform(t, w)
		want := "1|10.00|2026-03-01 00:00:00|2026-03-03 00:00:00\n" +
			"1|11.50|2026-03-03 00:00:00|2026-03-04 00:00:00\n" +
			"1|10.00|2026-03-04 00:00:00|open\n"
		if got := versions(t, w); got != want {
			t.Fatalf("core.product_prices:\n%s\nwant:\n%s", got, want)
		}
		if got, want := lines(t, w), "1:1|10.00\n2:1|11.50\n3:1|10.00\n"; got != want {
			t.Fatalf("core.order_items:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("Fixtures", func(t *testing.T) {
		// The real FakeStore's products, one snapshot: one open version per
		// product from the snapshot date, integer and decimal prices alike.
		w := openTest(t)
		src, _ := fixtureSource(t)
		mustLoad(t, w, src)
		mustTransform(t, w)
		got := queryStrings(t, w, `SELECT CAST(count(*) AS VARCHAR), CAST(count(DISTINCT product_id) AS VARCHAR),
			CAST(count(valid_to) AS VARCHAR) FROM core.product_prices`)
		products := queryStrings(t, w, `SELECT CAST(count(*) AS VARCHAR) FROM core.products`)
		if got[0][0] != products[0][0] || got[0][1] != products[0][0] || got[0][2] != "0" {
			t.Fatalf("core.product_prices: %v rows/products/closed versions, core.products has %s rows", got[0], products[0][0])
		}
		mismatched := queryStrings(t, w, `SELECT CAST(count(*) AS VARCHAR) FROM core.products AS p
			JOIN core.product_prices AS v ON v.product_id = p.product_id WHERE v.price <> p.price`)
		if mismatched[0][0] != "0" {
			t.Fatalf("%s products have a price history that disagrees with core.products", mismatched[0][0])
		}
	})

	t.Run("LateSnapshotsGiveTheSameHistory", func(t *testing.T) {
		// The snapshots loaded newest first, one per run: each run rebuilds
		// the history (versions split, close and reopen), and the end state
		// equals a single run's.
		src := simPricesSource(t)
		all := openTest(t)
		mustLoad(t, all, src)
		mustTransform(t, all)

		var keys []string
		for k := range src.objects {
			keys = append(keys, k)
		}
		sort.Sort(sort.Reverse(sort.StringSlice(keys)))
		w := openTest(t)
		for _, k := range keys {
			mustLoad(t, w, src.subset(k))
			mustTransform(t, w)
		}
		if got, want := versions(t, w), versions(t, all); got != want {
			t.Fatalf("core.product_prices after late snapshots:\n%s\nwant:\n%s", got, want)
		}
		if got, want := lines(t, w), lines(t, all); got != want {
			t.Fatalf("core.order_items after late snapshots:\n%s\nwant:\n%s", got, want)
		}
		if got, want := mustHashes(t, w), mustHashes(t, all); !equalHashes(got, want) {
			t.Fatalf("table hashes differ:\n%v\nwant:\n%v", got, want)
		}
	})
}
