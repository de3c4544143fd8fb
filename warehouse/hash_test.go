package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

func TestWarehouse_TableHashes(t *testing.T) {
	ctx := context.Background()

	t.Run("Empty", func(t *testing.T) {
		w := openTest(t)
		mustTransform(t, w)
		hs := mustHashes(t, w)
		var names []string
		for _, h := range hs {
			names = append(names, h.Table)
			if h.Rows != 0 {
				t.Errorf("%s has %d rows in an empty warehouse", h.Table, h.Rows)
			}
		}
		want := "[core.events core.order_items core.order_refunds core.order_status_history core.orders core.product_prices core.products core.session_products core.sessions core.users " +
			"marts.active_users marts.category_conversion marts.category_sales marts.checkout_abandonment marts.cohort_ltv marts.cohort_retention " +
			"marts.customer_ltv marts.daily_kpis marts.order_attribution marts.orders_daily marts.product_conversion marts.product_sales " +
			"marts.purchase_reconciliation marts.revenue_daily marts.session_funnel marts.traffic_by_hour marts.traffic_sources]"
		if got := fmt.Sprint(names); got != want {
			t.Fatalf("tables = %s, want %s", got, want)
		}
		if !sort.StringsAreSorted(names) {
			t.Fatal("not sorted by name")
		}
	})

	t.Run("ChangesWithData", func(t *testing.T) {
		w := openTest(t)
		src := martsSource(t)
		mustLoad(t, w, src)
		mustTransform(t, w)
		before := mustHashes(t, w)
		if _, err := w.DB().ExecContext(ctx, "UPDATE core.products SET name = 'Lamp ' WHERE product_id = 1"); err != nil {
			t.Fatal(err)
		}
		after := mustHashes(t, w)
		for i := range before {
			changed := before[i].SHA256 != after[i].SHA256
			if want := before[i].Table == "core.products"; changed != want {
				t.Errorf("%s: hash changed = %v, want %v", before[i].Table, changed, want)
			}
		}
		// The next Transform puts the merged value back.
		st := mustTransform(t, w)
		if got, want := st.Core["core.products"], (warehouse.MergeStats{Updated: 1, Unchanged: 1}); got != want {
			t.Errorf("core.products stats = %+v, want %+v", got, want)
		}
		if got := mustHashes(t, w); !equalHashes(got, before) {
			t.Fatalf("hashes after repair:\n%v\nwant:\n%v", got, before)
		}
	})

	t.Run("SameInputSameHashes", func(t *testing.T) {
		a, b := openTest(t), openTest(t)
		for _, w := range []*warehouse.Warehouse{a, b} {
			mustLoad(t, w, martsSource(t))
			mustTransform(t, w)
		}
		if ha, hb := mustHashes(t, a), mustHashes(t, b); !equalHashes(ha, hb) {
			t.Fatalf("two warehouses from the same input differ:\n%v\n%v", ha, hb)
		}
	})
}

// failingSource fails Get for one key.
type failingSource struct {
	*memSource
	key string
	err error
}

func (s failingSource) Get(ctx context.Context, key string) ([]byte, error) {
	if key == s.key {
		return nil, s.err
	}
	return s.memSource.Get(ctx, key)
}

// TestWarehouse_Load_SourceError: a read that fails for a reason that is
// not the object's (the network) stops Load, and the next Load goes on
// where it stopped. (A body the Source refuses, lake.ErrChecksum, is the
// object's: TestWarehouse_Load_QuarantinesObjects.)
func TestWarehouse_Load_SourceError(t *testing.T) {
	w := openTest(t)
	src, keys := fixtureSource(t)
	errReset := errors.New("connection reset by peer")
	bad := failingSource{memSource: src, key: keys["products"], err: errReset}
	st, err := load(t, w, bad)
	if !errors.Is(err, errReset) || !strings.Contains(err.Error(), keys["products"]) {
		t.Fatalf("Load err = %v, want the read's error naming %s", err, keys["products"])
	}
	// Keys are loaded in order: carts, then products (which failed); users
	// is never reached.
	if st.ObjectsLoaded != 1 {
		t.Fatalf("ObjectsLoaded = %d, want 1", st.ObjectsLoaded)
	}
	st = mustLoad(t, w, src)
	if st.ObjectsLoaded != 2 || st.ObjectsSkipped != 1 {
		t.Fatalf("retry: loaded %d, skipped %d; want 2, 1", st.ObjectsLoaded, st.ObjectsSkipped)
	}
	got := joinRows(queryStrings(t, w, "SELECT entity, CAST(load_seq AS VARCHAR), CAST(row_count AS VARCHAR) FROM meta.loaded_objects ORDER BY load_seq"))
	if want := "carts|1|21\nproducts|2|20\nusers|3|10\n"; got != want {
		t.Fatalf("ledger:\n%s\nwant:\n%s", got, want)
	}
}
