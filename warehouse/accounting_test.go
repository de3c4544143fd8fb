package warehouse_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// accountingSource is martsSource plus one of each place a record can end
// up besides CORE: a clock ahead and a clock behind (quarantined at load),
// two versions of one event (one superseded), an exact copy sent twice (an
// exact duplicate), an object copied under another key (the same stream
// records in RAW twice), two versions of product 1 in one snapshot
// (rejected rows) and an object that is not the gzip its key says (set
// aside). It returns the source and the keys added.
func accountingSource(t testing.TB) (*memSource, []string) {
	src := martsSource(t)
	var keys []string
	a := records(t,
		ev{id: "x-ahead", typ: "page_view", session: "x1", at: "2026-01-03T13:00:00Z", ingest: "2026-01-03T10:00:00Z", shard: "shardId-000000000001", seq: "20"},
		ev{id: "x-behind", typ: "page_view", session: "x1", at: "1970-01-01T00:00:00Z", ingest: "2026-01-03T10:00:00Z", shard: "shardId-000000000001", seq: "21"},
		ev{id: "x-conf", typ: "product_view", session: "x1", at: "2026-01-03T09:59:00Z", product: 1, ingest: "2026-01-03T10:00:00Z", shard: "shardId-000000000001", seq: "22"},
		ev{id: "x-dup", typ: "page_view", session: "x1", at: "2026-01-03T09:59:30Z", ingest: "2026-01-03T10:00:00Z", shard: "shardId-000000000001", seq: "23"},
	)
	keys = append(keys, src.putEvents(t, "2026-01-03", "10", "clicks-1-20-23", a))
	keys = append(keys, src.putEvents(t, "2026-01-03", "11", "clicks-1-30-31", records(t,
		ev{id: "x-conf", typ: "add_to_cart", session: "x1", at: "2026-01-03T09:59:00Z", product: 2, ingest: "2026-01-03T11:00:00Z", shard: "shardId-000000000001", seq: "30"},
		ev{id: "x-dup", typ: "page_view", session: "x1", at: "2026-01-03T09:59:30Z", ingest: "2026-01-03T11:00:00Z", shard: "shardId-000000000001", seq: "31"},
	)))
	// The first object again under another key: a second consumer's batch.
	keys = append(keys, src.putEvents(t, "2026-01-03", "10", "clicks-1-20-23-again", a))
	keys = append(keys, src.putJSON(t, "products", "2026-01-02", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3.33, "kitchen"}, {1, "Lamp", 12, "home"}}))
	bad := "raw/events/dt=2026-01-03/hr=12/not-gzip.ndjson.gz"
	src.objects[bad] = []byte("{\"event_id\":\"x-lost\"}\n")
	keys = append(keys, bad)
	return src, keys
}

