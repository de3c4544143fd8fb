package warehouse_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/warehouse"
)

// countingSource counts the reads of each key.
type countingSource struct {
	warehouse.Lake
	mu    sync.Mutex
	reads map[string]int
}

func (s *countingSource) Get(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	s.reads[key]++
	s.mu.Unlock()
	return s.Lake.Get(ctx, key)
}

// TestWarehouse_Load_QuarantinesObjects puts, in a real local lake, one good
// events object beside objects that cannot be loaded: a file dropped into
// the lake's folder (no sha256 recorded), an object corrupted on disk after
// its write, a truncated gzip, a FakeStore snapshot that is not a JSON
// array, and a key outside the RAW layout. Load loads the good one, sets
// each other aside in meta.quarantined_objects with its reason in plain
// words, its size and its first bytes, and fails no step; a later Load does
// not read them again unless they change or go; the transform's check
// names them. On DuckDB (a file) and PostgreSQL.
func TestWarehouse_Load_QuarantinesObjectsBothEngines(t *testing.T) {
	onFile := func(tb testing.TB) *warehouse.Warehouse {
		w, err := warehouse.Open(context.Background(), filepath.Join(tb.TempDir(), "warehouse.duckdb"), warehouse.Options{EmailHashKey: testEmailKey})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { w.Close() })
		return w
	}
	t.Run("duckdb", func(t *testing.T) { testLoadQuarantinesObjects(t, onFile(t)) })
	t.Run("postgres", func(t *testing.T) { testLoadQuarantinesObjects(t, openPostgresTest(t)) })
}

