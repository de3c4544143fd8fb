package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/lake"
)

// TestIngester_CommitsInTheLake: a date is committed by a commit in the
// lake, written last, naming each object with its sha256; no warehouse is
// needed (no Ledger): a rerun reads the lake's commit, reuses the
// snapshots and finds the date unchanged, writing nothing.
func TestIngester_CommitsInTheLake(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, fixtureServer(t).URL, nil, testPolicy())
	h.in.Ledger = nil
	res, err := h.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != ingest.StatusCommitted || res.Commit == "" || res.RunID != 0 {
		t.Fatalf("result = %+v, want committed in the lake, with no run id (no ledger)", res)
	}
	cs, err := lake.ReadCommits(ctx, h.store, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Valid) != 1 || len(cs.Bad) != 0 || cs.Valid[0].Info.Key != res.Commit {
		t.Fatalf("commits = %+v, want the run's %s", cs, res.Commit)
	}
	keys := cs.Keys()
	for _, o := range res.Objects {
		if !keys[o.Key] {
			t.Errorf("the commit does not name %s", o.Key)
		}
	}
	for _, o := range cs.Valid[0].Objects {
		body, err := h.store.Get(ctx, o.Key)
		sum := sha256.Sum256(body)
		if got := hex.EncodeToString(sum[:]); err != nil || got != o.SHA256 {
			t.Errorf("committed %s: %v, sha256 %s, want %s", o.Key, err, got, o.SHA256)
		}
	}

	again, err := h.in.IngestDate(ctx, fixtureDay)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != ingest.StatusUnchanged || again.Commit != "" || again.Written() != 0 {
		t.Fatalf("rerun = %+v, want unchanged, nothing written", again)
	}
	if after, err := lake.ReadCommits(ctx, h.store, fixtureDay); err != nil || len(after.Valid) != 1 {
		t.Fatalf("commits after the rerun = %+v, %v: want the one", after, err)
	}
}
