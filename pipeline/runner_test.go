package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/shoplake/shoplake/ingest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// testConfig is a small local run in dir.
func testConfig(dir string, seed uint64) config.Config {
	cfg := config.DefaultConfig()
	cfg.Seed = seed
	cfg.DataDir = dir
	cfg.Sim.Days = 2
	cfg.Sim.Users = 120
	return cfg
}

type runResult struct {
	totals  pipeline.Totals
	hashes  []warehouse.TableHash
	raw     map[string]string // key -> sha256 of body, for every RAW object
	curated map[string]string // the same for every CURATED object
	runner  *pipeline.Runner
}

// run replays cfg end to end and collects what the tests compare.
func run(tb testing.TB, cfg config.Config) runResult {
	tb.Helper()
	ctx := context.Background()
	r, err := pipeline.NewRunner(ctx, cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	if _, err := r.Run(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	res := runResult{totals: r.Totals(), runner: r, raw: lakeSums(tb, r.Env.Lake, lake.RawPrefix), curated: lakeSums(tb, r.Env.Lake, lake.CuratedPrefix)}
	wh := r.Warehouse()
	if res.hashes, err = wh.TableHashes(ctx); err != nil {
		tb.Fatal(err)
	}
	return res
}

// lakeSums reads every object under prefix and returns its key -> the
// sha256 of its body.
func lakeSums(tb testing.TB, store lake.Reader, prefix string) map[string]string {
	tb.Helper()
	ctx := context.Background()
	infos, err := store.List(ctx, prefix)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, info := range infos {
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(body)
		out[info.Key] = hex.EncodeToString(sum[:])
	}
	return out
}

func TestRunner_SameSeedSameBytes(t *testing.T) {
	a := run(t, testConfig(t.TempDir(), 11))
	b := run(t, testConfig(t.TempDir(), 11))
	if !reflect.DeepEqual(a.hashes, b.hashes) {
		t.Fatalf("same seed, different table hashes:\n%v\n%v", a.hashes, b.hashes)
	}
	if !reflect.DeepEqual(a.raw, b.raw) {
		t.Fatalf("same seed, different RAW objects (%d vs %d)", len(a.raw), len(b.raw))
	}
	if !reflect.DeepEqual(a.curated, b.curated) || len(a.curated) == 0 {
		t.Fatalf("same seed, different CURATED objects (%d vs %d)", len(a.curated), len(b.curated))
	}
	c := run(t, testConfig(t.TempDir(), 12))
	if reflect.DeepEqual(a.hashes, c.hashes) {
		t.Fatal("seeds 11 and 12 gave the same table hashes")
	}
}

func TestRunner_RerunIsNoop(t *testing.T) {
	dir := t.TempDir()
	first := run(t, testConfig(dir, 5))
	if err := first.runner.Close(); err != nil {
		t.Fatal(err)
	}
	second := run(t, testConfig(dir, 5))
	if !reflect.DeepEqual(first.hashes, second.hashes) {
		t.Fatalf("rerun changed tables:\n%v\n%v", first.hashes, second.hashes)
	}
	// RAW keeps every object and commit; only the runs' history grows, by
	// the rerun's attempts.
	for key, sum := range first.raw {
		if second.raw[key] != sum {
			t.Fatalf("rerun changed or removed %s", key)
		}
	}
	for key := range second.raw {
		if _, ok := first.raw[key]; !ok && !(strings.HasPrefix(key, ingest.RawRunsFakestore) && strings.Contains(key, "/attempt=002/")) {
			t.Fatalf("rerun added %s, which is not its runs' history", key)
		}
	}
	// CURATED is never overwritten: a rerun re-exports each day's marts
	// (as of that day, over all the data) beside what the first run wrote.
	for key, sum := range first.curated {
		if second.curated[key] != sum {
			t.Fatalf("rerun changed or removed %s", key)
		}
	}
	if got := second.totals.RawObjects + second.totals.IngestWrites; got != 0 {
		t.Fatalf("rerun wrote %d RAW objects, want 0", got)
	}
	if second.totals.RawExisting == 0 || second.totals.IngestSkips == 0 {
		t.Fatalf("rerun did not go through the writers: %+v", second.totals)
	}
}

func TestRunner_OtherWorldRefused(t *testing.T) {
	dir := t.TempDir()
	run(t, testConfig(dir, 5)).runner.Close()
	if _, err := pipeline.NewRunner(context.Background(), testConfig(dir, 6), nil); err == nil {
		t.Fatal("a run with another seed was allowed into the same data directory")
	}
}

func TestRunner_Result(t *testing.T) {
	dir := t.TempDir()
	res := run(t, testConfig(dir, 3))
	// The runner holds no event (sim.NewWorldWithoutEvents): the world it
	// sent is built again, whole, to count them.
	w, err := sim.NewWorld(res.runner.World.Config)
	if err != nil {
		t.Fatal(err)
	}
	if res.runner.World.Events != nil {
		t.Fatalf("the runner holds %d events; it should stream them", len(res.runner.World.Events))
	}

	t.Run("NothingLostNothingDuplicated", func(t *testing.T) {
		tot := res.totals
		if tot.Generated != len(w.Events) || tot.Acknowledged != tot.Generated || tot.InRaw != tot.Generated || tot.Quarantined != 0 {
			t.Fatalf("totals %+v, world has %d events", tot, len(w.Events))
		}
		for _, h := range res.hashes {
			if h.Table == "core.events" && h.Rows != int64(len(w.Events)) {
				t.Fatalf("core.events has %d rows, world has %d events", h.Rows, len(w.Events))
			}
			if h.Table == "core.orders" && h.Rows != int64(len(w.Orders)) {
				t.Fatalf("core.orders has %d rows, world has %d orders", h.Rows, len(w.Orders))
			}
		}
	})
	t.Run("RawKeySchemes", func(t *testing.T) {
		fakestore := regexp.MustCompile(`^raw/fakestore/(users|products|carts)/dt=\d{4}-\d{2}-\d{2}/[0-9a-f]{64}\.json$`)
		events := regexp.MustCompile(`^raw/events/dt=\d{4}-\d{2}-\d{2}/hr=\d{2}/clickstream-shardId-\d{12}-\d+-\d+\.ndjson\.gz$`)
		commits := regexp.MustCompile(`^raw/_commits/fakestore/dt=\d{4}-\d{2}-\d{2}/[0-9a-f]{64}\.json$`)
		runs := regexp.MustCompile(`^raw/_runs/fakestore/dt=\d{4}-\d{2}-\d{2}/attempt=\d{3}/(begin|end)\.json$`)
		var nf, ne, nc, nr int
		for key := range res.raw {
			switch {
			case fakestore.MatchString(key):
				nf++
			case events.MatchString(key):
				ne++
			case commits.MatchString(key):
				nc++
			case runs.MatchString(key):
				nr++
			default:
				t.Errorf("RAW key %s follows no scheme", key)
			}
		}
		if nf != 3*(2+1) || nc != 2+1 || nr != 2*(2+1) || ne == 0 { // two days and the opening snapshot
			t.Fatalf("%d fakestore objects (want 9), %d commits (want 3), %d run records (want 6) and %d event objects", nf, nc, nr, ne)
		}
		if _, err := os.Stat(filepath.Join(dir, "lake", "buckets", "shoplake", "raw", "fakestore", "users")); err != nil {
			t.Fatalf("the lake is not browsable on disk: %v", err)
		}
	})
	t.Run("MartsEqualOracle", func(t *testing.T) {
		assertMartsEqualOracle(t, res.runner.Warehouse(), w)
	})
	t.Run("CuratedExports", func(t *testing.T) {
		// Every promoted build exported the marts: the opening snapshot's
		// and each day's; the newest export holds the marts as they are.
		ctx := context.Background()
		ex, err := lake.LatestExport(ctx, res.runner.Env.Lake)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Latest == nil || len(ex.Skipped) != 0 || ex.Latest.Number != res.totals.CuratedExports || res.totals.CuratedExports != 2+1 {
			t.Fatalf("latest export %+v, skipped %v; totals count %d exports, want 3", ex.Latest, ex.Skipped, res.totals.CuratedExports)
		}
		if ex.Latest.AsOf != w.Config.End().Format(time.RFC3339) {
			t.Errorf("latest export as of %s, want the world's end %s", ex.Latest.AsOf, w.Config.End().Format(time.RFC3339))
		}
		files := 0
		for key := range res.curated {
			if !strings.HasPrefix(key, lake.CuratedExports) {
				files++
			}
		}
		if files != res.totals.CuratedFiles {
			t.Errorf("CURATED holds %d mart files, the totals count %d written", files, res.totals.CuratedFiles)
		}
		rows := map[string]int64{}
		for _, h := range res.hashes {
			rows[h.Table] = h.Rows
		}
		for _, m := range ex.Latest.Marts {
			if res.curated[m.Key] != m.SHA256 {
				t.Errorf("%s: not in the lake with the manifest's sha256", m.Key)
			}
			if got, want := m.Rows, rows["marts."+m.Mart]; got != want {
				t.Errorf("%s: %d rows exported, the warehouse has %d", m.Mart, got, want)
			}
		}
	})
}

// TestRunner_ProduceInChunks: the fleet's records handed to the producer a
// few at a time (Options.ProduceChunk) give the run of one call per hour:
// the same totals (rejections included), RAW and tables, in more calls.
func TestRunner_ProduceInChunks(t *testing.T) {
	ctx := context.Background()
	anomalies := sim.AnomalyConfig{DuplicateRate: 0.05, MalformedRate: 0.02}
	runWith := func(chunk int) (runResult, int) {
		r, err := pipeline.NewRunnerWith(ctx, testConfig(t.TempDir(), 13), pipeline.Options{Anomalies: anomalies, ProduceChunk: chunk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		days, err := r.Run(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		for _, d := range days {
			calls += d.Put.Calls
		}
		res := runResult{totals: r.Totals(), raw: lakeSums(t, r.Env.Lake, lake.RawPrefix)}
		if res.hashes, err = r.Warehouse().TableHashes(ctx); err != nil {
			t.Fatal(err)
		}
		return res, calls
	}
	whole, wholeCalls := runWith(0)
	parts, partCalls := runWith(7)
	if whole.totals != parts.totals {
		t.Errorf("totals in parts %+v, in one call per hour %+v", parts.totals, whole.totals)
	}
	if whole.totals.Rejected == 0 || whole.totals.Sent <= whole.totals.Generated {
		t.Errorf("totals %+v: want rejected records and duplicates for the comparison to mean something", whole.totals)
	}
	if !reflect.DeepEqual(whole.hashes, parts.hashes) || !reflect.DeepEqual(whole.raw, parts.raw) {
		t.Error("records produced in parts gave other tables or RAW objects")
	}
	if partCalls <= wholeCalls {
		t.Errorf("%d PutRecords calls in parts of 7, %d in one per hour: the parts were not parts", partCalls, wholeCalls)
	}
}
