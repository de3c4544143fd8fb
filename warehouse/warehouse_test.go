package warehouse_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

func TestWarehouse_Open(t *testing.T) {
	ctx := context.Background()
	versions := func(tb testing.TB, w *warehouse.Warehouse) string {
		tb.Helper()
		return joinRows(queryStrings(tb, w, "SELECT CAST(version AS VARCHAR), name FROM meta.schema_migrations ORDER BY version"))
	}

	t.Run("OK", func(t *testing.T) {
		w := openTest(t)
		got := versions(t, w)
		want := "1|schemas\n2|loaded_objects\n3|staging\n4|core\n5|marts\n6|ingest_ledger\n7|marts\n8|quarantine\n9|transform_runs\n10|check_results\n11|run_attempts\n12|quarantined_objects\n13|event_conflicts\n14|accepted_empty\n16|ingest_outside_date\n17|core_sessions\n18|source_decisions\n19|events_without_key\n20|event_dimensions\n21|traffic_sources\n22|order_lifecycle\n23|revenue_daily\n24|session_user\n25|product_sales\n26|orders_daily\n27|order_attribution\n28|traffic_by_hour\n29|active_users\n30|business_time_zone\n31|checkout_abandonment\n32|revenue_rates\n"
		if got != want {
			t.Fatalf("schema_migrations:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("ReopenAppliesNothing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warehouse.duckdb")
		w, err := warehouse.Open(ctx, path, warehouse.Options{EmailHashKey: testEmailKey})
		if err != nil {
			t.Fatal(err)
		}
		first := versions(t, w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w, err = warehouse.Open(ctx, path, warehouse.Options{EmailHashKey: testEmailKey})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer w.Close()
		if got := versions(t, w); got != first {
			t.Fatalf("after reopen:\n%s\nwant:\n%s", got, first)
		}
	})

	t.Run("ErrMigration", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "warehouse.duckdb")
		w, err := warehouse.Open(ctx, path, warehouse.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.DB().ExecContext(ctx, "INSERT INTO meta.schema_migrations VALUES (999, 'from_the_future')"); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if _, err := warehouse.Open(ctx, path, warehouse.Options{}); !errors.Is(err, warehouse.ErrMigration) {
			t.Fatalf("Open err = %v, want ErrMigration", err)
		}
	})
}

// TestWarehouse_OpenCreatesDirectory is the regression test of a mode-aws
// ingest on a fresh data directory, which failed with "Cannot open file
// .../warehouse.duckdb: No such file or directory".
func TestWarehouse_OpenCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not", "yet", "warehouse.duckdb")
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{EmailHashKey: []byte("k")})
	if err != nil {
		t.Fatalf("Open on a missing directory: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
