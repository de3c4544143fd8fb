package warehouse_test

import (
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_Transform_ConflictingEvents: two versions of one event_id
// (different payloads) both reach RAW. CORE keeps the earliest arrival
// whichever object is loaded first, every version is recorded in
// meta.event_conflicts with the one kept and why, the check
// events_unique_payload names the id (a warning), and a full refresh gives
// the same tables and the same record. An exact copy collapses silently.
func TestWarehouse_Transform_ConflictingEvents(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		src := martsSource(t)
		// Read first: the later arrival (shard 1).
		later := src.putEvents(t, "2026-01-03", "10", "clicks-1-20-21", records(t,
			ev{id: "c-1", typ: "add_to_cart", session: "s9", at: "2026-01-03T10:00:00Z", product: 2,
				ingest: "2026-01-03T10:00:05Z", shard: "shardId-000000000001", seq: "20"},
			ev{id: "c-2", typ: "page_view", session: "s9", at: "2026-01-03T10:01:00Z",
				ingest: "2026-01-03T10:01:01Z", shard: "shardId-000000000001", seq: "21"},
		))
		// Read second: the earliest arrival (shard 0), and an exact copy of c-2.
		earlier := src.putEvents(t, "2026-01-03", "10", "clicks-0-10-11", records(t,
			ev{id: "c-1", typ: "product_view", session: "s9", at: "2026-01-03T10:00:00Z", product: 1,
				ingest: "2026-01-03T10:00:02Z", shard: "shardId-000000000000", seq: "10"},
			ev{id: "c-2", typ: "page_view", session: "s9", at: "2026-01-03T10:01:00Z",
				ingest: "2026-01-03T10:01:03Z", shard: "shardId-000000000000", seq: "11"},
		))
		var rest []string
		for _, k := range sortedKeys(src) {
			if k != later && k != earlier {
				rest = append(rest, k)
			}
		}
		const conflictsQ = `SELECT event_id, payload_hash, CAST(ingestion_time AS VARCHAR), shard_id, sequence_number,
			CAST(kept AS VARCHAR), reason FROM meta.event_conflicts ORDER BY event_id, kept DESC, payload_hash`
		var want string
		for i, order := range [][]string{{later, earlier}, {earlier, later}} {
			w := open(t)
			mustLoad(t, w, src.subset(rest...))
			mustTransform(t, w)
			var st warehouse.TransformStats
			for _, k := range order {
				mustLoad(t, w, src.subset(k))
				st = mustTransform(t, w)
			}
			if got := queryStrings(t, w, "SELECT event_type FROM core.events WHERE event_id = 'c-1'"); len(got) != 1 || got[0][0] != "product_view" {
				t.Fatalf("order %d: core.events holds %v for c-1, want the earliest arrival (product_view)", i, got)
			}
			got := joinRows(queryStrings(t, w, conflictsQ))
			if n := strings.Count(got, "\n"); n != 2 || !strings.Contains(got, "c-1|") || strings.Contains(got, "c-2|") {
				t.Fatalf("order %d: meta.event_conflicts:\n%s\nwant the two versions of c-1 only", i, got)
			}
			if !strings.Contains(got, "|true|kept: earliest arrival") {
				t.Errorf("order %d: meta.event_conflicts:\n%s\nwant the kept version and its reason", i, got)
			}
			if i == 0 {
				want = got
			} else if got != want {
				t.Errorf("meta.event_conflicts depends on the load order:\n%s\nwant\n%s", got, want)
			}
			var found bool
			for _, c := range st.Checks {
				if c.Name == "events_unique_payload" {
					found = true
					if c.Status != "warn" || c.Failures != 1 || !strings.Contains(c.Detail, "c-1") {
						t.Errorf("order %d: check %+v, want a warning naming c-1", i, c)
					}
				}
			}
			if !found {
				t.Fatal("no events_unique_payload result")
			}
			inc := mustHashes(t, w)
			transformWith(t, w, warehouse.TransformOptions{Mode: warehouse.FullRefresh})
			if got := mustHashes(t, w); !equalHashes(got, inc) {
				t.Errorf("order %d: full refresh differs from the incremental runs:\n%v\nwant\n%v", i, got, inc)
			}
			if got := joinRows(queryStrings(t, w, conflictsQ)); got != want {
				t.Errorf("order %d: after a full refresh meta.event_conflicts:\n%s\nwant\n%s", i, got, want)
			}
		}
	})
}
