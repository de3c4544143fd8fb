package warehouse_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/internal/tz"
	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_TimeZone: the marts count days in the business time zone;
// a warehouse built in one zone refuses an incremental run in another
// (nothing changes) and a full refresh rebuilds it in the new one, which is
// then recorded; a new warehouse starts in any zone.
func TestWarehouse_TimeZone(t *testing.T) {
	ctx := context.Background()
	tokyo, err := tz.Load("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.duckdb")
	openIn := func(z *tz.Zone) *warehouse.Warehouse {
		w, err := warehouse.Open(ctx, path, warehouse.Options{EmailHashKey: testEmailKey, TimeZone: z})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	const kpisQ = `SELECT CAST(date AS VARCHAR), CAST(sessions AS VARCHAR), CAST(orders AS VARCHAR) FROM marts.daily_kpis ORDER BY date`
	const zoneQ = `SELECT name FROM meta.business_time_zone`

	w := openIn(nil)
	mustLoad(t, w, martsSource(t))
	mustTransform(t, w)
	inUTC := joinRows(queryStrings(t, w, kpisQ))
	w.Close()

	w = openIn(tokyo)
	defer func() { w.Close() }()
	if _, err := w.Transform(ctx, warehouse.TransformOptions{}); !errors.Is(err, warehouse.ErrTimeZoneChanged) {
		t.Fatalf("an incremental run in another zone: %v, want ErrTimeZoneChanged", err)
	}
	if got := joinRows(queryStrings(t, w, kpisQ)); got != inUTC {
		t.Fatalf("the refused run changed daily_kpis:\n%s\nwant\n%s", got, inUTC)
	}
	transformWith(t, w, warehouse.TransformOptions{Mode: warehouse.FullRefresh})
	// Tokyo is 9 hours ahead: order 1002 (2026-01-01 23:59 UTC) and session
	// s4 (from 23:50 UTC) move to January 2, and the sessions of the 2nd,
	// all before 15:00 UTC, stay there.
	inTokyo := joinRows(queryStrings(t, w, kpisQ))
	if want := "2026-01-01|4|2\n2026-01-02|3|1\n2026-01-03|0|2\n"; inUTC != want {
		t.Fatalf("daily_kpis in UTC:\n%s\nwant\n%s", inUTC, want)
	}
	if want := "2026-01-01|3|1\n2026-01-02|4|2\n2026-01-03|0|2\n"; inTokyo != want {
		t.Fatalf("daily_kpis in Tokyo:\n%s\nwant\n%s", inTokyo, want)
	}
	if got := joinRows(queryStrings(t, w, zoneQ)); got != "Asia/Tokyo\n" {
		t.Fatalf("recorded zone %q, want Asia/Tokyo", got)
	}
	// Full refresh and incremental agree in Tokyo.
	transformWith(t, w, warehouse.TransformOptions{})
	if got := joinRows(queryStrings(t, w, kpisQ)); got != inTokyo {
		t.Fatalf("an incremental run after the refresh changed daily_kpis:\n%s\nwant\n%s", got, inTokyo)
	}

	// A new warehouse starts in any zone.
	fresh, err := warehouse.Open(ctx, "", warehouse.Options{EmailHashKey: testEmailKey, TimeZone: tokyo})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	mustLoad(t, fresh, martsSource(t))
	mustTransform(t, fresh)
	if got := joinRows(queryStrings(t, fresh, kpisQ)); got != inTokyo {
		t.Fatalf("a new warehouse in Tokyo:\n%s\nwant\n%s", got, inTokyo)
	}
}
