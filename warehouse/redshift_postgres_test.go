package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// openRedshiftOnPostgres opens the Redshift dialect on a fresh PostgreSQL
// database, COPY from S3 and LISTAGG swapped out
// (warehouse.OpenRedshiftOnPostgres): everything else Redshift runs, the
// STAGING loads' statements around the COPY, the MERGEs, the INSERTs and
// the rewritten models, runs on PostgreSQL. Skipped without a server,
// failed under CI.
func openRedshiftOnPostgres(tb testing.TB) *warehouse.Warehouse {
	tb.Helper()
	w, err := warehouse.OpenRedshiftOnPostgres(context.Background(), warehousetest.PostgresDSN(tb), warehouse.Options{EmailHashKey: testEmailKey})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w
}

// sameMerges fails tb unless two runs merged the same counts into CORE.
func sameMerges(tb testing.TB, duck, rs warehouse.TransformStats) {
	tb.Helper()
	if !reflect.DeepEqual(duck.Core, rs.Core) {
		tb.Errorf("merge counts differ:\nduckdb   %+v\nredshift %+v", duck.Core, rs.Core)
	}
	if duck.EventsIn != rs.EventsIn || duck.DaysRebuilt != rs.DaysRebuilt || duck.LateEvents != rs.LateEvents {
		tb.Errorf("run stats differ:\nduckdb   %+v\nredshift %+v", duck, rs)
	}
}

