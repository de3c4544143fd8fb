package lake_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

// TestCommits writes a date's commit to a real local lake, twice (the same
// bytes, the same key: nothing rewritten), reads it back with the keys it
// commits, and sets aside everything under the commits' prefix that is not
// a valid commit: corrupted on disk, dropped in by hand, not a commit
// document, or not what its key says. Verify reports those and the
// committed object the lake lacks.
func TestCommits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	obj := func(entity, body string) lake.CommitObject {
		k, err := lake.RawFakestoreKey(entity, day, sha([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		return lake.CommitObject{Entity: entity, Key: k, SHA256: sha([]byte(body)), Rows: 1, Bytes: len(body)}
	}
	users, carts := obj("users", `[1]`), obj("carts", `[2]`)
	if err := store.PutIfAbsent(ctx, users.Key, []byte(`[1]`)); err != nil { // carts is never written
		t.Fatal(err)
	}
	c := lake.NewCommit(day, []lake.CommitObject{users, carts})
	key, written, err := lake.WriteCommit(ctx, store, c)
	if err != nil || !written || !strings.HasPrefix(key, "raw/_commits/fakestore/dt=2026-01-05/") {
		t.Fatalf("WriteCommit = %q, %v, %v", key, written, err)
	}
	if again, written, err := lake.WriteCommit(ctx, store, lake.NewCommit(day, []lake.CommitObject{carts, users})); err != nil || written || again != key {
		t.Fatalf("the same commit again = %q, written %v, %v; want %q, not written", again, written, err, key)
	}
	bad := lake.NewCommit(day, []lake.CommitObject{{Entity: "users", Key: "raw/fakestore/users/dt=2026-01-06/" + users.SHA256 + ".json", SHA256: users.SHA256}})
	if _, _, err := lake.WriteCommit(ctx, store, bad); err == nil || !strings.Contains(err.Error(), "want an object raw/fakestore/<entity>/dt=2026-01-05/") {
		t.Fatalf("a commit naming another date's object: err = %v", err)
	}

	// What is not a valid commit, under the commits' prefix.
	prefix := "raw/_commits/fakestore/dt=2026-01-05/"
	notJSON := prefix + strings.Repeat("a", 64) + ".json"
	if err := store.PutIfAbsent(ctx, notJSON, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	body, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := prefix + strings.Repeat("b", 64) + ".json"
	if err := store.PutIfAbsent(ctx, wrongKey, body); err != nil {
		t.Fatal(err)
	}
	byHand := filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(prefix+"by-hand.json"))
	if err := os.WriteFile(byHand, body, 0o644); err != nil {
		t.Fatal(err)
	}

	cs, err := lake.ReadCommits(ctx, store, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Valid) != 1 || cs.Valid[0].Info.Key != key || len(cs.Valid[0].Objects) != 2 {
		t.Fatalf("valid commits = %+v, want %s", cs.Valid, key)
	}
	if keys := cs.Keys(); len(keys) != 2 || !keys[users.Key] || !keys[carts.Key] {
		t.Fatalf("Keys() = %v", keys)
	}
	if d, ok := cs.Latest(); !ok || !d.Equal(day) {
		t.Fatalf("Latest() = %v, %v", d, ok)
	}
	reasons := map[string]string{}
	for _, b := range cs.Bad {
		reasons[b.Info.Key] = b.Reason
	}
	for k, want := range map[string]string{notJSON: "not a commit document", wrongKey: "not what its key says", prefix + "by-hand.json": "not written by shoplake"} {
		if !strings.HasPrefix(reasons[k], want) {
			t.Errorf("%s: reason %q, want %q...", k, reasons[k], want)
		}
	}
	if other, err := lake.ReadCommits(ctx, store, day.AddDate(0, 0, 1)); err != nil || len(other.Valid)+len(other.Bad) != 0 {
		t.Fatalf("commits of another date = %+v, %v", other, err)
	}

	rep, err := lake.Verify(ctx, store, lake.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Key != carts.Key || rep.Missing[0].Reason != lake.ReasonCommitted+key {
		t.Errorf("missing = %+v, want %s committed by %s", rep.Missing, carts.Key, key)
	}
	// Verifying the carts alone still finds the committed one missing.
	if carts, err := lake.Verify(ctx, store, lake.VerifyOptions{Prefix: "raw/fakestore/carts/"}); err != nil || len(carts.Missing) != 1 || len(carts.Corrupt) != 0 {
		t.Errorf("verify raw/fakestore/carts/: missing %+v, corrupt %+v, %v: want the committed carts missing, nothing else", carts.Missing, carts.Corrupt, err)
	}
	corrupt := map[string]bool{}
	for _, f := range rep.Corrupt {
		corrupt[f.Key] = strings.HasPrefix(f.Reason, "commit not ")
	}
	if !corrupt[notJSON] || !corrupt[wrongKey] || len(rep.Foreign) != 1 {
		t.Errorf("corrupt = %+v, foreign = %+v: want the two invalid commits corrupt, the one by hand foreign", rep.Corrupt, rep.Foreign)
	}
}