// TestWarehouse_Accounting counts, from the tables, where every record
// the warehouse received ended up: CORE, a superseded version, an exact
// duplicate, quarantined at load by kind, a copy of a stream record,
// rejected source rows, an object set aside, and what no run has
// transformed yet; per run, what the run's rows left out. Both engines.
func TestWarehouse_Accounting(t *testing.T) {
	ctx := context.Background()
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		src, added := accountingSource(t)
		var base []string
		for _, k := range sortedKeys(src) {
			if !slices.Contains(added, k) {
				base = append(base, k)
			}
		}
		w := open(t)
		mustLoad(t, w, src.subset(base...))
		first := mustTransform(t, w)
		before, err := w.Accounting(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e := before.Events; e.Quarantined != 0 || e.Conflicting != 0 || e.ExactDuplicates != 0 || e.RawCopies != 0 ||
			e.Pending != 0 || !e.Consistent() || e.InCore == 0 || e.InCore != e.Records {
			t.Fatalf("the plain shop's events: %+v", e)
		}

		mustLoad(t, w, src)
		run := mustTransform(t, w)
		a, err := w.Accounting(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e := a.Events
		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"staging rows", e.StagingRows, before.Events.StagingRows + 6},
			{"stream records", e.Records, before.Events.Records + 4},
			{"transformed", e.Transformed, e.Records},
			{"versions", e.Versions, before.Events.Versions + 3},
			{"in CORE", e.InCore, before.Events.InCore + 2},
			{"conflicting", e.Conflicting, 1},
			{"superseded", e.Superseded, 1},
			{"exact duplicates", e.ExactDuplicates, 1},
			{"pending", e.Pending, 0},
			{"quarantined at load", e.Quarantined, 2},
			{"quarantined rows", e.QuarantinedRows, 4},
			{"clock ahead", warehouse.Of(e.QuarantinedBy, warehouse.KindClockAhead), 1},
			{"clock behind", warehouse.Of(e.QuarantinedBy, warehouse.KindClockBehind), 1},
			{"RAW copies", e.RawCopies, 4},
			{"events quarantined at load", warehouse.Of(a.QuarantinedAtLoad, "events"), 2},
			{"source rows quarantined at load", a.QuarantinedSourceRows(), 0},
			{"rejected products", warehouse.Of(a.Rejected, "products"), 2},
			{"rejected rows", a.RejectedRows(), 2},
			{"objects set aside", a.QuarantinedObjects, 1},
			{"through load_seq", a.ThroughLoadSeq, run.ToLoadSeq},
		} {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
			}
		}
		if !e.Consistent() || e.Stored() != e.InCore+1 {
			t.Errorf("versions %d, CORE %d, superseded %d: stored %d", e.Versions, e.InCore, e.Superseded, e.Stored())
		}

		t.Run("Run", func(t *testing.T) {
			r, err := w.RunAccounting(ctx, run.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != "promoted" || r.FromLoadSeq != first.ToLoadSeq || r.ToLoadSeq != run.ToLoadSeq ||
				r.QuarantinedEvents() != 2 || warehouse.Of(r.QuarantinedEventsBy, warehouse.KindClockAhead) != 1 ||
				r.ConflictingEvents != 1 || r.RejectedRows() != 2 || r.QuarantinedSourceRows() != 0 {
				t.Errorf("run %d: %+v", run.RunID, r)
			}
			r, err = w.RunAccounting(ctx, first.RunID)
			if err != nil {
				t.Fatal(err)
			}
			if r.QuarantinedEvents() != 0 || r.ConflictingEvents != 0 {
				t.Errorf("run %d (the plain shop): %+v", first.RunID, r)
			}
		})
		t.Run("Pending", func(t *testing.T) {
			src.putEvents(t, "2026-01-03", "12", "clicks-1-40-40", records(t,
				ev{id: "x-new", typ: "page_view", session: "x2", at: "2026-01-03T11:59:00Z", shard: "shardId-000000000001", seq: "40"}))
			mustLoad(t, w, src)
			a, err := w.Accounting(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a.Events.Pending != 1 || a.Events.Stored() != e.Stored()+1 || a.Events.InCore != e.InCore {
				t.Errorf("after a load without transform: %+v", a.Events)
			}
		})
		t.Run("ErrNoRun", func(t *testing.T) {
			if _, err := w.RunAccounting(ctx, 999); !errors.Is(err, warehouse.ErrNoRun) {
				t.Errorf("RunAccounting(999) = %v, want ErrNoRun", err)
			}
		})
	})
}

// TestWarehouse_Accounting_ReadOnly: a reader gets the same accounting
// from a read-only warehouse, and an empty one from a file never migrated.
func TestWarehouse_Accounting_ReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	w, err := warehouse.Open(ctx, path, warehouse.Options{EmailHashKey: testEmailKey})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := accountingSource(t)
	mustLoad(t, w, src)
	run := mustTransform(t, w)
	want, err := w.Accounting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRun, err := w.RunAccounting(ctx, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()

	r, err := warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Accounting(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read-only accounting = %+v, %v\nwant %+v", got, err, want)
	}
	gotRun, err := r.RunAccounting(ctx, run.RunID)
	if err != nil || !reflect.DeepEqual(gotRun, wantRun) {
		t.Fatalf("read-only run accounting = %+v, %v\nwant %+v", gotRun, err, wantRun)
	}

	empty := filepath.Join(t.TempDir(), "other.duckdb")
	execOn(t, empty, "CREATE TABLE other (x INTEGER)")
	u, err := warehouse.Open(ctx, empty, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if a, err := u.Accounting(ctx); err != nil || !reflect.DeepEqual(a, warehouse.Accounting{}) {
		t.Fatalf("accounting of an unmigrated file = %+v, %v; want empty", a, err)
	}
}

// execOn runs stmt on the DuckDB file at path, as another tool would.
func execOn(tb testing.TB, path, stmt string) {
	tb.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		tb.Fatalf("%s: %v", stmt, err)
	}
}
