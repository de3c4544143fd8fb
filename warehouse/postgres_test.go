package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// openPostgresTest opens a warehouse on a fresh PostgreSQL database
// (warehousetest.PostgresDSN: skipped without a server, failed under CI).
func openPostgresTest(tb testing.TB) *warehouse.Warehouse {
	tb.Helper()
	w, err := warehouse.OpenPostgres(context.Background(), warehousetest.PostgresDSN(tb), warehouse.Options{EmailHashKey: testEmailKey})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w
}

// engines returns a DuckDB and a PostgreSQL warehouse, by name.
func engines(tb testing.TB) map[string]*warehouse.Warehouse {
	tb.Helper()
	return map[string]*warehouse.Warehouse{"duckdb": openTest(tb), "postgres": openPostgresTest(tb)}
}

// compareEngines fails tb unless every CORE and MARTS table holds the same
// values on a and b (row by row, canonical rendering).
func compareEngines(tb testing.TB, a, b *warehouse.Warehouse) {
	tb.Helper()
	ctx := context.Background()
	ha, hb := mustHashes(tb, a), mustHashes(tb, b)
	if len(ha) != len(hb) {
		tb.Fatalf("duckdb has %d tables, postgres %d", len(ha), len(hb))
	}
	for i := range ha {
		if ha[i].Table != hb[i].Table || ha[i].Rows != hb[i].Rows {
			tb.Errorf("table %d: duckdb %s (%d rows), postgres %s (%d rows)", i, ha[i].Table, ha[i].Rows, hb[i].Table, hb[i].Rows)
			continue
		}
		ra, err := a.TableRows(ctx, ha[i].Table)
		if err != nil {
			tb.Fatal(err)
		}
		rb, err := b.TableRows(ctx, hb[i].Table)
		if err != nil {
			tb.Fatal(err)
		}
		if !reflect.DeepEqual(ra, rb) {
			for j := range ra {
				if j >= len(rb) || !reflect.DeepEqual(ra[j], rb[j]) {
					tb.Errorf("%s row %d differs:\nduckdb   %q\npostgres %q", ha[i].Table, j, ra[j], rb[min(j, len(rb)-1)])
					break
				}
			}
		}
	}
}

func TestPostgres_SameAsDuckDB(t *testing.T) {
	sources := map[string]func(testing.TB) *memSource{
		"Fixtures": func(tb testing.TB) *memSource { s, _ := fixtureSource(tb); return s },
		"History":  historySource,
		"Marts":    martsSource,
	}
	for name, mk := range sources {
		t.Run(name, func(t *testing.T) {
			ws := engines(t)
			for _, w := range ws {
				mustLoad(t, w, mk(t))
				if _, err := w.Transform(context.Background(), warehouse.TransformOptions{AsOf: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
					t.Fatal(err)
				}
			}
			compareEngines(t, ws["duckdb"], ws["postgres"])
		})
	}
}

// TestPostgres_Incremental runs the same loads, one object at a time with a
// Transform after each, on both engines, and a full refresh at the end.
func TestPostgres_Incremental(t *testing.T) {
	ws := engines(t)
	src := martsSource(t)
	keys := sortedKeys(src)
	for _, w := range ws {
		for _, k := range keys {
			mustLoad(t, w, src.subset(k))
			mustTransform(t, w)
		}
	}
	compareEngines(t, ws["duckdb"], ws["postgres"])
	for _, w := range ws {
		if _, err := w.Transform(context.Background(), warehouse.TransformOptions{Mode: warehouse.FullRefresh}); err != nil {
			t.Fatal(err)
		}
	}
	compareEngines(t, ws["duckdb"], ws["postgres"])
}

func TestWarehouse_Load_HostileStringsBothEngines(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		w := open(t)
		{
			src := newMemSource()
			titles := []string{"Case\x00../", `Robert'); DROP TABLE core.products; --`, "e\u0301 \u202eevil \ufeff", "  padded  "}
			var products []map[string]any
			for i, title := range titles {
				products = append(products, map[string]any{"id": i + 1, "title": title, "price": 1.5, "category": "../Electronics\x00\x00 "})
			}
			src.putJSON(t, "products", "2026-01-01", products)
			st := mustLoad(t, w, src)
			if st.Repaired != 4 || st.Quarantined != 0 {
				t.Fatalf("repaired %d, quarantined %d; want 4, 0", st.Repaired, st.Quarantined)
			}
			mustTransform(t, w)
			rows, err := w.TableRows(context.Background(), "core.products")
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				want, _ := warehouse.CleanText(titles[i])
				if r[1] != want || r[2] != "../electronics\uFFFD\uFFFD" {
					t.Errorf("product %d = %q, %q; want %q, %q", i+1, r[1], r[2], want, "../electronics\uFFFD\uFFFD")
				}
			}
		}
	})
}

