package lake_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// stagedLake is a local lake with RAW objects, their staging and exports,
// damaged in every way Verify must tell apart.
type stagedLake struct {
	store *lake.S3Store
	dir   string
	// keys by role
	ok, notStaged, gone, changedRaw, corruptFile, missingFile, unlikeFile, orphan, badManifest, foreignFile string
	manifests                                                                                               map[string]string // RAW key -> manifest key
}

// onDisk is the file of key in the local S3's folder.
func (l *stagedLake) onDisk(key string) string {
	return filepath.Join(l.dir, "buckets", laketest.Bucket, filepath.FromSlash(key))
}

// newStagedLake writes RAW events objects and stages them as the
// warehouse's Load does (files first, manifest last), then damages them:
//
//   - ok: staged, sound;
//   - notStaged: a RAW object with no manifest (normal);
//   - gone: staged, then the RAW object deleted;
//   - changedRaw: staged from other bytes than RAW holds;
//   - corruptFile: a staging file changed on disk after its write;
//   - missingFile: a quarantine file the manifest names, never written;
//   - unlikeFile: a staging file written (with its own sha256) with other
//     bytes than the manifest recorded;
//   - orphan: a staging file no manifest names (a staging that stopped
//     before its manifest);
//   - badManifest: a manifest that is not one;
//   - foreignFile: a file dropped into STAGING by hand.
func newStagedLake(t *testing.T) *stagedLake {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	l := &stagedLake{store: store, dir: dir, manifests: map[string]string{}}
	put := func(key string, body []byte) {
		t.Helper()
		if err := store.PutIfAbsent(ctx, key, body); err != nil {
			t.Fatal(err)
		}
	}
	// stage writes rawKey's staging: an events file and a quarantine file,
	// then its manifest; write says which files are written.
	stage := func(rawKey string, rawBody []byte, write func(table string) bool) lake.Staged {
		t.Helper()
		m := lake.Staged{Format: lake.StagedFormat, RawKey: rawKey, RawSHA256: sha(rawBody), Rules: "r1", Rejected: 1}
		for _, table := range []string{"events", "quarantine"} {
			key, err := lake.StagingKey(table, "events", rawKey)
			if err != nil {
				t.Fatal(err)
			}
			body := []byte("parquet of " + key)
			if write(table) {
				put(key, body)
			}
			m.Files = append(m.Files, lake.StagedFile{Table: table, Key: key, SHA256: sha(body), Rows: 2, Bytes: int64(len(body))})
		}
		sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Key < m.Files[j].Key })
		body, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		mkey, err := lake.StagedKey(rawKey)
		if err != nil {
			t.Fatal(err)
		}
		put(mkey, body)
		l.manifests[rawKey] = mkey
		return m
	}
	all := func(string) bool { return true }
	for i, k := range []*string{&l.ok, &l.notStaged, &l.gone, &l.changedRaw, &l.corruptFile, &l.missingFile, &l.unlikeFile} {
		*k = raw(i + 1)
		body := []byte("batch " + *k)
		put(*k, body)
		switch k {
		case &l.ok, &l.gone:
			stage(*k, body, all)
		case &l.changedRaw:
			stage(*k, []byte("other bytes"), all)
		case &l.corruptFile:
			for _, f := range stage(*k, body, all).Files {
				if f.Table == "events" {
					l.corruptFile = f.Key
				}
			}
		case &l.missingFile:
			m := stage(*k, body, func(table string) bool { return table != "quarantine" })
			for _, f := range m.Files {
				if f.Table == "quarantine" {
					l.missingFile = f.Key
				}
			}
		case &l.unlikeFile:
			m := stage(*k, body, func(table string) bool { return table != "events" })
			for _, f := range m.Files {
				if f.Table == "events" {
					l.unlikeFile = f.Key
					put(f.Key, []byte("another encoding of the same rows"))
				}
			}
		}
	}
	if err := os.Remove(l.onDisk(l.gone)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(l.onDisk(l.corruptFile))
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if err := os.WriteFile(l.onDisk(l.corruptFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	l.orphan = "staging/events/dt=2026-01-02/s-0-9-9.parquet"
	put(l.orphan, []byte("parquet of an interrupted staging"))
	l.badManifest = "staging/_staged/events/dt=2026-01-02/hr=03/s-0-8-8.json"
	put(l.badManifest, []byte("{not json"))
	l.foreignFile = "quarantine/transform/events/dt=2026-01-02/by-hand.parquet"
	if err := os.MkdirAll(filepath.Dir(l.onDisk(l.foreignFile)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.onDisk(l.foreignFile), []byte("PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// reasons maps each finding's key to its reason.
func reasons(fs []lake.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.Key] = f.Reason
	}
	return out
}

// TestVerify_Staging verifies STAGING against its manifests: the whole
// lake, then narrower prefixes, each finding only what it can see.
func TestVerify_Staging(t *testing.T) {
	ctx := context.Background()
	l := newStagedLake(t)

	t.Run("OK", func(t *testing.T) {
		rep, err := lake.Verify(ctx, l.store, lake.VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Prefix != "" || rep.OK() {
			t.Fatalf("report of %q says OK", rep.Prefix)
		}
		corrupt, missing := reasons(rep.Corrupt), reasons(rep.Missing)
		for key, want := range map[string]string{
			l.changedRaw:  lake.ReasonChangedStaged + l.manifests[l.changedRaw],
			l.corruptFile: lake.ReasonCorrupt,
			l.unlikeFile:  lake.ReasonUnlike + l.manifests[raw(7)],
			l.badManifest: "not a valid staging manifest: not a staging manifest: ",
		} {
			if !strings.HasPrefix(corrupt[key], want) {
				t.Errorf("corrupt %s: %q, want %q", key, corrupt[key], want)
			}
		}
		for key, want := range map[string]string{
			l.gone:        lake.ReasonStaged + l.manifests[l.gone],
			l.missingFile: lake.ReasonNamed + l.manifests[raw(6)],
		} {
			if missing[key] != want {
				t.Errorf("missing %s: %q, want %q", key, missing[key], want)
			}
		}
		if got, want := len(rep.Corrupt), 4; got != want {
			t.Errorf("corrupt = %v, want %d", corrupt, want)
		}
		if got, want := len(rep.Missing), 2; got != want {
			t.Errorf("missing = %v, want %d", missing, want)
		}
		if len(rep.Foreign) != 1 || rep.Foreign[0].Key != l.foreignFile {
			t.Errorf("foreign = %+v, want %s", rep.Foreign, l.foreignFile)
		}
		if len(rep.Orphans) != 1 || rep.Orphans[0].Key != l.orphan || rep.Orphans[0].Reason != lake.ReasonOrphan {
			t.Errorf("orphans = %+v, want %s", rep.Orphans, l.orphan)
		}
		if rep.Staged != 6 || rep.NotStaged != 1 {
			t.Errorf("staged %d, not staged %d; want 6, 1", rep.Staged, rep.NotStaged)
		}
		byZone := map[string]lake.ZoneCount{}
		for _, z := range rep.Zones {
			byZone[z.Zone] = z
		}
		for zone, want := range map[string]lake.ZoneCount{
			// ok, notStaged, changedRaw, corrupt's, missing's and unlike's RAW objects.
			"raw/events": {Objects: 6, OK: 5, Corrupt: 1, Missing: 1, NotStaged: 1},
			// Six manifests and the bad one.
			"staging/_staged/events": {Objects: 7, OK: 6, Corrupt: 1},
			// ok, gone, changedRaw, corrupt, missing's: one events file
			// each; unlike's; the orphan.
			"staging/events":              {Objects: 7, OK: 5, Corrupt: 2, Orphans: 1},
			"quarantine/transform/events": {Objects: 6, OK: 5, Foreign: 1, Missing: 1},
		} {
			got := byZone[zone]
			got.Zone, got.Bytes = "", 0
			if got != want {
				t.Errorf("zone %s = %+v, want %+v", zone, got, want)
			}
		}
	})
	t.Run("RawOnly", func(t *testing.T) {
		// RAW alone: the manifests say which RAW object is gone and which
		// changed, with no warehouse; the staging files are not read.
		rep, err := lake.Verify(ctx, l.store, lake.VerifyOptions{Prefix: lake.RawEvents})
		if err != nil {
			t.Fatal(err)
		}
		if c, m := reasons(rep.Corrupt), reasons(rep.Missing); len(c) != 1 || c[l.changedRaw] == "" || len(m) != 1 || m[l.gone] == "" {
			t.Errorf("corrupt %v, missing %v; want %s changed and %s gone", c, m, l.changedRaw, l.gone)
		}
		if rep.NotStaged != 1 || rep.Staged != 6 || len(rep.Orphans) != 0 || len(rep.Foreign) != 0 {
			t.Errorf("report = %+v", rep)
		}
	})
	t.Run("FilesOnly", func(t *testing.T) {
		// The events files alone: every manifest is read, to tell the
		// orphan; RAW is not looked at.
		rep, err := lake.Verify(ctx, l.store, lake.VerifyOptions{Prefix: "staging/events/"})
		if err != nil {
			t.Fatal(err)
		}
		if c := reasons(rep.Corrupt); len(c) != 2 || c[l.corruptFile] == "" || c[l.unlikeFile] == "" {
			t.Errorf("corrupt %v; want %s and %s", c, l.corruptFile, l.unlikeFile)
		}
		if len(rep.Missing) != 0 || len(rep.Orphans) != 1 || rep.NotStaged != 0 {
			t.Errorf("report = %+v", rep)
		}
	})
	t.Run("ManifestsOnly", func(t *testing.T) {
		// The manifests alone: the RAW objects they promise are listed,
		// not read; the files they name are outside the prefix.
		rep, err := lake.Verify(ctx, l.store, lake.VerifyOptions{Prefix: lake.StagedPrefix})
		if err != nil {
			t.Fatal(err)
		}
		if c, m := reasons(rep.Corrupt), reasons(rep.Missing); len(c) != 1 || c[l.badManifest] == "" || len(m) != 1 || m[l.gone] == "" {
			t.Errorf("corrupt %v, missing %v; want the bad manifest and %s gone", c, m, l.gone)
		}
	})
	t.Run("Clean", func(t *testing.T) {
		// A lake staged whole, and an interrupted staging: OK.
		store := laketest.NewStore(t)
		body := []byte("batch")
		key := "raw/events/dt=2026-01-02/hr=03/s-0-1-1.ndjson.gz"
		file, _ := lake.StagingKey("events", "events", key)
		mkey, _ := lake.StagedKey(key)
		m := lake.Staged{Format: lake.StagedFormat, RawKey: key, RawSHA256: sha(body), Rules: "r1",
			Files: []lake.StagedFile{{Table: "events", Key: file, SHA256: sha([]byte("p")), Rows: 1, Bytes: 1}}}
		mbody, _ := m.Encode()
		for k, b := range map[string][]byte{key: body, file: []byte("p"), mkey: mbody, "staging/events/dt=2026-01-02/s-0-2-2.parquet": []byte("q")} {
			if err := store.PutIfAbsent(ctx, k, b); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := lake.Verify(ctx, store, lake.VerifyOptions{})
		if err != nil || !rep.OK() || rep.Staged != 1 || rep.NotStaged != 0 || len(rep.Orphans) != 1 {
			t.Fatalf("verify = %+v, %v", rep, err)
		}
	})
}

// raw is the RAW key of newStagedLake's n-th object.
func raw(n int) string {
	return fmt.Sprintf("raw/events/dt=2026-01-02/hr=03/s-0-%d-%d.ndjson.gz", n, n)
}

// TestVerify_Curated verifies CURATED against its export manifests.
func TestVerify_Curated(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	put := func(key string, body []byte) {
		t.Helper()
		if err := store.PutIfAbsent(ctx, key, body); err != nil {
			t.Fatal(err)
		}
	}
	mart := func(name, body string) lake.ExportedMart {
		key, err := lake.CuratedKey(name, sha([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		return lake.ExportedMart{Mart: name, Key: key, SHA256: sha([]byte(body)), Rows: 1, Bytes: int64(len(body))}
	}
	kpis, funnel := mart("daily_kpis", "kpis v1"), mart("session_funnel", "funnel v1")
	put(kpis.Key, []byte("kpis v1")) // funnel's file is never written
	e := lake.Export{Format: lake.ExportFormat, Number: 1, Marts: []lake.ExportedMart{kpis, funnel}}
	body, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	put("curated/_exports/00000001.json", body)
	put("curated/_exports/00000002.json", []byte(`{"format": 1}`))
	put("curated/_exports/latest.json", body)
	orphan := mart("daily_kpis", "kpis v2")
	put(orphan.Key, []byte("kpis v2"))
	misnamed := "curated/cohorts/" + sha([]byte("x")) + ".parquet"
	put(misnamed, []byte("y"))

	rep, err := lake.Verify(ctx, store, lake.VerifyOptions{Prefix: lake.CuratedPrefix})
	if err != nil {
		t.Fatal(err)
	}
	corrupt, missing := reasons(rep.Corrupt), reasons(rep.Missing)
	if !strings.HasPrefix(corrupt["curated/_exports/00000002.json"], "not a valid export manifest: ") ||
		!strings.HasPrefix(corrupt["curated/_exports/latest.json"], "not an export manifest's key") ||
		corrupt[misnamed] != lake.ReasonNotItsKey || len(corrupt) != 3 {
		t.Errorf("corrupt = %v", corrupt)
	}
	if len(missing) != 1 || missing[funnel.Key] != lake.ReasonNamed+"curated/_exports/00000001.json" {
		t.Errorf("missing = %v, want %s", missing, funnel.Key)
	}
	if len(rep.Orphans) != 1 || rep.Orphans[0].Key != orphan.Key || rep.Exports != 1 {
		t.Errorf("orphans = %+v, exports %d; want %s, 1", rep.Orphans, rep.Exports, orphan.Key)
	}
	// One mart's folder: the exports are read to know what they name.
	kpisOnly, err := lake.Verify(ctx, store, lake.VerifyOptions{Prefix: "curated/daily_kpis/"})
	if err != nil || !kpisOnly.OK() || len(kpisOnly.Orphans) != 1 || kpisOnly.Exports != 1 {
		t.Errorf("verify curated/daily_kpis/ = %+v, %v", kpisOnly, err)
	}
}

// TestReadStagedManifests reads the events' manifests of newStagedLake:
// the valid ones, the one that is not, and what they add up to.
func TestReadStagedManifests(t *testing.T) {
	l := newStagedLake(t)
	ms, err := lake.ReadStagedManifests(context.Background(), l.store, lake.StagedEvents)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Valid) != 6 || len(ms.Bad) != 1 || ms.Bad[0].Info.Key != l.badManifest ||
		!strings.HasPrefix(ms.Bad[0].Reason, "not a valid staging manifest: not a staging manifest: ") {
		t.Fatalf("valid %d, bad %+v", len(ms.Valid), ms.Bad)
	}
	for _, m := range ms.Valid {
		if !strings.HasPrefix(m.Info.Key, lake.StagedEvents) || l.manifests[m.RawKey] != m.Info.Key {
			t.Errorf("manifest %s of %s", m.Info.Key, m.RawKey)
		}
	}
	c := ms.Count(lake.RawEvents)
	if c.Objects != 6 || c.Rows["events"] != 12 || c.Rows["quarantine"] != 0 || c.Rejected != 6 {
		t.Errorf("count = %+v", c)
	}
	if _, err := lake.ReadStagedManifests(context.Background(), l.store, lake.RawEvents); err == nil {
		t.Error("manifests read under raw/events/")
	}
}
