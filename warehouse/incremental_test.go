package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/warehouse"
)

// eachEngine runs fn on a fresh DuckDB warehouse and, in a subtest that is
// skipped without a server (failed under CI), on a fresh PostgreSQL one.
func eachEngine(t *testing.T, fn func(t *testing.T, open func(testing.TB) *warehouse.Warehouse)) {
	t.Run("duckdb", func(t *testing.T) { fn(t, openTest) })
	t.Run("postgres", func(t *testing.T) { fn(t, openPostgresTest) })
}

func transformWith(tb testing.TB, w *warehouse.Warehouse, opts warehouse.TransformOptions) warehouse.TransformStats {
	tb.Helper()
	st, err := w.Transform(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func TestWarehouse_Transform_Incremental(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		src := martsSource(t)
		src.putEvents(t, "2026-01-03", "10", "clicks-0-201-210", records(t,
			ev{id: "s8-1", typ: "product_view", session: "s8", at: "2026-01-03T10:00:00Z", product: 1},
			ev{id: "s8-2", typ: "purchase", session: "s8", at: "2026-01-03T10:05:00Z", order: 1004},
		))

		t.Run("SecondRunChangesNothing", func(t *testing.T) {
			w := open(t)
			mustLoad(t, w, src)
			mustTransform(t, w)
			want := mustHashes(t, w)
			st := mustTransform(t, w)
			if st.EventsIn != 0 || st.DaysRebuilt != 0 || st.Status != "promoted" {
				t.Fatalf("second run: events in %d, days rebuilt %d, status %s; want 0, 0, promoted", st.EventsIn, st.DaysRebuilt, st.Status)
			}
			if got := mustHashes(t, w); !equalHashes(got, want) {
				t.Fatalf("second run changed tables:\n%v\nwant\n%v", got, want)
			}
		})

		t.Run("FullRefreshEqualsIncremental", func(t *testing.T) {
			w := open(t)
			for _, k := range sortedKeys(src) {
				mustLoad(t, w, src.subset(k))
				mustTransform(t, w)
			}
			incremental := mustHashes(t, w)
			st := transformWith(t, w, warehouse.TransformOptions{Mode: warehouse.FullRefresh})
			if st.DaysRebuilt == 0 {
				t.Fatal("full refresh rebuilt no day")
			}
			if got := mustHashes(t, w); !equalHashes(got, incremental) {
				t.Fatalf("full refresh differs from the incremental runs:\n%v\nwant\n%v", got, incremental)
			}
			one := open(t)
			mustLoad(t, one, src)
			mustTransform(t, one)
			if got := mustHashes(t, one); !equalHashes(got, incremental) {
				t.Fatalf("one run over everything differs from the incremental runs:\n%v\nwant\n%v", got, incremental)
			}
		})
	})
}