// TestRedshift_OnPostgres_SameAsDuckDB: the Redshift dialect's SQL, run on
// PostgreSQL, builds the same CORE and MARTS as DuckDB from the same lake,
// with the same merge counts.
func TestRedshift_OnPostgres_SameAsDuckDB(t *testing.T) {
	sources := map[string]func(testing.TB) *memSource{
		"Fixtures": func(tb testing.TB) *memSource { s, _ := fixtureSource(tb); return s },
		"History":  historySource,
		"Marts":    martsSource,
	}
	for name, mk := range sources {
		t.Run(name, func(t *testing.T) {
			rs := openRedshiftOnPostgres(t)
			if got := rs.DialectName(); got != "redshift-on-postgres" {
				t.Fatalf("dialect %q", got)
			}
			duck := openTest(t)
			src := mk(t)
			opts := warehouse.TransformOptions{AsOf: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
			var stats []warehouse.TransformStats
			for _, w := range []*warehouse.Warehouse{duck, rs} {
				mustLoad(t, w, src)
				st, err := w.Transform(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				stats = append(stats, st)
			}
			sameMerges(t, stats[0], stats[1])
			compareEngines(t, duck, rs)
		})
	}
}

// TestRedshift_OnPostgres_Incremental loads one object at a time with a
// Transform after each, on DuckDB and on the Redshift dialect, then a full
// refresh: every run merges the same counts, and the tables end equal.
func TestRedshift_OnPostgres_Incremental(t *testing.T) {
	duck, rs := openTest(t), openRedshiftOnPostgres(t)
	src := martsSource(t)
	for _, k := range sortedKeys(src) {
		one := src.subset(k)
		mustLoad(t, duck, one)
		mustLoad(t, rs, one)
		sameMerges(t, mustTransform(t, duck), mustTransform(t, rs))
	}
	compareEngines(t, duck, rs)
	var stats []warehouse.TransformStats
	for _, w := range []*warehouse.Warehouse{duck, rs} {
		st, err := w.Transform(context.Background(), warehouse.TransformOptions{Mode: warehouse.FullRefresh})
		if err != nil {
			t.Fatal(err)
		}
		stats = append(stats, st)
	}
	sameMerges(t, stats[0], stats[1])
	compareEngines(t, duck, rs)
}

// TestRedshift_OnPostgres_BlockingCheck: a blocking check stops the
// promotion on the Redshift dialect as on the others.
func TestRedshift_OnPostgres_BlockingCheck(t *testing.T) {
	testBlockingCheck(t, openRedshiftOnPostgres(t))
}

// TestRedshift_Load_ErrStagingNotInLake: an object whose STAGING files in
// the lake are damaged is loaded by the other engines from RAW, but
// Redshift, which COPYs from S3, refuses it and loads nothing of it.
func TestRedshift_Load_ErrStagingNotInLake(t *testing.T) {
	src := martsSource(t)
	mustLoad(t, openTest(t), src) // stages every object in the lake
	damaged := ""
	for _, k := range sortedKeys(src) {
		if strings.HasPrefix(k, "staging/fakestore_products/") {
			src.objects[k] = []byte("not parquet")
			damaged = k
			break
		}
	}
	if damaged == "" {
		t.Fatal("no products staging file in the lake")
	}
	rs := openRedshiftOnPostgres(t)
	_, err := load(t, rs, src)
	if !errors.Is(err, warehouse.ErrStagingNotInLake) || !strings.Contains(err.Error(), damaged) {
		t.Fatalf("load: err = %v, want ErrStagingNotInLake naming %s", err, damaged)
	}
	for _, r := range queryStrings(t, rs, "SELECT DISTINCT raw_key FROM staging.fakestore_products") {
		if k, err := lake.StagingKey("fakestore_products", "products", r[0]); err != nil || k == damaged {
			t.Errorf("staging.fakestore_products holds rows of %s, whose staging %s was refused (%v)", r[0], damaged, err)
		}
	}
}

// TestRedshift_Insert: Redshift's multi-row INSERTs, run on PostgreSQL,
// write every row and value, across batches.
func TestRedshift_Insert(t *testing.T) {
	ctx := context.Background()
	w := openRedshiftOnPostgres(t)
	if _, err := w.DB().ExecContext(ctx, `CREATE TABLE meta.redshift_insert_test (
		id BIGINT, name VARCHAR, price DECIMAL(18,2), at TIMESTAMP, ok BOOLEAN)`); err != nil {
		t.Fatal(err)
	}
	cols := []string{"id", "name", "price", "at", "ok"}
	at := time.Date(2026, 1, 5, 10, 0, 0, 123456000, time.FixedZone("CET", 3600))
	var rows [][]any
	for i := range 1234 {
		var name any = fmt.Sprintf("n'%d\"", i)
		if i%7 == 0 {
			name = nil
		}
		rows = append(rows, []any{int64(i), name, money.Cents(i*100 + 5), at.Add(time.Duration(i) * time.Second), i%2 == 0})
	}
	if err := warehouse.RedshiftInsert(ctx, w.DB(), "meta", "redshift_insert_test", cols, rows); err != nil {
		t.Fatal(err)
	}
	got := queryStrings(t, w, `SELECT id, COALESCE(name, '<null>'), CAST(price AS VARCHAR), CAST(at AS VARCHAR), CAST(ok AS VARCHAR)
		FROM meta.redshift_insert_test ORDER BY id`)
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	for _, i := range []int{0, 1, 499, 500, 1233} {
		name := fmt.Sprintf("n'%d\"", i)
		if i%7 == 0 {
			name = "<null>"
		}
		want := []string{fmt.Sprint(i), name, fmt.Sprintf("%d.05", i), at.UTC().Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05.999999"), fmt.Sprint(i%2 == 0)}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("row %d = %q, want %q", i, got[i], want)
		}
	}
	err := warehouse.RedshiftInsert(ctx, w.DB(), "meta", "redshift_insert_test", cols, [][]any{{int64(1), "a\x00b", money.Cents(1), at, true}})
	if !errors.Is(err, warehouse.ErrNULByte) {
		t.Fatalf("a NUL byte: err = %v, want ErrNULByte", err)
	}
}

// The suites written for every engine, run on the Redshift dialect: ids
// leaving CORE (the DELETE of MERGE's BY SOURCE clause), empty snapshots,
// RAW objects set aside at load.
func TestRedshift_OnPostgres_DuplicateIDs(t *testing.T) {
	testDuplicateIDs(t, openRedshiftOnPostgres(t))
}

func TestRedshift_OnPostgres_EmptySnapshot(t *testing.T) {
	testEmptySnapshot(t, openRedshiftOnPostgres(t))
}

func TestRedshift_OnPostgres_LoadQuarantinesObjects(t *testing.T) {
	testLoadQuarantinesObjects(t, openRedshiftOnPostgres(t))
}
