package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testSeed seeds the simulated world, the faults and the jitter.
const testSeed = 7

// simDay is the logical date the simulator tests ingest.
var simDay = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// testPolicy is DefaultPolicy with a short real request timeout.
func testPolicy() ingest.Policy {
	p := ingest.DefaultPolicy()
	p.RequestTimeout = 5 * time.Second
	return p
}

// newRand is the jitter source of the tests.
func newRand() *rand.Rand { return rng.New(testSeed, "ingest/retry") }

// harness is an ingester wired to a real lake, a real warehouse ledger, a
// simulated clock and a log buffer.
type harness struct {
	in    *ingest.Ingester
	clk   *clock.Sim
	store *lake.S3Store
	wh    *warehouse.Warehouse
	logs  *syncBuffer
}

// newHarness builds an ingester of the API at url. clk may be nil (a new
// simulated clock at the end of simDay).
func newHarness(tb testing.TB, url string, clk *clock.Sim, p ingest.Policy) *harness {
	tb.Helper()
	if clk == nil {
		clk = clock.NewSim(simDay.Add(24*time.Hour + 5*time.Minute))
	}
	wh, err := warehouse.Open(context.Background(), "", warehouse.Options{EmailHashKey: []byte("k")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { wh.Close() })
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr := &http.Transport{}
	tb.Cleanup(tr.CloseIdleConnections)
	c, err := ingest.NewClient(&http.Client{Transport: tr}, url, clk, rng.New(testSeed, "ingest/retry"), p, 0, log)
	if err != nil {
		tb.Fatal(err)
	}
	store := laketest.NewStore(tb)
	return &harness{
		in:  &ingest.Ingester{Client: c, Store: store, Ledger: wh.IngestLedger(), Log: log},
		clk: clk, store: store, wh: wh, logs: logs,
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixtureHandler serves the real FakeStore responses in testdata/, filtering
// /carts by startdate (inclusive) and enddate (exclusive) on the carts' date
// as the real API and the simulator do. The fixture files are served as
// they are when no filter is given.
func fixtureHandler(tb testing.TB) http.Handler {
	tb.Helper()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join("testdata", strings.Trim(r.URL.Path, "/")+".json"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if r.URL.Path == "/carts" && (q.Has("startdate") || q.Has("enddate")) {
			var carts []map[string]any
			if err := json.Unmarshal(b, &carts); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			out := []map[string]any{}
			for _, c := range carts {
				d, _ := time.Parse(time.RFC3339, c["date"].(string))
				day := d.UTC().Format(time.DateOnly)
				if q.Has("startdate") && day < q.Get("startdate") || q.Has("enddate") && day >= q.Get("enddate") {
					continue
				}
				out = append(out, c)
			}
			b, _ = json.Marshal(out)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}

func fixtureServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(fixtureHandler(tb))
	tb.Cleanup(srv.Close)
	return srv
}

func fixturePasswords(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile("testdata/users.json")
	if err != nil {
		tb.Fatal(err)
	}
	var users []struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal(b, &users); err != nil {
		tb.Fatal(err)
	}
	var pw []string
	for _, u := range users {
		pw = append(pw, u.Password)
	}
	if len(pw) == 0 {
		tb.Fatal("fixture has no passwords to look for")
	}
	return pw
}

// simAPI is the simulator's FakeStore server with faults, on a loopback
// port, reading the given clock. It records the clock at every request.
type simAPI struct {
	*httptest.Server
	World  *sim.World
	Faults *sim.Faults

	mu   sync.Mutex
	seen []request
}

type request struct {
	path string
	at   time.Time
}

func newSimAPI(tb testing.TB, clk clock.Clock, rules ...sim.FaultRule) *simAPI {
	tb.Helper()
	w, err := sim.NewWorld(sim.Config{Seed: testSeed, Start: simDay, Days: 1, Users: 40})
	if err != nil {
		tb.Fatal(err)
	}
	f, err := sim.NewFaults(testSeed, clk, rules)
	if err != nil {
		tb.Fatal(err)
	}
	api := &simAPI{World: w, Faults: f}
	h := f.Wrap(sim.NewServer(w, clk))
	api.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		api.mu.Lock()
		api.seen = append(api.seen, request{r.URL.Path, clk.Now()})
		api.mu.Unlock()
		h.ServeHTTP(rw, r)
	}))
	tb.Cleanup(func() {
		api.CloseClientConnections()
		api.Close()
	})
	return api
}

// requests returns the requests seen so far, in order.
func (a *simAPI) requests() []request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]request(nil), a.seen...)
}

// passwords returns every password the simulated world holds.
func (a *simAPI) passwords() []string {
	var pw []string
	for _, u := range a.World.Users {
		pw = append(pw, u.Password)
	}
	return pw
}

// rawBodies returns every object under raw/fakestore/.
func rawBodies(tb testing.TB, store lake.Store) map[string][]byte {
	tb.Helper()
	ctx := context.Background()
	infos, err := store.List(ctx, lake.RawFakestore)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, info := range infos {
		b, err := store.Get(ctx, info.Key)
		if err != nil {
			tb.Fatal(err)
		}
		out[info.Key] = b
	}
	return out
}

// ledgerText returns every text value of the ingestion ledger's tables.
func ledgerText(tb testing.TB, wh *warehouse.Warehouse) string {
	tb.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM meta.ingest_runs",
		"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM meta.ingest_objects",
	} {
		rows, err := wh.DB().Query(q)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]*string, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			for _, v := range vals {
				if v != nil {
					b.WriteString(*v)
					b.WriteByte('\n')
				}
			}
		}
		rows.Close()
	}
	return b.String()
}

// committedCount returns the number of committed objects in the ledger.
func committedCount(tb testing.TB, wh *warehouse.Warehouse) int {
	tb.Helper()
	var n int
	if err := wh.DB().QueryRow("SELECT count(*) FROM meta.ingest_objects WHERE status = 'committed'").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
