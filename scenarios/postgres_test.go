package scenarios_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// TestPostgres_Scenarios runs scenarios with their warehouse on PostgreSQL
// (a database of its own for every run, the determinism run's included):
// the files that exercise the marts hardest (the order lifecycle with a
// lookback, a business time zone, late events, a failed batch, duplicate
// snapshots) and the swarm's first seeds. Every check must pass as it does
// on DuckDB, marts_equal_oracle and marts_every_build included, so every
// mart equals the oracle on PostgreSQL too. It needs a server
// (TEST_SHOPLAKE_POSTGRES_DSN; make integration).
func TestPostgres_Scenarios(t *testing.T) {
	warehousetest.PostgresDSN(t) // skip, or fail under CI, without a server
	var runs []scenarios.Scenario
	for _, name := range []string{"baseline", "refunds_late", "refunds_api_down", "business_time_zone", "late_events", "duplicate_snapshot"} {
		sc, err := scenarios.Load(filepath.Join("testdata", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, sc)
	}
	for seed := uint64(1); seed <= 4; seed++ {
		runs = append(runs, scenarios.Draw(seed))
	}
	for _, sc := range runs {
		t.Run(sc.Name, func(t *testing.T) {
			opened := 0
			open := func(ctx context.Context, opts warehouse.Options) (*warehouse.Warehouse, error) {
				opened++
				return warehouse.OpenPostgres(ctx, warehousetest.PostgresDSN(t), opts)
			}
			rep, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{OpenWarehouse: open})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				var b bytes.Buffer
				rep.WriteText(&b)
				t.Errorf("%s (seed %d) failed on PostgreSQL:\n%s", sc.Name, sc.Seed, b.String())
			}
			if want := 1 + btoi(sc.Expect.Deterministic); opened != want {
				t.Errorf("%d PostgreSQL warehouses opened, want %d (one per run)", opened, want)
			}
			compared := false
			for _, c := range rep.Checks {
				compared = compared || c.Name == "marts_equal_oracle" && len(c.Counts) > 0
			}
			if !compared {
				t.Errorf("no mart was compared with the oracle: %s", fmt.Sprint(rep.Checks))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
