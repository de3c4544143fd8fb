package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_Sessions_Incremental: core.sessions and
// core.session_products follow the events run by run: a late event moves a
// session's start and date and its funnel step, a copy that arrived earlier
// moves an event to another session (the session it leaves, having no other
// event, is deleted, with its products), and after every run the tables
// equal those of a full refresh.
func TestWarehouse_Sessions_Incremental(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		src := martsSource(t)
		first := src.putEvents(t, "2026-01-03", "10", "clicks-0-100-101", records(t,
			ev{id: "x-1", typ: "product_view", session: "sx", at: "2026-01-03T10:00:00Z", product: 1, seq: "100"},
			ev{id: "x-2", typ: "add_to_cart", session: "sx", at: "2026-01-03T10:05:00Z", product: 1, seq: "101"},
			ev{id: "y-1", typ: "product_view", session: "sy", at: "2026-01-03T11:00:00Z", product: 2,
				ingest: "2026-01-03T11:00:09Z", shard: "shardId-000000000001", seq: "200"},
		))
		late := src.putEvents(t, "2026-01-03", "23", "clicks-0-300-301", records(t,
			// before x-1, on the day before: the session starts on 2026-01-02
			ev{id: "x-0", typ: "page_view", session: "sx", at: "2026-01-02T23:59:00Z", seq: "300"},
			ev{id: "x-3", typ: "begin_checkout", session: "sx", at: "2026-01-03T10:06:00Z", seq: "301"},
			// an earlier arrival of y-1 in session sz: sy loses its only event
			ev{id: "y-1", typ: "product_view", session: "sz", at: "2026-01-03T11:00:00Z", product: 2,
				ingest: "2026-01-03T11:00:01Z", seq: "302"},
		))
		var rest []string
		for _, k := range sortedKeys(src) {
			if k != first && k != late {
				rest = append(rest, k)
			}
		}
		const sessionsQ = `SELECT session_id, CAST(session_date AS VARCHAR), CAST(started_at AS VARCHAR), CAST(ended_at AS VARCHAR),
			CAST(events AS VARCHAR), CAST(purchase_events AS VARCHAR), CAST(funnel_step AS VARCHAR)
			FROM core.sessions WHERE session_id IN ('sx', 'sy', 'sz') ORDER BY session_id`
		const productsQ = `SELECT session_id, CAST(product_id AS VARCHAR), CAST(session_date AS VARCHAR), CAST(viewed AS VARCHAR), CAST(carted AS VARCHAR)
			FROM core.session_products WHERE session_id IN ('sx', 'sy', 'sz') ORDER BY session_id, product_id`
		steps := []sessionStep{
			{rest, "", ""},
			{[]string{first},
				"sx|2026-01-03|2026-01-03 10:00:00|2026-01-03 10:05:00|2|0|2\n" +
					"sy|2026-01-03|2026-01-03 11:00:00|2026-01-03 11:00:00|1|0|1\n",
				"sx|1|2026-01-03|true|true\nsy|2|2026-01-03|true|false\n"},
			{[]string{late},
				"sx|2026-01-02|2026-01-02 23:59:00|2026-01-03 10:06:00|4|0|3\n" +
					"sz|2026-01-03|2026-01-03 11:00:00|2026-01-03 11:00:00|1|0|1\n",
				"sx|1|2026-01-02|true|true\nsz|2|2026-01-03|true|false\n"},
		}
		w := open(t)
		for i, s := range steps {
			mustLoad(t, w, src.subset(s.keys...))
			mustTransform(t, w)
			if got := joinRows(queryStrings(t, w, sessionsQ)); got != s.sessions {
				t.Errorf("run %d: core.sessions:\n%s\nwant\n%s", i+1, got, s.sessions)
			}
			if got := joinRows(queryStrings(t, w, productsQ)); got != s.products {
				t.Errorf("run %d: core.session_products:\n%s\nwant\n%s", i+1, got, s.products)
			}
			inc := mustHashes(t, w)
			full := open(t)
			mustLoad(t, full, src.subset(append(append([]string{}, rest...), flatten(steps[1:i+1])...)...))
			transformWith(t, full, warehouse.TransformOptions{Mode: warehouse.FullRefresh})
			if got := mustHashes(t, full); !equalHashes(got, inc) {
				t.Errorf("run %d: a full refresh differs from the incremental runs:\n%v\nwant\n%v", i+1, got, inc)
			}
		}
		// The marts count sx on its new date (beside the fixture's s6 and
		// s7, which purchased), and sy nowhere.
		got := joinRows(queryStrings(t, w, `SELECT CAST(date AS VARCHAR), CAST(sessions AS VARCHAR)
			FROM marts.session_funnel WHERE step_order = 3 AND date >= DATE '2026-01-02' ORDER BY date`))
		if want := "2026-01-02|3\n2026-01-03|0\n"; got != want {
			t.Errorf("sessions reaching begin_checkout by date:\n%s\nwant\n%s", got, want)
		}
	})
}

