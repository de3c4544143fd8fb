package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_Load_EventAge holds the lower bound on event_time: an event
// older than Options.MaxEventAge at its arrival and against the newest event
// of its batch (a client clock far behind) is quarantined with its reason,
// so that it cannot move its session, and its real day's mart rows, to
// 1970; a batch that is all from the past (a replay) is kept.
func TestWarehouse_Load_EventAge(t *testing.T) {
	evs := func(tb testing.TB) *memSource {
		src := newMemSource()
		src.putEvents(tb, "2026-01-05", "10", "s-1", records(tb,
			ev{id: "e1", typ: "page_view", session: "s1", at: "1970-01-01T00:00:00Z", ingest: "2026-01-05T10:00:00Z", seq: "1"},
			ev{id: "e2", typ: "page_view", session: "s1", at: "2026-01-05T09:59:00Z", seq: "2"},
			// Three days late: the simulator's longest late delay, kept.
			ev{id: "e3", typ: "page_view", session: "s2", at: "2026-01-02T10:00:00Z", ingest: "2026-01-05T10:00:00Z", seq: "3"},
		))
		return src
	}

	t.Run("OK", func(t *testing.T) {
		w := openTest(t)
		st := mustLoad(t, w, evs(t))
		if got, want := st.Quarantined, int64(1); got != want {
			t.Fatalf("Quarantined = %d, want %d", got, want)
		}
		got := joinRows(queryStrings(t, w, "SELECT CAST(row_no AS VARCHAR), disposition, reason FROM staging.quarantine"))
		want := "1|rejected|record 1: event_time 1970-01-01T00:00:00Z is 56 years before its arrival 2026-01-05T10:00:00Z and 56 years before the newest event of its batch: older than the maximum age 7d (a clock behind)\n"
		if got != want {
			t.Fatalf("staging.quarantine:\n%s\nwant:\n%s", got, want)
		}
		mustTransform(t, w)
		got = joinRows(queryStrings(t, w, "SELECT CAST(date AS VARCHAR), CAST(sessions AS VARCHAR) FROM marts.daily_kpis ORDER BY date"))
		if want := "2026-01-02|1\n2026-01-05|1\n"; got != want {
			t.Fatalf("daily_kpis (day, sessions):\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("Configured", func(t *testing.T) {
		w, err := warehouse.Open(context.Background(), "", warehouse.Options{EmailHashKey: testEmailKey, MaxEventAge: 48 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		st := mustLoad(t, w, evs(t))
		if got, want := st.Quarantined, int64(2); got != want {
			t.Fatalf("Quarantined = %d, want %d (MaxEventAge 48h)", got, want)
		}
		got := queryStrings(t, w, "SELECT reason FROM staging.quarantine WHERE row_no = 3")[0][0]
		if want := "record 3: event_time 2026-01-02T10:00:00Z is 3 days before its arrival 2026-01-05T10:00:00Z and 2 days before the newest event of its batch: older than the maximum age 2d (a clock behind)"; got != want {
			t.Fatalf("reason = %q, want %q", got, want)
		}
	})

	t.Run("ReplayOfThePast", func(t *testing.T) {
		// shoplake produce of a simulated January through a real stream in
		// December: every event is months older than its arrival, none is
		// behind the others. The first test of the bound alone quarantined
		// all of them (make aws-test caught it).
		src := newMemSource()
		src.putEvents(t, "2026-12-03", "10", "s-1", records(t,
			ev{id: "r1", typ: "page_view", session: "s1", at: "2026-01-05T09:00:00Z", ingest: "2026-12-03T10:00:00Z", seq: "1"},
			ev{id: "r2", typ: "page_view", session: "s1", at: "2026-01-05T09:01:00Z", ingest: "2026-12-03T10:00:00Z", seq: "2"},
			ev{id: "r3", typ: "page_view", session: "s9", at: "1970-01-01T00:00:00Z", ingest: "2026-12-03T10:00:00Z", seq: "3"},
		))
		w := openTest(t)
		st := mustLoad(t, w, src)
		if got, want := st.Quarantined, int64(1); got != want {
			t.Fatalf("Quarantined = %d, want %d: the replayed batch kept, only the 1970 event set aside", got, want)
		}
		got := joinRows(queryStrings(t, w, "SELECT CAST(row_no AS VARCHAR) FROM staging.quarantine"))
		if want := "3\n"; got != want {
			t.Fatalf("quarantined rows:\n%s\nwant:\n%s", got, want)
		}
	})
}
