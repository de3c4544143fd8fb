package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_Freshness: before any run the warehouse has no freshness;
// after one, the newest event time and the newest arrival are CORE's
// (the latest arrival is a late event, not the newest event), and the
// watermark and run are the promoted run's.
func TestWarehouse_Freshness(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		ctx := context.Background()
		w := open(t)
		f, err := w.Freshness(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.NewestEvent != nil || f.NewestArrival != nil || f.LastPromoted != nil || f.Watermark != nil {
			t.Fatalf("freshness before any run = %+v, want nothing", f)
		}
		src := newMemSource()
		src.putEvents(t, "2026-01-02", "10", "clicks-0-1-2", records(t,
			ev{id: "a", typ: "page_view", session: "s1", at: "2026-01-02T10:00:00Z"},
			ev{id: "b", typ: "page_view", session: "s1", at: "2026-01-02T10:30:00Z"},
		))
		src.putEvents(t, "2026-01-02", "11", "clicks-0-3-3", records(t,
			ev{id: "c", typ: "page_view", session: "s2", at: "2026-01-02T09:00:00Z", ingest: "2026-01-02T11:15:00Z"},
		))
		mustLoad(t, w, src)
		st := mustTransform(t, w)
		if f, err = w.Freshness(ctx); err != nil {
			t.Fatal(err)
		}
		at := func(p *time.Time) string {
			if p == nil {
				return "nil"
			}
			return p.Format(time.RFC3339)
		}
		if got, want := at(f.NewestEvent), "2026-01-02T10:30:00Z"; got != want {
			t.Errorf("newest event %s, want %s", got, want)
		}
		if got, want := at(f.NewestArrival), "2026-01-02T11:15:00Z"; got != want {
			t.Errorf("newest arrival %s, want %s (the late event's)", got, want)
		}
		if got, want := at(f.Watermark), "2026-01-01T10:30:00Z"; got != want {
			t.Errorf("watermark %s, want %s (newest event - 24 h)", got, want)
		}
		if f.LastPromoted == nil || f.LastPromoted.RunID != st.RunID {
			t.Errorf("last promoted %+v, want run %d", f.LastPromoted, st.RunID)
		}
	})
}