// TestWarehouse_Transform_LateData: with an allowed lateness of one hour, a
// day is final once an event an hour past its end has been seen. An event
// for a day that is not final updates it in the next run; an event for a
// final day is kept, flagged, its day queued, and a backfill rebuilds it,
// after which the tables equal a full refresh.
func TestWarehouse_Transform_LateData(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		opts := warehouse.TransformOptions{AllowedLateness: time.Hour}
		w := open(t)
		src := newMemSource()
		src.putJSON(t, "products", "2026-01-01", []product{{1, "Lamp", 10, "home"}})
		src.putEvents(t, "2026-01-01", "10", "clicks-0-1-2", records(t,
			ev{id: "a1", typ: "page_view", session: "a", at: "2026-01-01T10:00:00Z"},
			ev{id: "b1", typ: "page_view", session: "b", at: "2026-01-01T22:30:00Z"},
		))
		mustLoad(t, w, src)
		transformWith(t, w, opts) // watermark 2026-01-01 21:30: nothing final

		// Within the lateness: a session of day 1 arriving late, with the
		// first event of day 2.
		src.putEvents(t, "2026-01-02", "00", "clicks-0-3-4", records(t,
			ev{id: "c1", typ: "page_view", session: "c", at: "2026-01-01T23:50:00Z", ingest: "2026-01-02T00:20:00Z"},
			ev{id: "d1", typ: "page_view", session: "d", at: "2026-01-02T01:30:00Z"},
		))
		mustLoad(t, w, src)
		st := transformWith(t, w, opts) // watermark 2026-01-02 00:30: day 1 final from the next run on
		if st.LateEvents != 0 || st.DaysQueued != 0 || st.DaysRebuilt != 2 {
			t.Fatalf("within lateness: late %d, queued %d, rebuilt %d; want 0, 0, 2", st.LateEvents, st.DaysQueued, st.DaysRebuilt)
		}
		day1 := func() int64 {
			kpis, err := w.DailyKPIs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return kpis[0].Sessions
		}
		if got := day1(); got != 3 {
			t.Fatalf("day 1 sessions = %d, want 3", got)
		}

		// Beyond the lateness: day 1 is final. The late event is flagged,
		// its day queued, and the same run rebuilds it (within the backfill
		// limit): no mart is left stale.
		src.putEvents(t, "2026-01-02", "12", "clicks-0-5-6", records(t,
			ev{id: "e1", typ: "page_view", session: "e", at: "2026-01-01T12:00:00Z", ingest: "2026-01-02T12:00:00Z"},
			ev{id: "f1", typ: "page_view", session: "f", at: "2026-01-02T11:00:00Z"},
		))
		mustLoad(t, w, src)
		st = transformWith(t, w, opts)
		if st.LateEvents != 1 || st.DaysQueued != 1 || st.DaysBackfilled != 1 || st.DaysPending != 0 || st.DaysRebuilt != 2 {
			t.Fatalf("beyond lateness: late %d, queued %d, backfilled %d, pending %d, rebuilt %d; want 1, 1, 1, 0, 2",
				st.LateEvents, st.DaysQueued, st.DaysBackfilled, st.DaysPending, st.DaysRebuilt)
		}
		if got := day1(); got != 4 {
			t.Fatalf("day 1 sessions = %d after a late event, want 4 (rebuilt in the same run)", got)
		}
		if c := checkNamed(t, st.Checks, "backfill_pending"); c.Status != "pass" {
			t.Fatalf("backfill_pending = %+v with nothing pending, want pass", c)
		}
		late, err := w.TableRows(ctx, "meta.late_events")
		if err != nil {
			t.Fatal(err)
		}
		if len(late) != 1 || late[0][0] != "e1" {
			t.Fatalf("meta.late_events = %q, want e1", late)
		}
		if n := mustHashes(t, w); rowsOf(n, "core.events") != 6 {
			t.Fatalf("core.events has %d rows, want 6 (the late event is kept)", rowsOf(n, "core.events"))
		}
		queue, err := w.TableRows(ctx, "meta.backfill_queue")
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) != 1 || queue[0][0] != "2026-01-01T00:00:00.000000Z" || queue[0][3] != fmt.Sprint(st.RunID) {
			t.Fatalf("meta.backfill_queue = %q, want 2026-01-01 done by run %d", queue, st.RunID)
		}

		// Late events on two final days with a limit of one: the older day
		// is rebuilt, the other stays queued and stale, and the warning
		// check names it and the command that fixes it.
		src.putEvents(t, "2026-01-04", "11", "clicks-0-7-7", records(t,
			ev{id: "l1", typ: "page_view", session: "l", at: "2026-01-04T11:00:00Z"},
		))
		mustLoad(t, w, src)
		limited := opts
		limited.BackfillLimit = 1
		transformWith(t, w, limited) // watermark 2026-01-04 10:00: days 1 to 3 final
		src.putEvents(t, "2026-01-04", "12", "clicks-0-8-9", records(t,
			ev{id: "j1", typ: "page_view", session: "j", at: "2026-01-01T14:00:00Z", ingest: "2026-01-04T12:00:00Z"},
			ev{id: "k1", typ: "page_view", session: "k", at: "2026-01-02T14:00:00Z", ingest: "2026-01-04T12:00:00Z"},
		))
		mustLoad(t, w, src)
		st = transformWith(t, w, limited)
		if st.LateEvents != 2 || st.DaysQueued != 2 || st.DaysBackfilled != 1 || st.DaysPending != 1 {
			t.Fatalf("limit 1: late %d, queued %d, backfilled %d, pending %d; want 2, 2, 1, 1",
				st.LateEvents, st.DaysQueued, st.DaysBackfilled, st.DaysPending)
		}
		c := checkNamed(t, st.Checks, "backfill_pending")
		if c.Status != "warn" || c.Failures != 1 || !strings.Contains(c.Detail, "2026-01-02") || !strings.Contains(c.Detail, "shoplake transform --backfill") {
			t.Fatalf("backfill_pending = %+v, want warn naming 2026-01-02 and the command", c)
		}
		if st.Status != warehouse.StatusPromoted {
			t.Fatalf("status %q, want promoted (the check warns)", st.Status)
		}

		st = transformWith(t, w, warehouse.TransformOptions{Mode: warehouse.Backfill, AllowedLateness: time.Hour})
		if st.DaysBackfilled != 1 || st.DaysPending != 0 {
			t.Fatalf("backfill: backfilled %d, pending %d; want 1, 0", st.DaysBackfilled, st.DaysPending)
		}
		backfilled := mustHashes(t, w)
		transformWith(t, w, warehouse.TransformOptions{Mode: warehouse.FullRefresh, AllowedLateness: time.Hour})
		if got := mustHashes(t, w); !equalHashes(got, backfilled) {
			t.Fatalf("full refresh differs from incremental + backfill:\n%v\nwant\n%v", got, backfilled)
		}
	})
}

// checkNamed returns the result of the check name among cs.
func checkNamed(t *testing.T, cs []warehouse.CheckResult, name string) warehouse.CheckResult {
	t.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %s in %+v", name, cs)
	return warehouse.CheckResult{}
}

func rowsOf(hs []warehouse.TableHash, table string) int64 {
	for _, h := range hs {
		if h.Table == table {
			return h.Rows
		}
	}
	return -1
}