// sessionStep is one run of TestWarehouse_Sessions_Incremental: the
// objects it loads and the rows it expects.
type sessionStep struct {
	keys               []string
	sessions, products string
}

// flatten joins the keys of steps.
func flatten(steps []sessionStep) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.keys...)
	}
	return out
}

// TestWarehouse_Check_SessionsCoverEvents: an event written into
// core.events outside the models (no session row counts it) blocks the next
// run with the blocking check sessions_cover_events, which gives both counts
// and the way out; a full refresh rebuilds the sessions from STAGING and
// passes (the stray row is gone with the rest of CORE).
func TestWarehouse_Check_SessionsCoverEvents(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		w := open(t)
		mustLoad(t, w, martsSource(t))
		mustTransform(t, w)
		var events int64
		if err := w.DB().QueryRowContext(ctx, "SELECT count(*) FROM core.events").Scan(&events); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DB().ExecContext(ctx, `INSERT INTO core.events (event_id, event_type, event_time, ingestion_time,
			       session_id, user_id, anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number)
			SELECT 'stray-' || event_id, event_type, event_time, ingestion_time, session_id, user_id, anonymous_id,
			       product_id, quantity, price, order_id, shard_id, sequence_number
			FROM core.events WHERE event_id = (SELECT min(event_id) FROM core.events)`); err != nil {
			t.Fatal(err)
		}
		st, err := w.Transform(ctx, warehouse.TransformOptions{})
		if !errors.Is(err, warehouse.ErrCheckFailed) {
			t.Fatalf("Transform err = %v, want ErrCheckFailed", err)
		}
		want := fmt.Sprintf("core.events holds %d events, core.sessions counts %d", events+1, events)
		if r := checkResult(t, st, "sessions_cover_events"); r.Status != "fail" || r.Failures != 1 ||
			!strings.Contains(r.Detail, want) || !strings.Contains(r.Detail, "--full-refresh") {
			t.Fatalf("sessions_cover_events = %+v, want a failure saying %q and the way out", r, want)
		}
		st = transformWith(t, w, warehouse.TransformOptions{Mode: warehouse.FullRefresh})
		if r := checkResult(t, st, "sessions_cover_events"); r.Status != "pass" {
			t.Fatalf("after a full refresh sessions_cover_events = %+v", r)
		}
	})
}

