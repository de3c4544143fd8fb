package warehouse_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_Transform_EmptySnapshot holds the volume checks on
// snapshots: a users or products snapshot that comes back empty after one
// with rows (an upstream outage answering []) blocks the promotion, and
// says the command that accepts it; accepted, the run is promoted, the
// acceptance is recorded with it, and the withdrawn products are inactive.
// An empty carts date is only a warning (a quiet day is normal).
func TestWarehouse_Transform_EmptySnapshot(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *warehouse.Warehouse{"duckdb": openTest, "postgres": openPostgresTest} {
		t.Run(name, func(t *testing.T) { testEmptySnapshot(t, open(t)) })
	}
}

func testEmptySnapshot(t *testing.T, w *warehouse.Warehouse) {
	ctx := context.Background()
	src := newMemSource()
	src.putJSON(t, "products", "2026-01-01", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3, "kitchen"}})
	src.putFakestore(t, "users", "2026-01-01", []byte(`[{"id": 1, "email": "a@example.com"}]`))
	src.putJSON(t, "carts", "2026-01-01", []cart{{ID: 1, UserID: 1, Date: "2026-01-01T10:00:00.000Z", Products: []cartLine{{1, 1}}}})
	mustLoad(t, w, src)
	before := mustTransform(t, w)
	if r := checkResult(t, before, "snapshots_not_empty"); r.Status != "pass" {
		t.Fatalf("first snapshots: %+v", r)
	}

	src.putFakestore(t, "products", "2026-01-02", []byte(`[]`))
	src.putFakestore(t, "users", "2026-01-02", []byte(`[{"id": 1, "email": "a@example.com"}]`))
	src.putFakestore(t, "carts", "2026-01-02", []byte(`[]`))
	mustLoad(t, w, src)
	hashes := mustHashes(t, w)

	t.Run("Blocks", func(t *testing.T) {
		st, err := w.Transform(ctx, warehouse.TransformOptions{})
		if !errors.Is(err, warehouse.ErrCheckFailed) {
			t.Fatalf("Transform err = %v, want ErrCheckFailed", err)
		}
		for _, want := range []string{"check snapshots_not_empty", "products 2026-01-02: 0 rows after 2 on 2026-01-01",
			"shoplake transform --accept-empty products"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if r := checkResult(t, st, "carts_not_empty"); r.Status != "warn" || !strings.Contains(r.Detail, "carts 2026-01-02: 0 rows after 2 on 2026-01-01") {
			t.Errorf("carts_not_empty = %+v, want a warning naming the empty date", r)
		}
		if got := mustHashes(t, w); !equalHashes(got, hashes) {
			t.Fatalf("a blocked run moved CORE or MARTS")
		}
	})
	t.Run("ErrInvalidOption", func(t *testing.T) {
		_, err := w.Transform(ctx, warehouse.TransformOptions{AcceptEmpty: []string{"orders"}})
		if !errors.Is(err, warehouse.ErrInvalidOption) || !strings.Contains(err.Error(), `"orders"`) {
			t.Fatalf("Transform err = %v, want ErrInvalidOption naming orders", err)
		}
	})
	t.Run("Accepted", func(t *testing.T) {
		st, err := w.Transform(ctx, warehouse.TransformOptions{AcceptEmpty: []string{"products"}})
		if err != nil {
			t.Fatal(err)
		}
		if r := checkResult(t, st, "snapshots_not_empty"); r.Status != "pass" || !strings.Contains(r.Detail, "products 2026-01-02: empty, accepted (--accept-empty products)") {
			t.Fatalf("snapshots_not_empty = %+v", r)
		}
		got := queryStrings(t, w, "SELECT accepted_empty FROM meta.transform_runs WHERE run_id = "+strconv.FormatInt(st.RunID, 10))[0][0]
		if got != "products" {
			t.Fatalf("accepted_empty recorded = %q, want products", got)
		}
		if got, want := joinRows(queryStrings(t, w, "SELECT CAST(product_id AS VARCHAR), CAST(is_active AS VARCHAR) FROM core.products ORDER BY 1")),
			"1|false\n2|false\n"; got != want {
			t.Fatalf("products after an accepted empty snapshot:\n%s\nwant:\n%s", got, want)
		}
		// Accepted once is accepted: a full refresh rebuilds the same.
		if _, err := w.Transform(ctx, warehouse.TransformOptions{Mode: warehouse.FullRefresh}); err != nil {
			t.Fatalf("full refresh after the acceptance: %v", err)
		}
	})
}
