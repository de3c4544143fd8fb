package warehouse_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// eachEngineWithClock is eachEngine for warehouses that record attempt times
// from clk.
func eachEngineWithClock(t *testing.T, clk clock.Clock, fn func(t *testing.T, w *warehouse.Warehouse)) {
	opts := warehouse.Options{EmailHashKey: testEmailKey, Clock: clk}
	t.Run("duckdb", func(t *testing.T) {
		w, err := warehouse.Open(context.Background(), "", opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		fn(t, w)
	})
	t.Run("postgres", func(t *testing.T) {
		w, err := warehouse.OpenPostgres(context.Background(), warehousetest.PostgresDSN(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		fn(t, w)
	})
}

// TestWarehouse_Transform_RecordsFailures: every attempt is a row of
// meta.transform_runs. A transform that fails is recorded as failed (phase
// transform, the error, the clock's time) although its own transaction
// rolled back; a load failure is recorded with phase load; CheckResults
// reports the latest attempt and since when nothing has been promoted; an
// unknown run is ErrNoRun.
func TestWarehouse_Transform_RecordsFailures(t *testing.T) {
	start := time.Date(2026, 1, 10, 6, 0, 0, 0, time.UTC)
	clk := clock.NewSim(start)
	eachEngineWithClock(t, clk, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		mustLoad(t, w, martsSource(t))
		first := mustTransform(t, w)
		res, err := w.CheckResults(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.RunID != first.RunID || res.Status != "promoted" || res.Phase != "transform" || res.FinishedAt == nil || !res.FinishedAt.Equal(clk.Now()) {
			t.Fatalf("after a promoted run: %+v", res)
		}

		// A model fails: the run rolls back, and is recorded all the same.
		clk.Advance(time.Hour)
		failedAt := clk.Now()
		if _, err := w.DB().ExecContext(ctx, "ALTER TABLE marts.daily_kpis RENAME TO daily_kpis_gone"); err != nil {
			t.Fatal(err)
		}
		st, err := w.Transform(ctx, warehouse.TransformOptions{})
		if err == nil {
			t.Fatal("Transform without marts.daily_kpis succeeded")
		}
		if st.RunID != first.RunID+1 || st.Status != "failed" {
			t.Fatalf("failed run stats = %+v, want run %d failed", st, first.RunID+1)
		}
		res, err = w.CheckResults(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.RunID != st.RunID || res.Status != "failed" || res.Phase != "transform" ||
			!strings.Contains(res.Error, "daily_kpis") || res.FinishedAt == nil || !res.FinishedAt.Equal(failedAt) {
			t.Fatalf("latest attempt = %+v, want run %d failed in transform at %s naming daily_kpis", res, st.RunID, failedAt)
		}
		if res.NotPromotedSince == nil || res.NotPromotedSince.RunID != st.RunID || res.LastPromoted == nil || res.LastPromoted.RunID != first.RunID {
			t.Fatalf("since = %+v, last promoted = %+v", res.NotPromotedSince, res.LastPromoted)
		}

		// A load fails: the caller records it.
		clk.Advance(time.Hour)
		loadRun, err := w.RecordLoadFailure(ctx, warehouse.TransformOptions{}, errors.New("get raw/events/x: checksum mismatch"))
		if err != nil {
			t.Fatal(err)
		}
		res, err = w.CheckResults(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.RunID != loadRun || loadRun != st.RunID+1 || res.Status != "failed" || res.Phase != "load" ||
			!strings.Contains(res.Error, "checksum mismatch") || res.NotPromotedSince == nil || res.NotPromotedSince.RunID != st.RunID ||
			!res.NotPromotedSince.FinishedAt.Equal(failedAt) {
			t.Fatalf("after a failed load: %+v (since %+v)", res, res.NotPromotedSince)
		}

		if _, err := w.CheckResults(ctx, 999); !errors.Is(err, warehouse.ErrNoRun) || !strings.Contains(err.Error(), "999") {
			t.Fatalf("CheckResults(999) err = %v, want ErrNoRun naming 999", err)
		}

		// Repaired: the next run starts from the last promoted one and is
		// promoted; the failures stay recorded.
		if _, err := w.DB().ExecContext(ctx, "ALTER TABLE marts.daily_kpis_gone RENAME TO daily_kpis"); err != nil {
			t.Fatal(err)
		}
		next := mustTransform(t, w)
		if next.Status != "promoted" || next.FromLoadSeq != first.ToLoadSeq || next.RunID != loadRun+1 {
			t.Fatalf("after the repair: %+v", next)
		}
		old, err := w.CheckResults(ctx, st.RunID)
		if err != nil || old.Status != "failed" {
			t.Fatalf("run %d = %+v, %v", st.RunID, old, err)
		}
		res, err = w.CheckResults(ctx, 0)
		if err != nil || res.Status != "promoted" || res.NotPromotedSince != nil {
			t.Fatalf("latest = %+v, %v", res, err)
		}
	})
}

// TestWarehouse_Transform_RefusesImpossibleOptions: a negative lateness and
// an as-of before everything loaded are refused before anything runs, with
// the valid range; nothing is recorded.
func TestWarehouse_Transform_RefusesImpossibleOptions(t *testing.T) {
	ctx := context.Background()
	w := openTest(t)
	mustLoad(t, w, martsSource(t))
	for name, tc := range map[string]struct {
		opts warehouse.TransformOptions
		want []string
	}{
		"NegativeLateness": {warehouse.TransformOptions{AllowedLateness: -5 * time.Hour}, []string{"-5h0m0s", "negative"}},
		"AsOfBeforeData": {warehouse.TransformOptions{AsOf: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)},
			[]string{"1999-01-01", "2026-01-01", "2026-01-02"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := w.Transform(ctx, tc.opts)
			if !errors.Is(err, warehouse.ErrInvalidOption) {
				t.Fatalf("err = %v, want ErrInvalidOption", err)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
	if res, err := w.CheckResults(ctx, 0); err != nil || res.RunID != 0 {
		t.Fatalf("a refused run was recorded: %+v, %v", res, err)
	}
	// The first day of data is a valid as-of's lower bound.
	if _, err := w.Transform(ctx, warehouse.TransformOptions{AsOf: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatalf("as-of 2026-01-02: %v", err)
	}
}
