package warehouse_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

// TestWarehouse_Load_CommitsInTheLake: with an empty ingestion ledger, a
// FakeStore object becomes visible when a commit in the lake names it; an
// object no commit names stays "not committed yet"; an object under the
// commits' prefix that is not a valid commit is set aside with its reason
// and commits nothing. Only the dates with objects to load have their
// commits read.
func TestWarehouse_Load_CommitsInTheLake(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	w := openTest(t)
	put := func(dt string, ps []product) lake.CommitObject {
		t.Helper()
		b, err := json.Marshal(ps)
		if err != nil {
			t.Fatal(err)
		}
		day, _ := time.Parse(time.DateOnly, dt)
		key, err := lake.RawFakestoreKey("products", day, sha256Hex(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := store.PutIfAbsent(ctx, key, b); err != nil {
			t.Fatal(err)
		}
		return lake.CommitObject{Entity: "products", Key: key, SHA256: sha256Hex(b), Rows: len(ps), Bytes: len(b)}
	}
	day1, day2 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	committed := put("2026-01-01", []product{{1, "Lamp", 10, "home"}})
	put("2026-01-02", []product{{1, "Lamp", 12, "home"}}) // never committed
	if _, _, err := lake.WriteCommit(ctx, store, lake.NewCommit(day1, []lake.CommitObject{committed})); err != nil {
		t.Fatal(err)
	}
	// A commit of day 2 dropped into the folder by hand: not written by
	// shoplake, it commits nothing.
	good, err := lake.NewCommit(day2, []lake.CommitObject{committed}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	byHand := "raw/_commits/fakestore/dt=2026-01-02/by-hand.json"
	onDisk := filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(byHand))
	if err := os.MkdirAll(filepath.Dir(onDisk), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(onDisk, good, 0o644); err != nil {
		t.Fatal(err)
	}

	st, err := w.Load(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if st.ObjectsLoaded != 1 || st.ObjectsUncommitted != 1 || st.ObjectsQuarantined != 1 {
		t.Fatalf("Load: loaded %d, uncommitted %d, quarantined %d; want 1, 1, 1", st.ObjectsLoaded, st.ObjectsUncommitted, st.ObjectsQuarantined)
	}
	got := joinRows(queryStrings(t, w, `SELECT object_key, reason FROM meta.quarantined_objects`))
	if want := byHand + "|commit not written by shoplake (no sha256 recorded)\n"; got != want {
		t.Fatalf("meta.quarantined_objects:\n%s\nwant:\n%s", got, want)
	}
	if n := queryStrings(t, w, "SELECT CAST(count(*) AS VARCHAR) FROM staging.fakestore_products")[0][0]; n != "1" {
		t.Fatalf("staging.fakestore_products has %s rows, want the committed object's 1", n)
	}

	// Nothing left to load but the uncommitted object: its date's commits
	// are read again (the bad one held, not set aside twice); day 1's are
	// not read.
	src := &countingSource{Lake: store, reads: map[string]int{}}
	st, err = w.Load(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.ObjectsLoaded != 0 || st.ObjectsQuarantined != 0 || st.ObjectsHeld != 1 {
		t.Fatalf("second Load: loaded %d, quarantined %d, held %d; want 0, 0, 1", st.ObjectsLoaded, st.ObjectsQuarantined, st.ObjectsHeld)
	}
	for k := range src.reads {
		if strings.Contains(k, "dt=2026-01-01") {
			t.Errorf("second Load read %s: day 1 has nothing left to load", k)
		}
	}
}
