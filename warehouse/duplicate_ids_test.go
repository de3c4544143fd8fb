package warehouse_test

import (
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_Transform_DuplicateIDs holds the one rule of
// source_versions.sql for products and users, as
// TestWarehouse_Transform_DuplicateCartIDs does for carts: identical repeats
// of an id in a snapshot are one row; different versions of an id in the
// latest snapshot serving it are all rejected (meta.rejected_rows, with the
// reason), the id leaves CORE (a product with its price history, so its
// order lines lose their price) until a later snapshot serves it once.
func TestWarehouse_Transform_DuplicateIDs(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *warehouse.Warehouse{"duckdb": openTest, "postgres": openPostgresTest} {
		t.Run(name, func(t *testing.T) { testDuplicateIDs(t, open(t)) })
	}
}

func testDuplicateIDs(t *testing.T, w *warehouse.Warehouse) {
	src := newMemSource()
	q := func(sql string) string { return joinRows(queryStrings(t, w, sql)) }
	products := func() string {
		return q("SELECT CAST(product_id AS VARCHAR), CAST(price AS VARCHAR), CAST(is_active AS VARCHAR) FROM core.products ORDER BY 1")
	}
	prices := func() string {
		return q("SELECT CAST(product_id AS VARCHAR), CAST(price AS VARCHAR) FROM core.product_prices ORDER BY 1, valid_from")
	}
	users := func() string { return q("SELECT CAST(user_id AS VARCHAR) FROM core.users ORDER BY 1") }
	lines := func() string {
		return q(`SELECT CAST(i.order_id AS VARCHAR), CAST(i.unit_price AS VARCHAR), CAST(o.order_total AS VARCHAR)
			FROM core.order_items AS i JOIN core.orders AS o ON o.order_id = i.order_id ORDER BY i.order_id`)
	}

	src.putJSON(t, "products", "2026-01-01", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3, "kitchen"}})
	src.putFakestore(t, "users", "2026-01-01", []byte(`[{"id": 1, "email": "a@example.com"}, {"id": 2, "email": "b@example.com"}]`))
	src.putJSON(t, "carts", "2026-01-01", []cart{
		{ID: 1, UserID: 1, Date: "2026-01-01T10:00:00.000Z", Products: []cartLine{{1, 2}}},
		{ID: 2, UserID: 2, Date: "2026-01-01T11:00:00.000Z", Products: []cartLine{{2, 1}}},
	})
	mustLoad(t, w, src)
	mustTransform(t, w)

	t.Run("ConflictRejects", func(t *testing.T) {
		// Product 1 and user 1 in two versions; product 2 and user 2
		// repeated identically.
		src.putJSON(t, "products", "2026-01-02", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3, "kitchen"}, {1, "Lamp", 12, "home"}, {2, "Mug", 3, "kitchen"}})
		src.putFakestore(t, "users", "2026-01-02", []byte(`[{"id": 1, "email": "a@example.com"}, {"id": 2, "email": "b@example.com"},
			{"id": 1, "email": "c@example.com"}, {"id": 2, "email": "b@example.com"}]`))
		mustLoad(t, w, src)
		st := mustTransform(t, w)
		if got, want := products(), "2|3.00|true\n"; got != want {
			t.Errorf("core.products:\n%s\nwant:\n%s", got, want)
		}
		if got, want := prices(), "2|3.00\n"; got != want {
			t.Errorf("core.product_prices:\n%s\nwant:\n%s", got, want)
		}
		if got, want := users(), "2\n"; got != want {
			t.Errorf("core.users:\n%s\nwant:\n%s", got, want)
		}
		if got, want := lines(), "1|NULL|0.00\n2|3.00|3.00\n"; got != want {
			t.Errorf("order lines (order, unit_price, total):\n%s\nwant:\n%s", got, want)
		}
		got := q("SELECT entity, CAST(business_key AS VARCHAR), CAST(row_no AS VARCHAR), reason FROM meta.rejected_rows ORDER BY entity, row_no")
		want := "products|1|1|duplicate id: the object serves 2 different versions of product 1\n" +
			"products|1|3|duplicate id: the object serves 2 different versions of product 1\n" +
			"users|1|1|duplicate id: the object serves 2 different versions of user 1\n" +
			"users|1|3|duplicate id: the object serves 2 different versions of user 1\n"
		if got != want {
			t.Errorf("meta.rejected_rows:\n%s\nwant:\n%s", got, want)
		}
		for _, c := range st.Checks {
			if c.Name == "order_items_products_ri" && c.Status != "warn" {
				t.Errorf("order_items_products_ri = %+v, want a warning for the unpriced line", c)
			}
		}
	})
	t.Run("LaterSnapshotResolves", func(t *testing.T) {
		src.putJSON(t, "products", "2026-01-03", []product{{1, "Lamp", 12, "home"}, {2, "Mug", 3, "kitchen"}})
		src.putFakestore(t, "users", "2026-01-03", []byte(`[{"id": 1, "email": "c@example.com"}, {"id": 2, "email": "b@example.com"}]`))
		mustLoad(t, w, src)
		mustTransform(t, w)
		if got, want := products(), "1|12.00|true\n2|3.00|true\n"; got != want {
			t.Errorf("core.products:\n%s\nwant:\n%s", got, want)
		}
		// The conflicting snapshot of 2026-01-02 says nothing about product
		// 1's price: 10 from 01-01, 12 from 01-03.
		if got, want := prices(), "1|10.00\n1|12.00\n2|3.00\n"; got != want {
			t.Errorf("core.product_prices:\n%s\nwant:\n%s", got, want)
		}
		if got, want := users(), "1\n2\n"; got != want {
			t.Errorf("core.users:\n%s\nwant:\n%s", got, want)
		}
		if got, want := lines(), "1|10.00|20.00\n2|3.00|3.00\n"; got != want {
			t.Errorf("order lines:\n%s\nwant:\n%s", got, want)
		}
		if got := q("SELECT CAST(count(*) AS VARCHAR) FROM meta.rejected_rows"); got != "0\n" {
			t.Errorf("rejected rows = %s, want 0", got)
		}
	})
}