func testLoadQuarantinesObjects(t *testing.T, w *warehouse.Warehouse) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	onDisk := func(key string) string {
		return filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(key))
	}
	write := func(key string, body []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(onDisk(key)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(onDisk(key), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := "raw/events/dt=2026-01-01/hr=00/clicks-shardId-000000000000-1-1.ndjson.gz"
	body := gzipRecords(t, records(t, ev{id: "e1", typ: "page_view", session: "s1", at: "2026-01-01T00:10:00Z"}))
	if err := store.PutIfAbsent(ctx, good, body); err != nil {
		t.Fatal(err)
	}
	corrupt := "raw/events/dt=2026-01-01/hr=01/clicks-shardId-000000000000-2-2.ndjson.gz"
	if err := store.PutIfAbsent(ctx, corrupt, gzipRecords(t, records(t, ev{id: "e2", typ: "page_view", session: "s2", at: "2026-01-01T01:10:00Z", seq: "2"}))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(onDisk(corrupt))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	write(corrupt, b)
	truncated := "raw/events/dt=2026-01-01/hr=02/clicks-shardId-000000000000-3-3.ndjson.gz"
	whole := gzipRecords(t, records(t, ev{id: "e3", typ: "page_view", session: "s3", at: "2026-01-01T02:10:00Z", seq: "3"}))
	if err := store.PutIfAbsent(ctx, truncated, whole[:len(whole)-12]); err != nil {
		t.Fatal(err)
	}
	foreign := "raw/events/dt=2026-01-01/hr=03/uploaded-by-hand.ndjson"
	write(foreign, []byte("{\"hello\":\"world\"}\n\x00\x01binary"))
	badKey := "raw/events/notes.txt"
	write(badKey, []byte("remember to rotate the keys"))
	notArray := "raw/fakestore/products/dt=2026-01-01/" + sha256Hex([]byte(`{"id":1}`)) + ".json"
	if err := store.PutIfAbsent(ctx, notArray, []byte(`{"id":1}`)); err != nil {
		t.Fatal(err)
	}
	commitAll(t, w, store)

	src := &countingSource{Lake: store, reads: map[string]int{}}
	st, err := w.Load(ctx, src)
	if err != nil {
		t.Fatalf("Load stopped: %v", err)
	}
	if st.ObjectsLoaded != 1 || st.ObjectsQuarantined != 5 || st.ObjectsHeld != 0 {
		t.Fatalf("first Load: loaded %d, quarantined %d, held %d; want 1, 5, 0", st.ObjectsLoaded, st.ObjectsQuarantined, st.ObjectsHeld)
	}
	got := joinRows(queryStrings(t, w, `SELECT object_key, reason, CAST(size_bytes AS VARCHAR) FROM meta.quarantined_objects ORDER BY object_key`))
	want := strings.Join([]string{
		corrupt + "|corrupt: sha256 differs from the one recorded at write|" + itoa(len(b)),
		truncated + "|truncated gzip|" + itoa(len(whole)-12),
		foreign + "|not written by shoplake (no sha256 recorded)|26",
		badKey + "|key does not follow the RAW layout (raw/events/dt=<date>/hr=<HH>/<name>.ndjson[.gz])|27",
		notArray + "|not a JSON array|8",
	}, "\n") + "\n"
	if got != want {
		t.Fatalf("meta.quarantined_objects:\n%s\nwant:\n%s", got, want)
	}
	head := queryStrings(t, w, "SELECT head FROM meta.quarantined_objects WHERE object_key = '"+foreign+"'")[0][0]
	if want := `{"hello":"world"}\n\x00\x01binary`; head != want {
		t.Fatalf("head of the foreign object = %s, want %s", head, want)
	}
	if n := queryStrings(t, w, "SELECT CAST(count(*) AS VARCHAR) FROM staging.events")[0][0]; n != "1" {
		t.Fatalf("staging.events has %s rows, want the good object's 1", n)
	}

	// Unchanged, they are not read again.
	src.reads = map[string]int{}
	st, err = w.Load(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.ObjectsLoaded != 0 || st.ObjectsQuarantined != 0 || st.ObjectsHeld != 5 || len(src.reads) != 0 {
		t.Fatalf("second Load: loaded %d, quarantined %d, held %d, reads %v; want 0, 0, 5, none", st.ObjectsLoaded, st.ObjectsQuarantined, st.ObjectsHeld, src.reads)
	}

	// The check names them, as a warning: the good data is promoted.
	ts, err := w.Transform(ctx, warehouse.TransformOptions{})
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	var found bool
	for _, r := range ts.Checks {
		if r.Name == "raw_objects_quarantined" {
			found = true
			if r.Status != "warn" || r.Failures != 5 || !strings.Contains(r.Detail, foreign) {
				t.Fatalf("check raw_objects_quarantined = %+v, want warn with 5 naming %s", r, foreign)
			}
		}
	}
	if !found {
		t.Fatalf("no raw_objects_quarantined check in %+v", ts.Checks)
	}

	// Fixed or removed, they leave the quarantine: the corrupt object is
	// restored, the dropped file replaced by a good object at its key, the
	// stray note removed.
	if err := os.Remove(onDisk(badKey)); err != nil {
		t.Fatal(err)
	}
	restored := gzipRecords(t, records(t, ev{id: "e2", typ: "page_view", session: "s2", at: "2026-01-01T01:10:00Z", seq: "2"}))
	if len(restored) != len(b) {
		t.Fatalf("test setup: the restored body differs in length")
	}
	write(corrupt, restored)
	write(foreign, []byte("{}"))
	src.reads = map[string]int{}
	st, err = w.Load(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if st.ObjectsLoaded != 1 || st.ObjectsQuarantined != 1 || st.ObjectsHeld != 2 {
		t.Fatalf("third Load: loaded %d, quarantined %d, held %d; want 1 (the restored), 1 (the changed foreign file), 2", st.ObjectsLoaded, st.ObjectsQuarantined, st.ObjectsHeld)
	}
	if src.reads[corrupt] != 1 || src.reads[foreign] != 1 {
		t.Fatalf("third Load reads %v: want the changed objects read again", src.reads)
	}
	got = joinRows(queryStrings(t, w, `SELECT object_key, CAST(size_bytes AS VARCHAR) FROM meta.quarantined_objects ORDER BY object_key`))
	want = truncated + "|" + itoa(len(whole)-12) + "\n" + foreign + "|2\n" + notArray + "|8\n"
	if got != want {
		t.Fatalf("meta.quarantined_objects after fixes:\n%s\nwant:\n%s", got, want)
	}
	if _, err := store.Get(ctx, corrupt); err != nil {
		t.Fatalf("restored object: %v", err)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
