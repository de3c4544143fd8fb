package warehouse_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// fixtureSource holds the real FakeStore fixtures (passwords removed) as
// snapshots: products on 2020-01-01, users and carts on 2020-03-02.
func fixtureSource(tb testing.TB) (*memSource, map[string]string) {
	tb.Helper()
	src := newMemSource()
	keys := map[string]string{
		"products": src.putFakestore(tb, "products", "2020-01-01", readFixture(tb, "products.json")),
		"users":    src.putFakestore(tb, "users", "2020-03-02", readFixture(tb, "users.json")),
		"carts":    src.putFakestore(tb, "carts", "2020-03-02", readFixture(tb, "carts.json")),
	}
	return src, keys
}

func TestWarehouse_Load(t *testing.T) {
	ctx := context.Background()

	t.Run("Fixtures", func(t *testing.T) {
		w := openTest(t)
		src, _ := fixtureSource(t)
		st := mustLoad(t, w, src)
		if got, want := st.ObjectsLoaded, 3; got != want {
			t.Fatalf("ObjectsLoaded = %d, want %d", got, want)
		}
		for table, want := range map[string]int64{
			"staging.fakestore_products": 20, "staging.fakestore_users": 10,
			"staging.fakestore_carts": 7, "staging.fakestore_cart_items": 14, "staging.events": 0,
		} {
			if got := st.Rows[table]; got != want {
				t.Errorf("Rows[%s] = %d, want %d", table, got, want)
			}
		}
		mustTransform(t, w)

		// Totals by hand from the fixture prices (products snapshot 2020-01-01):
		// cart 1: 4*109.95 + 1*22.30 + 6*55.99 = 798.04
		// cart 2: 4*22.30 + 10*109.95 + 2*695 = 2578.70
		// cart 3: 2*109.95 + 1*64 = 283.90; cart 4: 4*109.95 = 439.80
		// cart 5: 9.99 + 10.99 = 20.98
		// cart 6: served twice with different content (user 4 and user 8):
		// a conflict, so neither becomes an order (see chosen_carts.sql).
		got := joinRows(queryStrings(t, w, `SELECT CAST(order_id AS VARCHAR), CAST(user_id AS VARCHAR), order_status,
			CAST(order_total AS VARCHAR), CAST(created_at AS VARCHAR) FROM core.orders ORDER BY order_id`))
		want := "1|1|completed|798.04|2020-03-02 00:00:02\n" +
			"2|1|completed|2578.70|2020-01-02 00:00:02\n" +
			"3|2|completed|283.90|2020-03-01 00:00:02\n" +
			"4|3|completed|439.80|2020-01-01 00:00:02\n" +
			"5|3|completed|20.98|2020-03-01 00:00:02\n"
		if got != want {
			t.Fatalf("core.orders:\n%s\nwant:\n%s", got, want)
		}

		got = joinRows(queryStrings(t, w, `SELECT order_item_id, CAST(product_id AS VARCHAR), CAST(quantity AS VARCHAR),
			CAST(unit_price AS VARCHAR) FROM core.order_items WHERE order_id IN (1, 6) ORDER BY order_item_id`))
		want = "1:1|1|4|109.95\n1:2|2|1|22.30\n1:3|3|6|55.99\n"
		if got != want {
			t.Fatalf("core.order_items:\n%s\nwant:\n%s", got, want)
		}
		if n := queryStrings(t, w, "SELECT CAST(count(*) AS VARCHAR) FROM core.order_items")[0][0]; n != "11" {
			t.Fatalf("core.order_items has %s rows, want 11", n)
		}
		got = joinRows(queryStrings(t, w, `SELECT entity, CAST(business_key AS VARCHAR), CAST(row_no AS VARCHAR), reason
			FROM meta.rejected_rows ORDER BY row_no`))
		want = "carts|6|6|duplicate id: the object serves 2 different versions of cart 6\n" +
			"carts|6|7|duplicate id: the object serves 2 different versions of cart 6\n"
		if got != want {
			t.Fatalf("meta.rejected_rows:\n%s\nwant:\n%s", got, want)
		}

		got = joinRows(queryStrings(t, w, `SELECT CAST(product_id AS VARCHAR), name, category, CAST(price AS VARCHAR),
			CAST(is_active AS VARCHAR), CAST(created_at AS VARCHAR) FROM core.products WHERE product_id IN (2, 5, 20) ORDER BY product_id`))
		// Titles are trimmed at load (CleanText): the fixture's trailing space goes.
		want = "2|Mens Casual Premium Slim Fit T-Shirts|men's clothing|22.30|true|2020-01-01 00:00:00\n" +
			"5|John Hardy Women's Legends Naga Gold & Silver Dragon Station Chain Bracelet|jewelery|695.00|true|2020-01-01 00:00:00\n" +
			"20|DANVOUY Womens T Shirt Casual Cotton Short|women's clothing|12.99|true|2020-01-01 00:00:00\n"
		if got != want {
			t.Fatalf("core.products:\n%s\nwant:\n%s", got, want)
		}

		mac := hmac.New(sha256.New, testEmailKey)
		mac.Write([]byte("john@gmail.com"))
		got = joinRows(queryStrings(t, w, "SELECT email_hash, COALESCE(country, 'NULL') FROM core.users WHERE user_id = 1"))
		if want := hex.EncodeToString(mac.Sum(nil)) + "|NULL\n"; got != want {
			t.Fatalf("core.users row 1 = %s, want %s", got, want)
		}
	})

	t.Run("SecondLoadSkipsEverything", func(t *testing.T) {
		w := openTest(t)
		src, _ := fixtureSource(t)
		mustLoad(t, w, src)
		first := mustTransform(t, w)
		hashes := mustHashes(t, w)

		st := mustLoad(t, w, src)
		if st.ObjectsLoaded != 0 || st.ObjectsSkipped != 3 {
			t.Fatalf("second Load: loaded %d, skipped %d; want 0, 3", st.ObjectsLoaded, st.ObjectsSkipped)
		}
		for table, n := range st.Rows {
			if n != 0 {
				t.Errorf("second Load wrote %d rows to %s", n, table)
			}
		}
		second := mustTransform(t, w)
		for table, s := range second.Core {
			f := first.Core[table]
			if want := (warehouse.MergeStats{Unchanged: f.Inserted}); s != want {
				t.Errorf("second Transform %s = %+v, want %+v", table, s, want)
			}
		}
		if got := mustHashes(t, w); !equalHashes(got, hashes) {
			t.Fatalf("hashes changed:\n%v\nwant\n%v", got, hashes)
		}
	})

	t.Run("QuarantineBadRows", func(t *testing.T) {
		w := openTest(t)
		src, _ := fixtureSource(t)
		bad := src.putFakestore(t, "products", "2020-01-02", []byte(`[{"id": 1, "title": "x", "price": "9.99"}, {"title": "no id", "price": 1},
			{"id": 3, "title": "  ok  ", "price": 2.5, "category": "  Home\u0000 "}]`))
		st, err := load(t, w, src)
		if err != nil {
			t.Fatalf("Load: %v (bad rows must not fail the load)", err)
		}
		if st.Quarantined != 2 || st.Repaired != 1 {
			t.Fatalf("Quarantined, Repaired = %d, %d; want 2, 1", st.Quarantined, st.Repaired)
		}
		got := joinRows(queryStrings(t, w, "SELECT CAST(row_no AS VARCHAR), disposition, reason FROM staging.quarantine WHERE raw_key = '"+bad+"' ORDER BY row_no"))
		want := "1|rejected|product 1: invalid amount: \"\\\"9.99\\\"\"\n" +
			"2|rejected|product 2: id is required\n" +
			"3|repaired|NUL bytes or invalid UTF-8 replaced by U+FFFD in category\n"
		if got != want {
			t.Fatalf("staging.quarantine:\n%s\nwant:\n%s", got, want)
		}
		got = joinRows(queryStrings(t, w, "SELECT CAST(product_id AS VARCHAR), title, category FROM staging.fakestore_products WHERE raw_key = '"+bad+"'"))
		if want := "3|ok|home\uFFFD\n"; got != want {
			t.Fatalf("staging rows of the object: %q, want %q", got, want)
		}
		rec := queryStrings(t, w, "SELECT record FROM staging.quarantine WHERE raw_key = '"+bad+"' AND row_no = 3")[0][0]
		if !strings.Contains(rec, `\u0000`) {
			t.Fatalf("the repaired row's record %q lost the original NUL", rec)
		}
	})

	// Objects that cannot be loaded are set aside, named with their reason,
	// and the rest loads (more in TestWarehouse_Load_QuarantinesObjects).
	t.Run("QuarantineObject", func(t *testing.T) {
		w := openTest(t)
		src, _ := fixtureSource(t)
		bad := src.putFakestore(t, "products", "2020-01-02", []byte(`{"id": 1, "title": "x", "price": 9.99}`))
		st := mustLoad(t, w, src)
		if st.ObjectsQuarantined != 1 || st.ObjectsLoaded != 3 {
			t.Fatalf("loaded %d, quarantined %d; want 3, 1", st.ObjectsLoaded, st.ObjectsQuarantined)
		}
		ledger := joinRows(queryStrings(t, w, "SELECT object_key FROM meta.loaded_objects ORDER BY 1"))
		if strings.Contains(ledger, bad) {
			t.Fatalf("the bad object is in the ledger:\n%s", ledger)
		}
		got := joinRows(queryStrings(t, w, "SELECT object_key, reason, head FROM meta.quarantined_objects"))
		if want := bad + `|not a JSON array|{"id": 1, "title": "x", "price": 9.99}` + "\n"; got != want {
			t.Fatalf("quarantined:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("QuarantineObject/Events", func(t *testing.T) {
		w := openTest(t)
		src := newMemSource()
		key := "raw/events/dt=2026-01-01/hr=00/clicks-0-1-2.ndjson.gz"
		src.objects[key] = []byte("not gzip")
		st, err := w.Load(ctx, src)
		if err != nil || st.ObjectsQuarantined != 1 {
			t.Fatalf("Load = %+v, %v; want 1 object quarantined", st, err)
		}
		got := joinRows(queryStrings(t, w, "SELECT object_key, reason, head FROM meta.quarantined_objects"))
		if want := key + "|not gzip, though its key ends in .gz|not gzip\n"; got != want {
			t.Fatalf("quarantined:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("QuarantineObject/InvalidKey", func(t *testing.T) {
		w := openTest(t)
		src := newMemSource()
		key := "raw/fakestore/orders/dt=2020-01-01/abc.json"
		src.objects[key] = []byte("[]")
		st, err := w.Load(ctx, src)
		if err != nil || st.ObjectsQuarantined != 1 {
			t.Fatalf("Load = %+v, %v; want 1 object quarantined", st, err)
		}
		got := joinRows(queryStrings(t, w, "SELECT reason, detail FROM meta.quarantined_objects"))
		if !strings.Contains(got, "key does not follow the RAW layout") || !strings.Contains(got, "unknown fakestore entity") {
			t.Fatalf("quarantined: %s", got)
		}
	})

	t.Run("ErrNoEmailHashKey", func(t *testing.T) {
		w, err := warehouse.Open(ctx, "", warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		src, _ := fixtureSource(t)
		if _, err := load(t, w, src); !errors.Is(err, warehouse.ErrNoEmailHashKey) {
			t.Fatalf("Load err = %v, want ErrNoEmailHashKey", err)
		}
	})

	t.Run("EmailNeverInCore", func(t *testing.T) {
		w := openTest(t)
		src, _ := fixtureSource(t)
		mustLoad(t, w, src)
		mustTransform(t, w)
		// Every text value of every core table and of staging.
		cols := queryStrings(t, w, `SELECT table_schema, table_name, column_name FROM information_schema.columns
			WHERE table_schema IN ('core', 'staging') ORDER BY ALL`)
		for _, c := range cols {
			q := `SELECT CAST("` + c[2] + `" AS VARCHAR) FROM "` + c[0] + `"."` + c[1] + `" WHERE CAST("` + c[2] + `" AS VARCHAR) LIKE '%@%'`
			if rows := queryStrings(t, w, q); len(rows) > 0 {
				t.Errorf("%s.%s.%s holds an email: %v", c[0], c[1], c[2], rows[0])
			}
		}
	})

	t.Run("HostileStrings", func(t *testing.T) {
		w := openTest(t)
		src := newMemSource()
		titles := []string{
			`Robert'); DROP TABLE core.products; --`,
			`'; DROP TABLE staging.fakestore_products; --`,
			`"quoted" and 'single' and \backslash`,
			`../../etc/passwd`,
			"control\x01\x07\x1b[31m\ttab\nnewline\r",
			"unicode ☃ ü 中",
		}
		var products []map[string]any
		for i, title := range titles {
			products = append(products, map[string]any{"id": i + 1, "title": title, "price": 1.5, "category": " '; DROP ", "description": title, "image": "../x"})
		}
		src.putJSON(t, "products", "2026-01-01", products)
		mustLoad(t, w, src)
		mustTransform(t, w)
		rows := queryStrings(t, w, "SELECT name, category FROM core.products ORDER BY product_id")
		if len(rows) != len(titles) {
			t.Fatalf("core.products has %d rows, want %d", len(rows), len(titles))
		}
		for i, r := range rows {
			if r[0] != titles[i] {
				t.Errorf("product %d name = %q, want %q", i+1, r[0], titles[i])
			}
			if r[1] != "'; drop" {
				t.Errorf("product %d category = %q, want %q", i+1, r[1], "'; drop")
			}
		}
	})
}

func equalHashes(a, b []warehouse.TableHash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWarehouse_Transform_DuplicateCartIDs holds the rule of
// chosen_carts.sql: the latest object serving a cart decides; identical
// copies of a cart are one order; different versions of one id in that
// object keep the cart out of CORE (recorded in meta.rejected_rows) until a
// later object serves it once.
func TestWarehouse_Transform_DuplicateCartIDs(t *testing.T) {
	w := openTest(t)
	src := newMemSource()
	src.putJSON(t, "products", "2026-01-01", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3, "kitchen"}})
	a := cart{ID: 7, UserID: 1, Date: "2026-01-01T10:00:00.000Z", Products: []cartLine{{1, 1}}}
	b := cart{ID: 7, UserID: 2, Date: "2026-01-01T11:00:00.000Z", Products: []cartLine{{2, 5}}}
	same := cart{ID: 8, UserID: 3, Date: "2026-01-01T12:00:00.000Z", Products: []cartLine{{2, 1}}}
	orders := func() string {
		return joinRows(queryStrings(t, w, `SELECT CAST(order_id AS VARCHAR), CAST(user_id AS VARCHAR), CAST(order_total AS VARCHAR)
			FROM core.orders ORDER BY order_id`))
	}
	rejected := func() string {
		return queryStrings(t, w, "SELECT CAST(count(*) AS VARCHAR) FROM meta.rejected_rows")[0][0]
	}

	src.putJSON(t, "carts", "2026-01-01", []cart{a})
	mustLoad(t, w, src)
	mustTransform(t, w)
	if got, want := orders(), "7|1|10.00\n"; got != want {
		t.Fatalf("day 1 orders:\n%s\nwant:\n%s", got, want)
	}

	t.Run("ConflictRemovesTheOrder", func(t *testing.T) {
		src.putJSON(t, "carts", "2026-01-02", []cart{a, same, b, same})
		mustLoad(t, w, src)
		mustTransform(t, w)
		if got, want := orders(), "8|3|3.00\n"; got != want {
			t.Fatalf("orders:\n%s\nwant:\n%s", got, want)
		}
		if n := queryStrings(t, w, "SELECT CAST(count(*) AS VARCHAR) FROM core.order_items WHERE order_id = 7")[0][0]; n != "0" {
			t.Fatalf("%s lines of the conflicting cart stay in CORE", n)
		}
		if got := rejected(); got != "2" {
			t.Fatalf("rejected rows = %s, want 2 (both versions of cart 7)", got)
		}
	})
	t.Run("LaterObjectResolves", func(t *testing.T) {
		src.putJSON(t, "carts", "2026-01-03", []cart{b})
		mustLoad(t, w, src)
		mustTransform(t, w)
		if got, want := orders(), "7|2|15.00\n8|3|3.00\n"; got != want {
			t.Fatalf("orders:\n%s\nwant:\n%s", got, want)
		}
		if got := rejected(); got != "0" {
			t.Fatalf("rejected rows = %s, want 0", got)
		}
	})
}