// TestWarehouse_Check_EventsUniqueID: core.events has no primary key
// (migration 019); an id the run writes that CORE holds twice blocks the run
// with events_unique_id, naming it (PostgreSQL's MERGE refuses such a
// target before the check runs: the run fails either way).
func TestWarehouse_Check_EventsUniqueID(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		src := martsSource(t)
		src.putEvents(t, "2026-01-03", "10", "clicks-0-500-500", records(t,
			ev{id: "u-1", typ: "page_view", session: "su", at: "2026-01-03T10:00:00Z", ingest: "2026-01-03T10:00:09Z", seq: "500"}))
		earlier := src.putEvents(t, "2026-01-03", "11", "clicks-1-600-600", records(t,
			ev{id: "u-1", typ: "page_view", session: "su", at: "2026-01-03T10:00:00Z", ingest: "2026-01-03T10:00:01Z",
				shard: "shardId-000000000001", seq: "600"}))
		var rest []string
		for _, k := range sortedKeys(src) {
			if k != earlier {
				rest = append(rest, k)
			}
		}
		w := open(t)
		mustLoad(t, w, src.subset(rest...))
		if r := checkResult(t, mustTransform(t, w), "events_unique_id"); r.Status != "pass" {
			t.Fatalf("events_unique_id = %+v before the stray row", r)
		}
		if _, err := w.DB().ExecContext(ctx, `INSERT INTO core.events SELECT * FROM core.events WHERE event_id = 'u-1'`); err != nil {
			t.Fatal(err)
		}
		mustLoad(t, w, src.subset(earlier))
		st, err := w.Transform(ctx, warehouse.TransformOptions{})
		switch {
		case errors.Is(err, warehouse.ErrCheckFailed):
			if r := checkResult(t, st, "events_unique_id"); r.Status != "fail" || r.Failures != 1 || !strings.Contains(r.Detail, "u-1") {
				t.Fatalf("events_unique_id = %+v, want a failure naming u-1", r)
			}
		case err != nil && strings.Contains(err.Error(), "MERGE command cannot affect row a second time"):
			// PostgreSQL's MERGE refuses first: the run fails as loudly.
		default:
			t.Fatalf("Transform err = %v, want the run blocked by events_unique_id", err)
		}
	})
}

// TestMigration024_UpgradesSessions: a warehouse built before migration 024
// (no core.sessions.user_id, funnel_step by the strict definition, marts
// built from it) is upgraded in place when opened: the migration fills
// user_id, recomputes funnel_step and queues every session date, and the
// next transform, with no new data, rebuilds the funnel as a warehouse built
// from scratch has it.
func TestMigration024_UpgradesSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.duckdb")
	openAt := func() *warehouse.Warehouse {
		w, err := warehouse.Open(ctx, path, warehouse.Options{EmailHashKey: testEmailKey})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	const sessionsQ = `SELECT session_id, CAST(funnel_step AS VARCHAR), COALESCE(CAST(user_id AS VARCHAR), 'null')
		FROM core.sessions ORDER BY session_id`
	const funnelQ = `SELECT CAST(date AS VARCHAR), CAST(step_order AS VARCHAR), CAST(sessions AS VARCHAR)
		FROM marts.session_funnel ORDER BY date, step_order`
	w := openAt()
	mustLoad(t, w, martsSource(t))
	mustTransform(t, w)
	wantSessions := joinRows(queryStrings(t, w, sessionsQ))
	wantFunnel := joinRows(queryStrings(t, w, funnelQ))
	if !strings.Contains(wantSessions, "s6|4|") {
		t.Fatalf("core.sessions: a purchase alone should reach step 4:\n%s", wantSessions)
	}
	w.Close()

	// Back to the schema and values before 024.
	for _, stmt := range []string{
		"DELETE FROM meta.schema_migrations WHERE version = 24",
		"ALTER TABLE core.sessions DROP COLUMN user_id",
		"UPDATE core.sessions SET funnel_step = 1",
		"UPDATE marts.session_funnel SET sessions = 0",
	} {
		execOn(t, path, stmt)
	}
	w = openAt()
	defer w.Close()
	if got := joinRows(queryStrings(t, w, sessionsQ)); got != wantSessions {
		t.Errorf("core.sessions after the migration:\n%s\nwant\n%s", got, wantSessions)
	}
	queued := queryStrings(t, w, "SELECT count(*) FROM meta.backfill_queue WHERE done_run IS NULL AND reason LIKE 'migration 024%'")
	if queued[0][0] == "0" {
		t.Fatal("the migration queued no date for backfill")
	}
	mustTransform(t, w)
	if got := joinRows(queryStrings(t, w, funnelQ)); got != wantFunnel {
		t.Errorf("marts.session_funnel after the next transform:\n%s\nwant\n%s", got, wantFunnel)
	}
}
