package warehouse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// testEmailKey is the HMAC key the tests hash emails with.
var testEmailKey = []byte("test-email-hash-key")

// memSource is an in-memory warehouse.Source: a map of key to body. The real
// lake is tested in lake/; the pipeline tests run the warehouse against it.
type memSource struct{ objects map[string][]byte }

var _ warehouse.Lake = (*memSource)(nil)

func newMemSource() *memSource { return &memSource{objects: map[string][]byte{}} }

func (s *memSource) List(_ context.Context, prefix string) ([]lake.ObjectInfo, error) {
	var out []lake.ObjectInfo
	for k, b := range s.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, lake.ObjectInfo{Key: k, Size: int64(len(b)), SHA256: sha256Hex(b)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (s *memSource) Get(_ context.Context, key string) ([]byte, error) {
	b, ok := s.objects[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, lake.ErrNotFound)
	}
	return b, nil
}

func (s *memSource) PutIfAbsent(_ context.Context, key string, body []byte) error {
	if _, ok := s.objects[key]; ok {
		return fmt.Errorf("put %s: %w", key, lake.ErrExists)
	}
	s.objects[key] = bytes.Clone(body)
	return nil
}

// subset returns a source holding only the given keys of s.
func (s *memSource) subset(keys ...string) *memSource {
	out := newMemSource()
	for _, k := range keys {
		out.objects[k] = s.objects[k]
	}
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// putFakestore stores body as a FakeStore snapshot of entity on date dt and
// returns its key.
func (s *memSource) putFakestore(tb testing.TB, entity, dt string, body []byte) string {
	tb.Helper()
	key := fmt.Sprintf("raw/fakestore/%s/dt=%s/%s.json", entity, dt, sha256Hex(body))
	s.objects[key] = body
	return key
}

// putJSON marshals v and stores it as a FakeStore snapshot.
func (s *memSource) putJSON(tb testing.TB, entity, dt string, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return s.putFakestore(tb, entity, dt, b)
}

// putEvents stores recs as one gzipped NDJSON events object and returns its key.
func (s *memSource) putEvents(tb testing.TB, dt, hr, name string, recs []stream.RawRecord) string {
	tb.Helper()
	body := gzipRecords(tb, recs)
	key := fmt.Sprintf("raw/events/dt=%s/hr=%s/%s.ndjson.gz", dt, hr, name)
	s.objects[key] = body
	return key
}

// gzipRecords encodes recs as gzipped NDJSON, the body of an events object.
func gzipRecords(tb testing.TB, recs []stream.RawRecord) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// readFixture returns testdata/name.
func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// openTest opens an in-memory warehouse that is closed at the end of the test.
func openTest(tb testing.TB) *warehouse.Warehouse {
	tb.Helper()
	w, err := warehouse.Open(context.Background(), "", warehouse.Options{EmailHashKey: testEmailKey})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w
}

// commitAll commits, in w's ingestion ledger, every FakeStore object of src
// that no run has committed yet, one run per logical date, as the ingester
// would after writing them: Load reads only committed FakeStore objects.
func commitAll(tb testing.TB, w *warehouse.Warehouse, src warehouse.Source) {
	tb.Helper()
	ctx := context.Background()
	infos, err := src.List(ctx, lake.RawFakestore)
	if err != nil {
		tb.Fatal(err)
	}
	byDate := map[string][]ingest.Object{}
	var dates []string
	for _, info := range infos {
		parts := strings.Split(info.Key, "/")
		if len(parts) != 5 || !strings.HasPrefix(parts[3], "dt=") {
			continue // Load reports the bad key
		}
		dt := strings.TrimPrefix(parts[3], "dt=")
		if _, ok := byDate[dt]; !ok {
			dates = append(dates, dt)
		}
		byDate[dt] = append(byDate[dt], ingest.Object{Entity: parts[2], Key: info.Key, SHA256: info.SHA256, Bytes: int(info.Size)})
	}
	sort.Strings(dates)
	l := w.IngestLedger()
	for _, dt := range dates {
		day, err := time.Parse(time.DateOnly, dt)
		if err != nil {
			continue
		}
		done, err := l.CommittedKeys(ctx, day)
		if err != nil {
			tb.Fatal(err)
		}
		var objs []ingest.Object
		for _, o := range byDate[dt] {
			if !done[o.Key] {
				objs = append(objs, o)
			}
		}
		if len(objs) == 0 {
			continue
		}
		run, err := l.BeginRun(ctx, day, day.Add(24*time.Hour))
		if err != nil {
			tb.Fatal(err)
		}
		if err := l.FinishRun(ctx, ingest.RunRecord{Run: run, Status: ingest.StatusCommitted, FinishedAt: run.StartedAt, Objects: objs}); err != nil {
			tb.Fatal(err)
		}
	}
}

// load commits src's FakeStore objects (commitAll) and loads src.
func load(tb testing.TB, w *warehouse.Warehouse, src warehouse.Lake) (warehouse.LoadStats, error) {
	tb.Helper()
	commitAll(tb, w, src)
	return w.Load(context.Background(), src)
}

// mustLoad is load that fails the test on error.
func mustLoad(tb testing.TB, w *warehouse.Warehouse, src warehouse.Lake) warehouse.LoadStats {
	tb.Helper()
	st, err := load(tb, w, src)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// mustTransform transforms and fails the test on error.
func mustTransform(tb testing.TB, w *warehouse.Warehouse) warehouse.TransformStats {
	tb.Helper()
	st, err := w.Transform(context.Background(), warehouse.TransformOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// mustHashes returns the table hashes.
func mustHashes(tb testing.TB, w *warehouse.Warehouse) []warehouse.TableHash {
	tb.Helper()
	h, err := w.TableHashes(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// queryStrings runs q and returns every row with each value as text ("NULL"
// for NULL). Tests cast non-text columns in q.
func queryStrings(tb testing.TB, w *warehouse.Warehouse, q string) [][]string {
	tb.Helper()
	rows, err := w.DB().QueryContext(context.Background(), q)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]*string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = *v
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// joinRows renders rows one per line, columns separated by '|'.
func joinRows(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|"))
		b.WriteByte('\n')
	}
	return b.String()
}

// ev builds one raw event record.
type ev struct {
	id, typ, session string
	at               string // RFC 3339
	product, order   int64  // 0 = null
	ingest           string // RFC 3339; "" = at + 1s
	shard, seq       string
}

func (e ev) record(tb testing.TB) stream.RawRecord {
	tb.Helper()
	at := mustTime(tb, e.at)
	ing := at.Add(time.Second)
	if e.ingest != "" {
		ing = mustTime(tb, e.ingest)
	}
	r := stream.RawRecord{
		Event: stream.Event{
			EventID:       e.id,
			EventType:     stream.EventType(e.typ),
			EventTime:     at,
			SessionID:     e.session,
			AnonymousID:   "anon-" + e.session,
			SchemaVersion: stream.SchemaVersion,
		},
		IngestionTime:  ing,
		ShardID:        "shardId-000000000000",
		SequenceNumber: "1",
	}
	if e.shard != "" {
		r.ShardID = e.shard
	}
	if e.seq != "" {
		r.SequenceNumber = e.seq
	}
	if e.product != 0 {
		p, q, price := e.product, int64(1), money.Cents(999)
		r.ProductID, r.Quantity, r.Price = &p, &q, &price
	}
	if e.order != 0 {
		o := e.order
		r.OrderID = &o
	}
	return r
}

func records(tb testing.TB, evs ...ev) []stream.RawRecord {
	tb.Helper()
	out := make([]stream.RawRecord, len(evs))
	for i, e := range evs {
		out[i] = e.record(tb)
	}
	return out
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t.UTC()
}

// sortedKeys returns the keys of s in order.
func sortedKeys(s *memSource) []string {
	keys := make([]string, 0, len(s.objects))
	for k := range s.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkResult returns the result of the check name in st.
func checkResult(tb testing.TB, st warehouse.TransformStats, name string) warehouse.CheckResult {
	tb.Helper()
	for _, c := range st.Checks {
		if c.Name == name {
			return c
		}
	}
	tb.Fatalf("no check %s in %+v", name, st.Checks)
	return warehouse.CheckResult{}
}
