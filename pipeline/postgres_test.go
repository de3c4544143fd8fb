package pipeline_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// datedSource is the part of a lake a warehouse would have seen by the end
// of a day: the RAW objects whose dt= is on or before last.
type datedSource struct {
	lake lake.Store
	last string // YYYY-MM-DD
}

func (s datedSource) List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error) {
	infos, err := s.lake.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []lake.ObjectInfo
	for _, info := range infos {
		if dt, ok := lake.PartitionDate(info.Key); ok && dt <= s.last {
			out = append(out, info)
		}
	}
	return out, nil
}

func (s datedSource) Get(ctx context.Context, key string) ([]byte, error) {
	return s.lake.Get(ctx, key)
}

func (s datedSource) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	return s.lake.PutIfAbsent(ctx, key, body)
}

// replay feeds w the lake of a finished run day by day, as the runner fed
// its own warehouse: Load what RAW held by then, Transform as of the end of
// the day. The FakeStore objects become visible through the commits the
// runner's ingestion wrote in the lake (raw/_commits/fakestore/dt=.../):
// w's own ingestion ledger stays empty, as a warehouse's that ingested
// nothing.
func replay(tb testing.TB, w *warehouse.Warehouse, store lake.Store, start time.Time, days int) {
	tb.Helper()
	ctx := context.Background()
	for n := 0; n < days; n++ {
		day := start.AddDate(0, 0, n)
		src := datedSource{lake: store, last: day.Format(time.DateOnly)}
		if n == days-1 {
			// The last run sees the whole lake (the events of the last
			// hour arrive, and are filed, on the next date).
			src.last = "9999-12-31"
		}
		st, err := w.Load(ctx, src)
		if err != nil {
			tb.Fatal(err)
		}
		if st.ObjectsUncommitted != 0 {
			tb.Fatalf("day %d: %d FakeStore objects not committed: the lake's commits were not read", n+1, st.ObjectsUncommitted)
		}
		if _, err := w.Transform(ctx, warehouse.TransformOptions{AsOf: day.Add(24 * time.Hour)}); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestPostgres_SameMartsAsDuckDB replays one simulated run (realistic
// rates with the order lifecycle and a lookback of three days, hostile
// product names, a business time zone with half-hour offsets, whose dates
// the SQL computes with a CASE over its periods) into a DuckDB and a
// PostgreSQL warehouse through the same Load and Transform steps, and
// compares every CORE and MARTS table value by value, and their table
// hashes; the marts must also equal those of the runner's own warehouse,
// and PostgreSQL's every mart of the oracle, row by row.
func TestPostgres_SameMartsAsDuckDB(t *testing.T) {
	dsn := warehousetest.PostgresDSN(t)
	ctx := context.Background()
	cfg := testConfig(t.TempDir(), 21)
	cfg.Sim.Days, cfg.Sim.Realistic, cfg.Sim.HostileRate = 3, true, 0.3
	cfg.Warehouse.TimeZone = "Asia/Kolkata"
	cfg.FakeStore.LookbackDays = 3
	zone, err := cfg.BusinessZone()
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, cfg)
	start := res.runner.World.Config.Start

	opts := warehouse.Options{EmailHashKey: cfg.EmailHashKey(), TimeZone: zone}
	duck, err := warehouse.Open(ctx, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	pg, err := warehouse.OpenPostgres(ctx, dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, w := range []*warehouse.Warehouse{duck, pg} {
		replay(t, w, res.runner.Env.Lake, start, cfg.Sim.Days)
	}

	hd, hp := res.hashes, mustTableHashes(t, pg)
	if len(hd) != len(hp) {
		t.Fatalf("duckdb has %d tables, postgres %d", len(hd), len(hp))
	}
	compared := 0
	for _, h := range hd {
		want, err := duck.TableRows(ctx, h.Table)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.TableRows(ctx, h.Table)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: postgres has %d rows, duckdb %d; they differ", h.Table, len(got), len(want))
			continue
		}
		if strings.HasPrefix(h.Table, "marts.") {
			mine, err := res.runner.Warehouse().TableRows(ctx, h.Table)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(mine, want) {
				t.Errorf("%s: the replay differs from the runner's warehouse", h.Table)
			}
		}
		compared += len(want)
	}
	if compared == 0 {
		t.Fatal("no rows compared")
	}
	// The oracle needs the events, which the runner's world does not keep.
	oracle, err := sim.NewWorld(res.runner.World.Config)
	if err != nil {
		t.Fatal(err)
	}
	oracle.Lookback, oracle.Zone = res.runner.World.Lookback, res.runner.World.Zone
	assertMartsEqualOracle(t, pg, oracle)
	// The same rows give the same table hashes on both engines.
	if hr := mustTableHashes(t, duck); !reflect.DeepEqual(hp, hr) {
		t.Errorf("table hashes differ between engines on the same lake:\npostgres %v\nduckdb   %v", hp, hr)
	}
	t.Logf("%d tables, %d rows equal on DuckDB and PostgreSQL, with the same table hashes", len(hd), compared)
}

func mustTableHashes(tb testing.TB, w *warehouse.Warehouse) []warehouse.TableHash {
	tb.Helper()
	h, err := w.TableHashes(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}
