package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/warehouse"
)

// TestIngestLedger_OutsideDate: a carts object whose list had carts of
// other dates, dropped by --filter-carts-by-date, is recorded with their
// count (meta.ingest_objects.outside_date, migration 016), and the run
// says how many over its objects. Both engines.
func TestIngestLedger_OutsideDate(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		w := open(t)
		l := w.IngestLedger()
		day := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
		run, err := l.BeginRun(ctx, day, day)
		if err != nil {
			t.Fatal(err)
		}
		objs := []ingest.Object{
			{Entity: "users", Key: "raw/fakestore/users/dt=2020-03-01/a.json", SHA256: "a", Rows: 10},
			{Entity: "carts", Key: "raw/fakestore/carts/dt=2020-03-01/b.json", SHA256: "b", Rows: 4, OutsideDate: 3},
		}
		if err := l.FinishRun(ctx, ingest.RunRecord{Run: run, Status: ingest.StatusCommitted, FinishedAt: day, Objects: objs}); err != nil {
			t.Fatal(err)
		}
		got := joinRows(queryStrings(t, w, "SELECT entity, CAST(outside_date AS VARCHAR) FROM meta.ingest_objects ORDER BY entity"))
		if want := "carts|3\nusers|0\n"; got != want {
			t.Errorf("meta.ingest_objects (entity, outside_date):\n%s\nwant:\n%s", got, want)
		}
		runs, err := l.Runs(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].OutsideDate != 3 {
			t.Fatalf("runs = %+v, want one with outside_date 3", runs)
		}
	})
}
