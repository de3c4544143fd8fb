package warehouse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// benchShop writes a synthetic shop into a memSource: 50 products, 1,000
// users, for each day 100 carts and sessions of 1 to 12 events (views,
// carts, checkouts, purchases of those carts), in one events object per
// hour. Deterministic: a PCG seeded with seed.
type benchShop struct {
	src    *memSource
	rnd    *rand.Rand
	start  time.Time
	nextID int
	seq    int
	carts  int
}

func newBenchShop(tb testing.TB, seed uint64) *benchShop {
	tb.Helper()
	s := &benchShop{src: newMemSource(), rnd: rand.New(rand.NewPCG(seed, 0)), start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var products []product
	for i := 1; i <= 50; i++ {
		products = append(products, product{int64(i), fmt.Sprintf("Product %d", i), float64(5 + i), []string{"home", "kitchen", "garden"}[i%3]})
	}
	s.src.putJSON(tb, "products", s.start.Format(time.DateOnly), products)
	var users []map[string]any
	for i := 1; i <= 1000; i++ {
		users = append(users, map[string]any{"id": i, "email": fmt.Sprintf("u%d@example.com", i)})
	}
	s.src.putJSON(tb, "users", s.start.Format(time.DateOnly), users)
	return s
}

// addDay writes day n (0-based) with sessions sessions; it returns the
// number of events written.
func (s *benchShop) addDay(tb testing.TB, n, sessions int) int {
	tb.Helper()
	day := s.start.AddDate(0, 0, n)
	var carts []cart
	byHour := map[int][]stream.RawRecord{}
	events := 0
	for k := 0; k < sessions; k++ {
		session := fmt.Sprintf("s%d-%d", n, k)
		at := day.Add(time.Duration(s.rnd.IntN(86400-600)) * time.Second)
		steps := 1 + s.rnd.IntN(12)
		pid := int64(1 + s.rnd.IntN(50))
		for j := 0; j < steps; j++ {
			typ := []string{"page_view", "product_view", "product_view", "add_to_cart", "begin_checkout"}[min(j, 4)]
			var order int64
			if j == steps-1 && steps >= 6 {
				typ = "purchase"
				s.carts++
				order = int64(100000 + s.carts)
				carts = append(carts, cart{ID: order, UserID: int64(1 + s.rnd.IntN(1000)), Date: at.Format("2006-01-02T15:04:05.000Z"),
					Products: []cartLine{{pid, int64(1 + s.rnd.IntN(3))}}})
			}
			s.nextID++
			s.seq++
			r := stream.RawRecord{
				Event: stream.Event{EventID: fmt.Sprintf("ev-%09d", s.nextID), EventType: stream.EventType(typ), EventTime: at,
					SessionID: session, AnonymousID: "a-" + session, SchemaVersion: stream.SchemaVersion},
				IngestionTime: at.Add(time.Second), ShardID: "shardId-000000000000", SequenceNumber: fmt.Sprint(s.seq),
			}
			if typ != "page_view" && typ != "begin_checkout" && typ != "purchase" {
				p, q, price := pid, int64(1), money.Cents(999)
				r.ProductID, r.Quantity, r.Price = &p, &q, &price
			}
			if order != 0 {
				r.OrderID = &order
			}
			byHour[at.Hour()] = append(byHour[at.Hour()], r)
			events++
			at = at.Add(time.Duration(1+s.rnd.IntN(40)) * time.Second)
		}
	}
	hours := make([]int, 0, len(byHour))
	for h := range byHour {
		hours = append(hours, h)
	}
	sort.Ints(hours)
	for _, h := range hours {
		recs := byHour[h]
		sort.Slice(recs, func(i, j int) bool { return recs[i].EventTime.Before(recs[j].EventTime) })
		s.src.putEvents(tb, day.Format(time.DateOnly), fmt.Sprintf("%02d", h), fmt.Sprintf("clicks-0-%d-%d", n, h), recs)
	}
	s.src.putJSON(tb, "carts", day.Format(time.DateOnly), carts)
	return events
}

// BenchmarkLoad measures the load over 30 days of events (about 200,000
// rows in 720 gzipped NDJSON objects), in rows per second, along its two
// paths, and DuckDB's own read_json over the same NDJSON, in the same run:
//
//   - raw_to_staging_rows/s: a lake with RAW only; Load types each object,
//     writes its Parquet and manifest to the lake, and loads it;
//   - staging_rows/s: a second warehouse over the lake the first one staged;
//     Load reads STAGING's Parquet, not RAW;
//   - core_rows/s: the full transform of the second warehouse (STAGING
//     -> CORE -> MARTS), over the rows loaded;
//   - read_json_rows/s: CREATE TABLE AS SELECT * FROM read_json(...) of the
//     same events, decompressed into one file: DuckDB's own rate.
//
// The ratios to read_json are the figures of issue 13 (aim: 0.5).
func BenchmarkLoad(b *testing.B) { benchLoad(b, openTest) }

// BenchmarkLoad_Postgres is BenchmarkLoad into a PostgreSQL warehouse,
// whose rows go in with the COPY protocol (pgx CopyFrom). It needs
// $TEST_SHOPLAKE_POSTGRES_DSN.
func BenchmarkLoad_Postgres(b *testing.B) { benchLoad(b, openPostgresTest) }

func benchLoad(b *testing.B, open func(testing.TB) *warehouse.Warehouse) {
	ctx := context.Background()
	shop := newBenchShop(b, 1)
	events := 0
	for n := 0; n < 30; n++ {
		events += shop.addDay(b, n, 1000)
	}
	rowsOf := func(st warehouse.LoadStats) (n int64) {
		for _, r := range st.Rows {
			n += r
		}
		return n
	}
	var rawRates, stagingRates, coreRates []float64
	for i := 0; i < b.N; i++ {
		src := rawOnly(shop.src)
		w := open(b)
		commitAll(b, w, src)
		start := time.Now()
		st, err := w.Load(ctx, src)
		if err != nil {
			b.Fatal(err)
		}
		rawRates = append(rawRates, float64(rowsOf(st))/time.Since(start).Seconds())
		if st.ObjectsStaged != st.ObjectsLoaded {
			b.Fatalf("%d objects staged of %d loaded", st.ObjectsStaged, st.ObjectsLoaded)
		}

		w2 := open(b)
		commitAll(b, w2, src)
		start = time.Now()
		st, err = w2.Load(ctx, src)
		if err != nil {
			b.Fatal(err)
		}
		stagingRates = append(stagingRates, float64(rowsOf(st))/time.Since(start).Seconds())
		if st.StagingReused != st.ObjectsLoaded {
			b.Fatalf("%d objects read from STAGING of %d loaded", st.StagingReused, st.ObjectsLoaded)
		}
		start = time.Now()
		if _, err := w2.Transform(ctx, warehouse.TransformOptions{Mode: warehouse.FullRefresh}); err != nil {
			b.Fatal(err)
		}
		coreRates = append(coreRates, float64(rowsOf(st))/time.Since(start).Seconds())
	}
	duck := readJSONRates(b, shop.src, events, max(b.N, 3))
	mr, ms, mc, md := medianOf(rawRates), medianOf(stagingRates), medianOf(coreRates), medianOf(duck)
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(mr, "raw_to_staging_rows/s")
	b.ReportMetric(ms, "staging_rows/s")
	b.ReportMetric(mc, "core_rows/s")
	b.ReportMetric(md, "read_json_rows/s")
	b.ReportMetric(mr/md, "raw_to_staging/read_json")
	b.ReportMetric(ms/md, "staging/read_json")
}

// readJSONRates decompresses every RAW events object of src into one
// NDJSON file and times DuckDB's read_json over it n times, in events per
// second; it fails unless DuckDB reads want events.
func readJSONRates(b *testing.B, src *memSource, want, n int) []float64 {
	ctx := context.Background()
	var all bytes.Buffer
	for _, k := range sortedKeys(src) {
		if !strings.HasPrefix(k, lake.RawEvents) {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(src.objects[k]))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(&all, zr); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, all.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var rates []float64
	for range n {
		start := time.Now()
		// The path is a temp file of this benchmark; DuckDB takes no
		// parameter for a table function's file name.
		q := fmt.Sprintf("CREATE OR REPLACE TABLE bench_events AS SELECT * FROM read_json('%s', format='newline_delimited')", path)
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		var got int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM bench_events").Scan(&got); err != nil {
			b.Fatal(err)
		}
		if got != want {
			b.Fatalf("DuckDB read %d events, the shop has %d", got, want)
		}
		rates = append(rates, float64(got)/el.Seconds())
	}
	return rates
}

// benchSessions is the sessions per day of the transform and marts
// benchmarks: 1,000 (30 days, about 200,000 events) unless
// $SHOPLAKE_BENCH_SESSIONS says otherwise (5000: about a million events),
// to see how a figure moves with the warehouse's size.
func benchSessions(tb testing.TB) int {
	v := os.Getenv("SHOPLAKE_BENCH_SESSIONS")
	if v == "" {
		return 1000
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil || n < 10 {
		tb.Fatalf("SHOPLAKE_BENCH_SESSIONS=%q: want a number of sessions per day, at least 10", v)
	}
	return n
}

// BenchmarkTransform_Incremental compares an incremental run that adds 1%
// new events (a day of 30% of a day's sessions after 30 days) with a full
// refresh of the same warehouse (issue 14's P2: at most 0.05).
func BenchmarkTransform_Incremental(b *testing.B) {
	ctx := context.Background()
	var incr, full []float64
	sessions := benchSessions(b)
	var base, added int
	for i := 0; i < b.N; i++ {
		shop := newBenchShop(b, 2)
		base = 0
		for n := 0; n < 30; n++ {
			base += shop.addDay(b, n, sessions)
		}
		w := openTest(b)
		mustLoad(b, w, shop.src)
		mustTransform(b, w)
		added = shop.addDay(b, 30, sessions*3/10) // ~1% of the events so far
		mustLoad(b, w, shop.src)
		start := time.Now()
		st := mustTransform(b, w)
		incr = append(incr, time.Since(start).Seconds())
		if st.EventsIn != int64(added) || st.DaysRebuilt > 2 {
			b.Fatalf("incremental run: %d events in (want %d), %d days rebuilt", st.EventsIn, added, st.DaysRebuilt)
		}
		start = time.Now()
		if _, err := w.Transform(ctx, warehouse.TransformOptions{Mode: warehouse.FullRefresh}); err != nil {
			b.Fatal(err)
		}
		full = append(full, time.Since(start).Seconds())
	}
	mi, mf := medianOf(incr), medianOf(full)
	b.ReportMetric(float64(base), "events")
	b.ReportMetric(float64(added), "new_events")
	b.ReportMetric(mi*1000, "incremental_ms")
	b.ReportMetric(mf*1000, "full_refresh_ms")
	b.ReportMetric(mi/mf, "incremental/full")
}

func medianOf(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkMarts compares building every mart over every date with a plain
// GROUP BY over core.events (events per date and type), on the same
// warehouse: 30 days, about 200,000 events (benchSessions). Issue 14's P3:
// at most 2 times.
func BenchmarkMarts(b *testing.B) {
	ctx := context.Background()
	shop := newBenchShop(b, 3)
	sessions := benchSessions(b)
	events := 0
	for n := 0; n < 30; n++ {
		events += shop.addDay(b, n, sessions)
	}
	w := openTest(b)
	mustLoad(b, w, shop.src)
	mustTransform(b, w)
	var marts, group []float64
	for i := 0; i < max(b.N, 3); i++ {
		start := time.Now()
		if err := w.BuildAllMarts(ctx); err != nil {
			b.Fatal(err)
		}
		marts = append(marts, time.Since(start).Seconds())
		start = time.Now()
		if _, err := w.DB().ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE bench_group AS
			SELECT CAST(event_time AS DATE) AS day, event_type, count(*) AS events
			FROM core.events GROUP BY CAST(event_time AS DATE), event_type`); err != nil {
			b.Fatal(err)
		}
		group = append(group, time.Since(start).Seconds())
	}
	mm, mg := medianOf(marts), medianOf(group)
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(mm*1000, "all_marts_ms")
	b.ReportMetric(mg*1000, "group_by_ms")
	b.ReportMetric(mm/mg, "marts/group_by")
}