func TestWarehouse_Transform_BlockingCheck(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) { testBlockingCheck(t, open(t)) })
}

// testBlockingCheck: a cart with an unknown status blocks promotion; CORE
// and MARTS do not move, STAGING keeps the rows; a corrected snapshot of the
// cart promotes everything.
func testBlockingCheck(t *testing.T, w *warehouse.Warehouse) {
	ctx := context.Background()
	src := martsSource(t)
	mustLoad(t, w, src)
	mustTransform(t, w)
	before := mustHashes(t, w)

	bad := cart{ID: 2001, UserID: 9, Date: "2026-01-05T10:00:00.000Z", Status: "Shipped", Products: []cartLine{{1, 2}}}
	src.putJSON(t, "carts", "2026-01-05", []cart{bad})
	src.putEvents(t, "2026-01-05", "10", "clicks-0-300-301", records(t,
		ev{id: "s9-1", typ: "product_view", session: "s9", at: "2026-01-05T09:59:00Z", product: 1},
		ev{id: "s9-2", typ: "purchase", session: "s9", at: "2026-01-05T10:00:00Z", order: 2001},
	))
	mustLoad(t, w, src)
	st, err := w.Transform(ctx, warehouse.TransformOptions{})
	if !errors.Is(err, warehouse.ErrCheckFailed) {
		t.Fatalf("Transform err = %v, want ErrCheckFailed", err)
	}
	if !strings.Contains(err.Error(), "orders_accepted_status") || !strings.Contains(err.Error(), "2001=shipped") {
		t.Fatalf("error %q does not say which check failed and why", err)
	}
	if st.Status != "blocked" {
		t.Fatalf("status %q, want blocked", st.Status)
	}
	if got := mustHashes(t, w); !equalHashes(got, before) {
		t.Fatalf("a blocked run changed CORE or MARTS:\n%v\nwant\n%v", got, before)
	}
	res, err := w.CheckResults(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.RunID != st.RunID || res.Status != "blocked" {
		t.Fatalf("latest check run = %d %s, want %d blocked", res.RunID, res.Status, st.RunID)
	}
	var failedChecks []string
	for _, r := range res.Results {
		if r.Status == "fail" {
			failedChecks = append(failedChecks, r.Name)
		}
	}
	if got := fmt.Sprint(failedChecks); got != "[orders_accepted_status]" {
		t.Fatalf("failed checks %s", got)
	}
	n, err := w.TableRows(ctx, "staging.events")
	if err != nil {
		t.Fatal(err)
	}
	if len(n) != 20 {
		t.Fatalf("staging.events has %d rows, want 20 (nothing lost)", len(n))
	}

	// The source corrects the cart: the next run promotes the day.
	fixed := bad
	fixed.Status = "completed"
	src.putJSON(t, "carts", "2026-01-06", []cart{fixed})
	mustLoad(t, w, src)
	st, err = w.Transform(ctx, warehouse.TransformOptions{})
	if err != nil {
		t.Fatalf("after the fix: %v", err)
	}
	if st.Status != "promoted" || st.Core["core.events"].Inserted != 2 {
		t.Fatalf("after the fix: %+v", st)
	}
	kpis, err := w.DailyKPIs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := kpis[len(kpis)-1]
	if last.Date.Format(time.DateOnly) != "2026-01-05" || last.Orders != 1 || last.ConvertingSessions != 1 {
		t.Fatalf("2026-01-05 KPIs = %+v", last)
	}
}
