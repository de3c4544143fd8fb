package warehouse_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/warehouse"
)

// exportAsOf is the as-of of the export tests' transforms.
var exportAsOf = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)

// martsBuilt returns a warehouse opened by open with martsSource loaded and
// transformed as of asOf.
func martsBuilt(tb testing.TB, open func(testing.TB) *warehouse.Warehouse, asOf time.Time) *warehouse.Warehouse {
	tb.Helper()
	w := open(tb)
	mustLoad(tb, w, martsSource(tb))
	transformWith(tb, w, warehouse.TransformOptions{AsOf: asOf})
	return w
}

// mustExport exports w's marts to lk and fails tb on error.
func mustExport(tb testing.TB, w *warehouse.Warehouse, lk warehouse.Lake) warehouse.ExportStats {
	tb.Helper()
	st, err := w.ExportMarts(context.Background(), lk, warehouse.ExportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// latestExport returns the newest valid export of store; it fails tb when
// there is none.
func latestExport(tb testing.TB, store lake.Reader) lake.ReadExport {
	tb.Helper()
	ex, err := lake.LatestExport(context.Background(), store)
	if err != nil {
		tb.Fatal(err)
	}
	if ex.Latest == nil {
		tb.Fatalf("no export in the lake (skipped %+v)", ex.Skipped)
	}
	return *ex.Latest
}

// martNames are the tables of the marts schema, sorted.
var martNames = []string{"active_users", "category_conversion", "category_sales", "checkout_abandonment", "cohort_ltv", "cohort_retention",
	"customer_ltv", "daily_kpis", "order_attribution", "orders_daily", "product_conversion", "product_sales", "purchase_reconciliation",
	"revenue_daily", "session_funnel", "traffic_by_hour", "traffic_sources"}

func TestWarehouse_ExportMarts(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		w := martsBuilt(t, openTest, exportAsOf)
		store := laketest.NewStore(t)
		st := mustExport(t, w, store)
		if !st.Written || st.Export != 1 || st.Key != "curated/_exports/00000001.json" || st.Marts != len(martNames) || st.FilesWritten != len(martNames) || st.BytesWritten == 0 {
			t.Fatalf("first export = %+v, want export 1 written with %d files", st, len(martNames))
		}
		ex := latestExport(t, store)
		if ex.Number != 1 || ex.AsOf != "2026-02-01T00:00:00Z" || len(ex.Marts) != len(martNames) || len(ex.Checks) == 0 {
			t.Fatalf("manifest = %+v", ex.Export)
		}
		run, err := w.CheckResults(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range run.Results {
			c := ex.Checks[i]
			if c.Check != r.Name || c.Severity != string(r.Severity) || c.Status != r.Status || c.Failures != r.Failures {
				t.Errorf("check %d in the manifest %+v, the warehouse recorded %+v", i, c, r)
			}
		}
		reader := openTest(t)
		for i, m := range ex.Marts {
			if m.Mart != martNames[i] {
				t.Fatalf("mart %d is %s, want %s", i, m.Mart, martNames[i])
			}
			body, err := store.Get(ctx, m.Key)
			if err != nil {
				t.Fatal(err)
			}
			if sha256Hex(body) != m.SHA256 || int64(len(body)) != m.Bytes {
				t.Fatalf("%s: %d bytes, sha256 %s; the manifest says %d, %s", m.Key, len(body), sha256Hex(body), m.Bytes, m.SHA256)
			}
			// Read back with DuckDB's read_parquet into an empty warehouse's
			// table of the same name and types: the same rows.
			got := readParquetInto(t, reader, "marts."+m.Mart, body)
			want, err := w.TableRows(ctx, "marts."+m.Mart)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(want)) != m.Rows || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: read back %d rows, the mart has %d (manifest %d):\n%q\nwant\n%q", m.Mart, len(got), len(want), m.Rows, got, want)
			}
		}
		// The file's rows are in key order: daily_kpis by date.
		daily := ex.Marts[slices.Index(martNames, "daily_kpis")]
		kpis := queryParquet(t, reader, daily.Key, mustGet(t, store, daily.Key), "CAST(date AS VARCHAR)")
		for i := 1; i < len(kpis); i++ {
			if kpis[i][0] <= kpis[i-1][0] {
				t.Fatalf("daily_kpis file rows not in date order: %v", kpis)
			}
		}
		if len(kpis) < 2 {
			t.Fatalf("daily_kpis has %d rows, want several", len(kpis))
		}

		// Again: nothing written, the same export.
		again := mustExport(t, w, store)
		if again.Written || again.Export != 1 || again.FilesWritten != 0 || again.Marts != len(martNames) {
			t.Fatalf("second export = %+v, want export 1 unchanged, no file written", again)
		}
		if infos, err := store.List(ctx, lake.CuratedPrefix); err != nil || len(infos) != len(martNames)+1 {
			t.Fatalf("CURATED holds %d objects (%v), want %d marts and one manifest", len(infos), err, len(martNames))
		}
	})

	t.Run("UnchangedTransformAddsNothing", func(t *testing.T) {
		w := martsBuilt(t, openTest, exportAsOf)
		store := laketest.NewStore(t)
		mustExport(t, w, store)
		for _, mode := range []warehouse.TransformMode{warehouse.Incremental, warehouse.FullRefresh} {
			transformWith(t, w, warehouse.TransformOptions{AsOf: exportAsOf, Mode: mode})
			if st := mustExport(t, w, store); st.Written || st.Export != 1 || st.FilesWritten != 0 {
				t.Fatalf("export after an unchanged %s transform = %+v, want export 1 unchanged", mode, st)
			}
		}
	})

	t.Run("NewAsOfNewExport", func(t *testing.T) {
		w := martsBuilt(t, openTest, exportAsOf)
		store := laketest.NewStore(t)
		first := mustExport(t, w, store)
		// A later as-of changes the marts that depend on elapsed time
		// (cohorts, LTV), not the daily ones.
		transformWith(t, w, warehouse.TransformOptions{AsOf: exportAsOf.AddDate(0, 3, 0)})
		st := mustExport(t, w, store)
		if !st.Written || st.Export != 2 || st.FilesWritten == 0 || st.FilesWritten == st.Marts {
			t.Fatalf("export after a new as-of = %+v, want export 2 with some files written, not all", st)
		}
		ex := latestExport(t, store)
		if ex.AsOf != "2026-05-01T00:00:00Z" {
			t.Fatalf("as_of %s, want 2026-05-01T00:00:00Z", ex.AsOf)
		}
		// Export 1 is still there, as written.
		body := mustGet(t, store, first.Key)
		if e, err := lake.ParseExport(first.Key, body); err != nil || e.AsOf != "2026-02-01T00:00:00Z" {
			t.Fatalf("export 1 = %+v, %v", e, err)
		}
	})

	t.Run("SameBytesOnBothEngines", func(t *testing.T) {
		ws := engines(t)
		manifests := map[string][]byte{}
		files := map[string]map[string][]byte{}
		for name, w := range ws {
			mustLoad(t, w, martsSource(t))
			transformWith(t, w, warehouse.TransformOptions{AsOf: exportAsOf})
			store := laketest.NewStore(t)
			st := mustExport(t, w, store)
			manifests[name] = mustGet(t, store, st.Key)
			files[name] = map[string][]byte{}
			for _, m := range latestExport(t, store).Marts {
				files[name][m.Key] = mustGet(t, store, m.Key)
			}
		}
		if !bytes.Equal(manifests["duckdb"], manifests["postgres"]) {
			t.Fatalf("the manifests differ:\nduckdb\n%s\npostgres\n%s", manifests["duckdb"], manifests["postgres"])
		}
		if !reflect.DeepEqual(files["duckdb"], files["postgres"]) || len(files["duckdb"]) != len(martNames) {
			t.Fatalf("the mart files differ between engines")
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		w := martsBuilt(t, openTest, exportAsOf)
		// Where the marts go, learnt from an export to another lake.
		ref := latestExport(t, exportTo(t, w))
		store := laketest.NewStore(t)
		squatter := []byte("not the mart")
		key := ref.Marts[2].Key
		if err := store.PutIfAbsent(ctx, key, squatter); err != nil {
			t.Fatal(err)
		}
		_, err := w.ExportMarts(ctx, store, warehouse.ExportOptions{})
		if !errors.Is(err, lake.ErrConflict) || !strings.Contains(err.Error(), key) {
			t.Fatalf("export over another object at %s: err = %v, want lake.ErrConflict naming the key", key, err)
		}
		if got := mustGet(t, store, key); !bytes.Equal(got, squatter) {
			t.Fatalf("the object at %s was overwritten", key)
		}
		if ex, err := lake.LatestExport(ctx, store); err != nil || ex.Latest != nil || ex.Highest != 0 {
			t.Fatalf("a manifest was written after the conflict: %+v, %v", ex, err)
		}
	})

	t.Run("CorruptManifestSkipped", func(t *testing.T) {
		w := martsBuilt(t, openTest, exportAsOf)
		store := laketest.NewStore(t)
		mustExport(t, w, store)
		// Someone writes export 2 by hand, invalid: the next export is 3,
		// and says it passed 2 over.
		if err := store.PutIfAbsent(ctx, "curated/_exports/00000002.json", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		transformWith(t, w, warehouse.TransformOptions{AsOf: exportAsOf.AddDate(0, 1, 0)})
		st := mustExport(t, w, store)
		if st.Export != 3 || !st.Written || len(st.Skipped) != 1 || !strings.HasPrefix(st.Skipped[0], "curated/_exports/00000002.json: not a valid export manifest") {
			t.Fatalf("export beside an invalid manifest = %+v, want export 3 and manifest 2 skipped", st)
		}
	})

	t.Run("ErrNoRun", func(t *testing.T) {
		w := openTest(t)
		if _, err := w.ExportMarts(ctx, laketest.NewStore(t), warehouse.ExportOptions{}); !errors.Is(err, warehouse.ErrNoRun) {
			t.Fatalf("export before any run: err = %v, want ErrNoRun", err)
		}
	})

	t.Run("BlockedRunExportsNothingNew", func(t *testing.T) {
		w := martsBuilt(t, openTest, exportAsOf)
		store := laketest.NewStore(t)
		mustExport(t, w, store)
		src := martsSource(t)
		src.putJSON(t, "carts", "2026-01-05", []cart{{ID: 2001, UserID: 9, Date: "2026-01-05T10:00:00.000Z", Status: "Shipped", Products: []cartLine{{1, 2}}}})
		mustLoad(t, w, src)
		if _, err := w.Transform(ctx, warehouse.TransformOptions{AsOf: exportAsOf}); !errors.Is(err, warehouse.ErrCheckFailed) {
			t.Fatalf("Transform err = %v, want ErrCheckFailed", err)
		}
		// The marts are the last promoted run's: the export is unchanged.
		if st := mustExport(t, w, store); st.Written || st.Export != 1 || st.FilesWritten != 0 {
			t.Fatalf("export after a blocked run = %+v, want export 1 unchanged", st)
		}
	})
}

// exportTo exports w's marts to a new lake and returns it.
func exportTo(tb testing.TB, w *warehouse.Warehouse) *lake.S3Store {
	tb.Helper()
	store := laketest.NewStore(tb)
	mustExport(tb, w, store)
	return store
}

func mustGet(tb testing.TB, store lake.Reader, key string) []byte {
	tb.Helper()
	b, err := store.Get(context.Background(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// readParquetInto replaces the rows of table (schema.name) in the DuckDB
// warehouse w by those of the Parquet file body, read with read_parquet,
// and returns them as TableRows does. The table's types must take the
// file's columns.
func readParquetInto(tb testing.TB, w *warehouse.Warehouse, table string, body []byte) [][]string {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "mart.parquet")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		tb.Fatal(err)
	}
	// The file's column types are the table's: a UNION BY NAME of the two
	// describes would show a difference.
	typesOf := func(q string) [][]string {
		return queryStrings(tb, w, "SELECT column_name, column_type FROM (DESCRIBE "+q+")")
	}
	if got, want := typesOf("SELECT * FROM read_parquet('"+path+"')"), typesOf("SELECT * FROM "+table); !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s: the file's columns are %v, the table's %v", table, got, want)
	}
	for _, q := range []string{"DELETE FROM " + table, "INSERT INTO " + table + " SELECT * FROM read_parquet('" + path + "')"} {
		if _, err := w.DB().ExecContext(ctx, q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	rows, err := w.TableRows(ctx, table)
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// queryParquet returns the columns cols (SQL expressions) of the Parquet
// file body, in the file's row order, as text.
func queryParquet(tb testing.TB, w *warehouse.Warehouse, name string, body []byte, cols string) [][]string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), filepath.Base(name))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		tb.Fatal(err)
	}
	return queryStrings(tb, w, "SELECT "+cols+" FROM read_parquet('"+path+"')")
}
