package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// TestTransformCmd_RebuildFromLake: the lake, not a warehouse, says which
// FakeStore objects are committed (raw/_commits/fakestore/). After a demo,
// warehouse.duckdb is deleted; an old date ingested again finds its
// snapshot committed in the lake and changes nothing; the warehouse is
// rebuilt with transform --full-refresh from the lake alone: every CORE and
// MARTS table hash is the one the demo's
// warehouse had, with every batch object committed and the as-of taken
// from the lake. A PostgreSQL warehouse that ingested nothing loads the same
// lake into the same table hashes (before commits moved to the lake it
// built CORE with no users, products or orders).
func TestTransformCmd_RebuildFromLake(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, stderr, err := execute(t, "demo", "--seed", "12", "--days", "3", "--users", "150", "--data-dir", dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	path := filepath.Join(dir, "warehouse.duckdb")
	hashes := func(w *warehouse.Warehouse) []warehouse.TableHash {
		t.Helper()
		hs, err := w.TableHashes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	// fileHashes reads the hashes of the DuckDB file at path.
	fileHashes := func() []warehouse.TableHash {
		w, err := warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		return hashes(w)
	}
	before := fileHashes()
	if rowsOf(before, "core.users") == 0 || rowsOf(before, "core.orders") == 0 {
		t.Fatalf("the demo's warehouse has no users or orders: %+v", before)
	}
	for _, f := range []string{path, path + ".wal"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}

	// Ingesting an old date again without the warehouse reuses the
	// snapshots the lake committed (the source serves users and products
	// only as they are now): nothing new, the carts alone fetched.
	out, stderr, err := execute(t, "ingest", "--date", "2026-01-06", "--seed", "12", "--days", "3", "--users", "150", "--data-dir", dir)
	if err != nil {
		t.Fatalf("ingest after the warehouse was lost: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "2026-01-06  unchanged") || !strings.Contains(out, " 0/3 ") {
		t.Errorf("ingest after the warehouse was lost did not find the date committed in the lake:\n%s", out)
	}

	out, stderr, err = execute(t, "transform", "--full-refresh", "--data-dir", dir)
	if err != nil {
		t.Fatalf("transform --full-refresh: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, " 0 not committed yet") {
		t.Errorf("the rebuild left batch objects uncommitted:\n%s", out)
	}
	// The rebuild loads the lake's STAGING, written by the demo: it stages
	// nothing again, and reads every object from STAGING, not RAW.
	if !strings.Contains(out, "staging: 0 objects staged into the lake, ") || strings.Contains(out, ", 0 read from the lake's STAGING") {
		t.Errorf("the rebuild did not load the lake's STAGING:\n%s", out)
	}
	after := fileHashes()
	if !slices.Equal(after, before) {
		t.Fatalf("rebuilt from the lake:\n%v\nthe demo's warehouse:\n%v", after, before)
	}

	t.Run("PostgreSQL", func(t *testing.T) {
		dsn := warehousetest.PostgresDSN(t)
		out, stderr, err := execute(t, "transform", "--postgres", dsn, "--data-dir", dir)
		if err != nil {
			t.Fatalf("transform --postgres: %v\n%s", err, stderr)
		}
		if !strings.Contains(out, " 0 not committed yet") {
			t.Errorf("PostgreSQL did not see the lake's commits:\n%s", out)
		}
		if !strings.Contains(out, "staging: 0 objects staged into the lake, ") {
			t.Errorf("PostgreSQL did not load the lake's STAGING:\n%s", out)
		}
		pg, err := warehouse.OpenPostgres(ctx, dsn, warehouse.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Close()
		if got := hashes(pg); !slices.Equal(got, before) {
			t.Errorf("PostgreSQL's table hashes differ from DuckDB's on the same lake:\n%v\nDuckDB:\n%v", got, before)
		}

		// The same warehouse chosen by the configuration instead of the
		// flag: a second run finds everything loaded.
		t.Setenv("SHOPLAKE_WAREHOUSE_ENGINE", "postgres")
		t.Setenv("SHOPLAKE_WAREHOUSE_DSN", dsn)
		out, stderr, err = execute(t, "transform", "--data-dir", dir)
		if err != nil {
			t.Fatalf("transform with warehouse.engine postgres: %v\n%s", err, stderr)
		}
		if !strings.HasPrefix(out, "load: 0 objects loaded, ") || !strings.Contains(out, "run 2 (incremental): promoted") {
			t.Errorf("transform with warehouse.engine postgres did not use the PostgreSQL warehouse:\n%s", out)
		}
		t.Setenv("SHOPLAKE_WAREHOUSE_DSN", "")
		if _, _, err = execute(t, "check", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "warehouse.dsn is empty: with engine postgres") {
			t.Errorf("engine postgres without a DSN: err = %v", err)
		}
	})
}

func rowsOf(hs []warehouse.TableHash, table string) int64 {
	for _, h := range hs {
		if h.Table == table {
			return h.Rows
		}
	}
	return -1
}
