package lake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestVerify reads a real local lake in which one object is intact, one was
// corrupted on disk after its write, one was dropped into the folder by
// hand, one was rewritten (with a valid sha256) after the warehouse loaded
// it, and one the warehouse loaded is gone: Verify reports each, by zone.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	onDisk := func(key string) string {
		return filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(key))
	}
	users := "raw/fakestore/users/dt=2026-01-01/" + sha([]byte(`[1]`)) + ".json"
	corrupt := "raw/events/dt=2026-01-01/hr=00/s-0-1-1.ndjson.gz"
	changed := "raw/events/dt=2026-01-01/hr=01/s-0-2-2.ndjson.gz"
	foreign := "raw/events/dt=2026-01-01/hr=02/by-hand.ndjson"
	missing := "raw/events/dt=2026-01-01/hr=03/s-0-3-3.ndjson.gz"
	for k, b := range map[string]string{users: `[1]`, corrupt: "one", changed: "two-new"} {
		if err := store.PutIfAbsent(ctx, k, []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(onDisk(corrupt), []byte("ONE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(onDisk(foreign)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(onDisk(foreign), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Outside the prefix verified: not read.
	if err := store.Put(ctx, "checkpoints/g/s/shard.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	loaded := map[string]string{users: sha([]byte(`[1]`)), corrupt: sha([]byte("one")), changed: sha([]byte("two")), missing: sha([]byte("three"))}

	t.Run("OK", func(t *testing.T) {
		var calls, last int
		rep, err := lake.Verify(ctx, store, lake.VerifyOptions{Prefix: lake.RawPrefix, Loaded: loaded, Progress: func(done, total int) { calls, last = calls+1, done }})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() {
			t.Fatal("report says OK")
		}
		if got, want := rep.Objects, 4; got != want {
			t.Fatalf("Objects = %d, want %d", got, want)
		}
		if calls != 4 || last != 4 {
			t.Fatalf("progress called %d times, last %d; want 4, 4", calls, last)
		}
		keys := func(fs []lake.Finding) []string {
			var out []string
			for _, f := range fs {
				out = append(out, f.Key+": "+f.Reason)
			}
			return out
		}
		check := func(name string, got []lake.Finding, want ...string) {
			t.Helper()
			g := keys(got)
			if len(g) != len(want) {
				t.Fatalf("%s = %q, want %q", name, g, want)
			}
			for i := range want {
				if g[i] != want[i] {
					t.Fatalf("%s = %q, want %q", name, g, want)
				}
			}
		}
		check("Corrupt", rep.Corrupt,
			corrupt+": corrupt: sha256 differs from the one recorded at write",
			changed+": changed since loaded: sha256 differs from the one the warehouse recorded at load")
		check("Foreign", rep.Foreign, foreign+": not written by shoplake (no sha256 recorded)")
		check("Missing", rep.Missing, missing+": missing: loaded by the warehouse, gone from the lake")
		byZone := map[string]lake.ZoneCount{}
		for _, z := range rep.Zones {
			byZone[z.Zone] = z
		}
		if z := byZone["raw/events"]; z.Objects != 3 || z.OK != 0 || z.Corrupt != 2 || z.Foreign != 1 || z.Missing != 1 {
			t.Fatalf("raw/events = %+v", z)
		}
		if z := byZone["raw/fakestore/users"]; z.Objects != 1 || z.OK != 1 || z.Corrupt+z.Foreign+z.Missing != 0 {
			t.Fatalf("raw/fakestore/users = %+v", z)
		}
	})
	t.Run("LakeOnly", func(t *testing.T) {
		rep, err := lake.Verify(ctx, store, lake.VerifyOptions{Prefix: lake.RawPrefix})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Corrupt) != 1 || len(rep.Foreign) != 1 || len(rep.Missing) != 0 || rep.WarehouseChecked {
			t.Fatalf("lake only: %+v", rep)
		}
	})
}
