package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/warehouse"
)

// TestPruneCmd_DryRunThenPrune: after a demo, a prune as of a year later
// with RAW, QUARANTINE and CURATED rules: --dry-run deletes nothing; the
// prune deletes exactly what the dry run listed and writes a prune record;
// a RAW object no commit names survives; verify passes (the pruned RAW
// objects counted as pruned, not missing), and a warehouse rebuilt from the
// lake alone, its RAW objects loaded out of STAGING, has the demo's table
// hashes.
func TestPruneCmd_DryRunThenPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, stderr, err := execute(t, "demo", "--seed", "12", "--days", "3", "--users", "150", "--data-dir", dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	path := filepath.Join(dir, "warehouse.duckdb")
	fileHashes := func() []warehouse.TableHash {
		t.Helper()
		w, err := warehouse.Open(ctx, path, warehouse.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		hs, err := w.TableHashes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	before := fileHashes()

	// A FakeStore object written by a run that never committed, and a dead
	// letter of the stream, both as old as the rest.
	uncommitted := "raw/fakestore/users/dt=2026-01-06/" + strings.Repeat("a", 64) + ".json"
	deadLetter := lake.QuarantineEvents + "dt=2026-01-06/clickstream-shardId-000000000000-1-2.ndjson.gz"
	listing := func() map[string]int64 {
		t.Helper()
		st := lakeIn(t, dir)
		infos, err := st.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, i := range infos {
			out[i.Key] = i.Size
		}
		return out
	}
	{
		st := lakeIn(t, dir)
		for _, k := range []string{uncommitted, deadLetter} {
			if err := st.PutIfAbsent(ctx, k, []byte("[]")); err != nil {
				t.Fatal(err)
			}
		}
	}
	lakeBefore := listing()

	args := []string{"prune", "--data-dir", dir, "--now", "2027-01-01", "--raw-days", "30", "--quarantine-days", "30", "--curated-keep", "1", "--json"}
	out, stderr, err := execute(t, append(args, "--dry-run")...)
	if err != nil {
		t.Fatalf("prune --dry-run: %v\n%s", err, stderr)
	}
	var dry pruneReport
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatalf("prune --dry-run --json: %v\n%s", err, out)
	}
	if got := listing(); !maps.Equal(got, lakeBefore) {
		t.Fatalf("prune --dry-run changed the lake: %d objects before, %d after", len(lakeBefore), len(got))
	}
	zones := map[string]int{}
	planned := map[string]bool{}
	for _, it := range dry.Delete {
		zones[it.Zone]++
		planned[it.Key] = true
		if _, ok := lakeBefore[it.Key]; !ok {
			t.Errorf("the plan deletes %s, which is not in the lake", it.Key)
		}
		if strings.HasPrefix(it.Key, lake.StagingPrefix) || strings.HasPrefix(it.Key, lake.RawPrefix+"_") || strings.HasPrefix(it.Key, lake.QuarantineTransform) {
			t.Errorf("the plan deletes %s: STAGING, the lake's bookkeeping and the transform's QUARANTINE are never pruned", it.Key)
		}
	}
	for _, z := range []string{"raw/events", "raw/fakestore", "quarantine/events", "curated/_exports"} {
		if zones[z] == 0 {
			t.Errorf("the plan deletes nothing in %s: %v", z, zones)
		}
	}
	if planned[uncommitted] || !planned[deadLetter] {
		t.Errorf("plan: uncommitted RAW object deleted %v (want false), dead letter deleted %v (want true)", planned[uncommitted], planned[deadLetter])
	}
	if !slices.ContainsFunc(dry.Kept, func(k lake.PruneKept) bool {
		return k.Zone == "raw/fakestore" && k.Reason == lake.KeepNotStaged && k.Objects == 1
	}) {
		t.Errorf("the uncommitted RAW object is not counted as kept, not staged: %+v", dry.Kept)
	}
	latest, err := lake.LatestExport(ctx, lakeIn(t, dir))
	if err != nil || latest.Latest == nil {
		t.Fatalf("latest export: %v", err)
	}
	for _, m := range latest.Latest.Marts {
		if planned[m.Key] {
			t.Errorf("the plan deletes %s, named by the latest export", m.Key)
		}
	}

	out, stderr, err = execute(t, args...)
	if err != nil {
		t.Fatalf("prune: %v\n%s%s", err, out, stderr)
	}
	var done pruneReport
	if err := json.Unmarshal([]byte(out), &done); err != nil {
		t.Fatalf("prune --json: %v\n%s", err, out)
	}
	if !slices.Equal(done.Delete, dry.Delete) {
		t.Errorf("prune planned other objects than its dry run: %d against %d", len(done.Delete), len(dry.Delete))
	}
	if done.Result == nil || done.Result.Deleted != len(dry.Delete) || done.Result.Record == "" {
		t.Fatalf("prune result %+v, want %d deleted and a prune record", done.Result, len(dry.Delete))
	}
	after := listing()
	for k := range lakeBefore {
		if _, still := after[k]; still == planned[k] {
			t.Errorf("%s: in the lake after prune %v, planned for deletion %v", k, still, planned[k])
		}
	}
	if _, ok := after[done.Result.Record]; !ok || len(after) != len(lakeBefore)-len(planned)+1 {
		t.Errorf("after prune: %d objects, want %d (before) - %d + the prune record %s", len(after), len(lakeBefore), len(planned), done.Result.Record)
	}

	out, stderr, err = execute(t, "verify", "--data-dir", dir)
	if err != nil {
		t.Fatalf("verify after prune: %v\n%s%s", err, out, stderr)
	}
	if want := "pruned: " + strconv.Itoa(zones["raw/events"]+zones["raw/fakestore"]) + " RAW objects"; !strings.Contains(out, want) {
		t.Errorf("verify after prune does not say %q:\n%s", want, out)
	}

	// The lake alone rebuilds the warehouse: the pruned RAW objects load
	// from their staging.
	for _, f := range []string{path, path + ".wal"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	out, stderr, err = execute(t, "transform", "--full-refresh", "--data-dir", dir)
	if err != nil {
		t.Fatalf("transform --full-refresh after prune: %v\n%s%s", err, out, stderr)
	}
	if got := fileHashes(); !slices.Equal(got, before) {
		t.Fatalf("rebuilt after prune:\n%v\nthe demo's warehouse:\n%v", got, before)
	}
	if out, stderr, err = execute(t, "verify", "--data-dir", dir); err != nil {
		t.Fatalf("verify after the rebuild: %v\n%s%s", err, out, stderr)
	}

	// A second prune finds nothing more to delete.
	out, _, err = execute(t, append(args, "--dry-run")...)
	if err != nil {
		t.Fatal(err)
	}
	var again pruneReport
	if err := json.Unmarshal([]byte(out), &again); err != nil || len(again.Delete) != 0 {
		t.Errorf("a second prune plans %d deletions (err %v), want 0", len(again.Delete), err)
	}
}
