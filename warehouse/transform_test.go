package warehouse_test

import (
	"sort"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// product is a FakeStore product for handmade snapshots.
type product struct {
	ID       int64   `json:"id"`
	Title    string  `json:"title"`
	Price    float64 `json:"price"` // a JSON number, as the API serves it
	Category string  `json:"category"`
}

// cart is a FakeStore cart for handmade snapshots.
type cart struct {
	ID       int64      `json:"id"`
	UserID   int64      `json:"userId"`
	Date     string     `json:"date"`
	Status   string     `json:"status,omitempty"`
	Products []cartLine `json:"products"`
}

type cartLine struct {
	ProductID int64 `json:"productId"`
	Quantity  int64 `json:"quantity"`
}

// historySource has two products snapshots and carts priced across them.
func historySource(tb testing.TB) *memSource {
	tb.Helper()
	src := newMemSource()
	src.putJSON(tb, "products", "2026-01-01", []product{
		{1, "Lamp", 10, " Home "}, {2, "Mug", 3.5, "KITCHEN"}, {3, "Chair", 40.25, "home"},
	})
	src.putJSON(tb, "products", "2026-02-01", []product{
		{1, "Lamp", 10, "home"}, {2, "Mug v2", 4.75, "kitchen"}, // 3 is gone
	})
	src.putJSON(tb, "carts", "2026-02-15", []cart{
		{ID: 10, UserID: 1, Date: "2025-12-31T23:59:59.000Z", Products: []cartLine{{2, 1}}},         // before every snapshot: earliest
		{ID: 11, UserID: 1, Date: "2026-01-31T23:59:59.999Z", Products: []cartLine{{2, 2}, {3, 1}}}, // 2026-01-01 snapshot
		{ID: 12, UserID: 2, Date: "2026-02-01T00:00:00.000Z", Products: []cartLine{{2, 1}, {1, 3}}}, // 2026-02-01 snapshot
		{ID: 13, UserID: 2, Date: "2026-02-10T08:00:00.000Z", Status: "cancelled", Products: []cartLine{{3, 1}}},
		{ID: 14, UserID: 3, Date: "2026-02-11T08:00:00.000Z"}, // no lines
	})
	src.putEvents(tb, "2026-02-01", "10", "clicks-0-1-3", records(tb,
		ev{id: "e1", typ: "page_view", session: "s1", at: "2026-02-01T10:00:00Z", seq: "1"},
		ev{id: "e2", typ: "product_view", session: "s1", at: "2026-02-01T10:00:01Z", product: 1, seq: "2"},
		ev{id: "e3", typ: "add_to_cart", session: "s1", at: "2026-02-01T10:00:02Z", product: 1, seq: "3"},
	))
	src.putEvents(tb, "2026-02-01", "11", "clicks-0-2-10", records(tb,
		// e2 again, delivered later (a replay): the first copy wins.
		ev{id: "e2", typ: "product_view", session: "s1", at: "2026-02-01T10:00:01Z", product: 1,
			ingest: "2026-02-01T11:00:00Z", seq: "10"},
		ev{id: "e4", typ: "purchase", session: "s1", at: "2026-02-01T10:00:03Z", order: 12, seq: "9"},
	))
	return src
}

func TestWarehouse_Transform(t *testing.T) {
	t.Run("PriceHistoryAndInactive", func(t *testing.T) {
		w := openTest(t)
		mustLoad(t, w, historySource(t))
		st := mustTransform(t, w)
		if got, want := st.Core["core.products"], (warehouse.MergeStats{Inserted: 3}); got != want {
			t.Errorf("core.products stats = %+v, want %+v", got, want)
		}

		got := joinRows(queryStrings(t, w, `SELECT CAST(product_id AS VARCHAR), name, category, CAST(price AS VARCHAR),
			CAST(is_active AS VARCHAR), CAST(created_at AS VARCHAR) FROM core.products ORDER BY product_id`))
		want := "1|Lamp|home|10.00|true|2026-01-01 00:00:00\n" +
			"2|Mug v2|kitchen|4.75|true|2026-01-01 00:00:00\n" +
			"3|Chair|home|40.25|false|2026-01-01 00:00:00\n"
		if got != want {
			t.Fatalf("core.products:\n%s\nwant:\n%s", got, want)
		}

		got = joinRows(queryStrings(t, w, `SELECT order_item_id, CAST(quantity AS VARCHAR), CAST(unit_price AS VARCHAR)
			FROM core.order_items ORDER BY order_item_id`))
		want = "10:1|1|3.50\n" + // before the first snapshot: the earliest one
			"11:1|2|3.50\n11:2|1|40.25\n" + // 2026-01-31: the 2026-01-01 snapshot
			"12:1|1|4.75\n12:2|3|10.00\n" + // 2026-02-01: that day's snapshot
			"13:1|1|40.25\n" // product 3 is inactive now; its last known price
		if got != want {
			t.Fatalf("core.order_items:\n%s\nwant:\n%s", got, want)
		}

		got = joinRows(queryStrings(t, w, `SELECT CAST(order_id AS VARCHAR), order_status, CAST(order_total AS VARCHAR)
			FROM core.orders ORDER BY order_id`))
		want = "10|completed|3.50\n11|completed|47.25\n12|completed|34.75\n13|cancelled|40.25\n14|completed|0.00\n"
		if got != want {
			t.Fatalf("core.orders:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("EventDedup", func(t *testing.T) {
		w := openTest(t)
		mustLoad(t, w, historySource(t))
		st := mustTransform(t, w)
		if got, want := st.Core["core.events"], (warehouse.MergeStats{Inserted: 4}); got != want {
			t.Errorf("core.events stats = %+v, want %+v", got, want)
		}
		got := joinRows(queryStrings(t, w, `SELECT event_id, CAST(ingestion_time AS VARCHAR), sequence_number
			FROM core.events ORDER BY event_id`))
		want := "e1|2026-02-01 10:00:01|1\ne2|2026-02-01 10:00:02|2\ne3|2026-02-01 10:00:03|3\ne4|2026-02-01 10:00:04|9\n"
		if got != want {
			t.Fatalf("core.events:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("Incremental", func(t *testing.T) {
		w := openTest(t)
		src := historySource(t)
		mustLoad(t, w, src)
		mustTransform(t, w)

		// A new snapshot: product 3 is back at a new price, product 2 is
		// unchanged, product 1 is gone.
		src.putJSON(t, "products", "2026-03-01", []product{{2, "Mug v2", 4.75, "kitchen"}, {3, "Chair", 39, "home"}})
		st := mustLoad(t, w, src)
		if st.ObjectsLoaded != 1 || st.ObjectsSkipped != 5 {
			t.Fatalf("Load: loaded %d, skipped %d; want 1, 5", st.ObjectsLoaded, st.ObjectsSkipped)
		}
		ts := mustTransform(t, w)
		if got, want := ts.Core["core.products"], (warehouse.MergeStats{Updated: 2, Unchanged: 1}); got != want {
			t.Errorf("core.products stats = %+v, want %+v", got, want)
		}
		// Orders are dated before 2026-03-01: their prices do not move.
		if got, want := ts.Core["core.order_items"], (warehouse.MergeStats{Unchanged: 6}); got != want {
			t.Errorf("core.order_items stats = %+v, want %+v", got, want)
		}
		got := joinRows(queryStrings(t, w, `SELECT CAST(product_id AS VARCHAR), CAST(price AS VARCHAR), CAST(is_active AS VARCHAR)
			FROM core.products ORDER BY product_id`))
		if want := "1|10.00|false\n2|4.75|true\n3|39.00|true\n"; got != want {
			t.Fatalf("core.products:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("OrderAndBatchingIndependent", func(t *testing.T) {
		src := historySource(t)
		fx, _ := fixtureSource(t)
		for k, b := range fx.objects {
			src.objects[k] = b
		}
		all := openTest(t)
		mustLoad(t, all, src)
		mustTransform(t, all)
		want := mustHashes(t, all)

		// The same objects, newest first, one per Load, with a Transform
		// after each.
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
		if got := mustHashes(t, w); !equalHashes(got, want) {
			t.Fatalf("hashes after one-by-one loads:\n%v\nwant:\n%v", got, want)
		}
	})
}
