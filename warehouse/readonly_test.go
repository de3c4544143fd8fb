package warehouse_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// TestHelperHoldWarehouse is not a test: the child process of
// warehousetest.HoldWriter.
func TestHelperHoldWarehouse(t *testing.T) { warehousetest.ServeHold(t) }

// TestWarehouse_OpenReadOnly: a reader opens the warehouse read-only: it
// runs no migration, reads the latest results, cannot write, shares the
// file with other readers, and is told in plain words when a writer holds
// the file.
func TestWarehouse_OpenReadOnly(t *testing.T) {
	ctx := context.Background()
	ro := warehouse.Options{ReadOnly: true}

	t.Run("NoMigration", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warehouse.duckdb")
		db, err := sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE other (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		db.Close()

		w, err := warehouse.Open(ctx, path, ro)
		if err != nil {
			t.Fatalf("read-only open of an unmigrated file: %v", err)
		}
		res, err := w.CheckResults(ctx, 0)
		if err != nil || res.RunID != 0 {
			t.Fatalf("CheckResults = %+v, %v; want no run", res, err)
		}
		w.Close()
		db, err = sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'meta'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("a read-only open migrated the file (meta schemas %d, %v)", n, err)
		}
	})

	t.Run("ReadsResults", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warehouse.duckdb")
		w, err := warehouse.Open(ctx, path, warehouse.Options{EmailHashKey: testEmailKey})
		if err != nil {
			t.Fatal(err)
		}
		mustLoad(t, w, martsSource(t))
		st := mustTransform(t, w)
		w.Close()

		r1, err := warehouse.Open(ctx, path, ro)
		if err != nil {
			t.Fatal(err)
		}
		defer r1.Close()
		r2, err := warehouse.Open(ctx, path, ro)
		if err != nil {
			t.Fatalf("a second reader: %v", err)
		}
		defer r2.Close()
		res, err := r2.CheckResults(ctx, 0)
		if err != nil || res.RunID != st.RunID || res.Status != "promoted" || len(res.Results) == 0 {
			t.Fatalf("CheckResults = %+v, %v", res, err)
		}
		if _, err := r1.Transform(ctx, warehouse.TransformOptions{}); err == nil {
			t.Fatal("a read-only warehouse transformed")
		}
	})

	t.Run("ErrBusy", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warehouse.duckdb")
		w, err := warehouse.Open(ctx, path, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		warehousetest.HoldWriter(t, path)
		_, err = warehouse.Open(ctx, path, ro)
		if !errors.Is(err, warehouse.ErrBusy) {
			t.Fatalf("read-only open while another process writes: %v, want ErrBusy", err)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "none", "warehouse.duckdb")
		if _, err := warehouse.Open(ctx, path, ro); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("read-only open of a missing file: %v, want os.ErrNotExist", err)
		}
		if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
			t.Fatal("a read-only open created the directory")
		}
	})
}

// TestPostgres_OpenReadOnly: a read-only PostgreSQL warehouse reads the
// results and cannot write.
func TestPostgres_OpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := warehousetest.PostgresDSN(t)
	w, err := warehouse.OpenPostgres(ctx, dsn, warehouse.Options{EmailHashKey: testEmailKey})
	if err != nil {
		t.Fatal(err)
	}
	mustLoad(t, w, martsSource(t))
	st := mustTransform(t, w)
	w.Close()
	r, err := warehouse.OpenPostgres(ctx, dsn, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	res, err := r.CheckResults(ctx, 0)
	if err != nil || res.RunID != st.RunID || res.Status != "promoted" {
		t.Fatalf("CheckResults = %+v, %v", res, err)
	}
	if _, err := r.Transform(ctx, warehouse.TransformOptions{}); err == nil {
		t.Fatal("a read-only warehouse transformed")
	}
}
