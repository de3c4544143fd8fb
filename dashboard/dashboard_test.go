package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoplake/shoplake/dashboard"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// get answers GET path from h: its status and body.
func get(tb testing.TB, h http.Handler, path string) (int, http.Header, []byte) {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		tb.Fatal(err)
	}
	return rec.Code, rec.Result().Header, body
}

// getSnapshot decodes GET /api/snapshot.
func getSnapshot(tb testing.TB, h http.Handler) (int, dashboard.Snapshot) {
	tb.Helper()
	code, hdr, body := get(tb, h, "/api/snapshot")
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type %q", ct)
	}
	var s dashboard.Snapshot
	if err := json.Unmarshal(body, &s); err != nil {
		tb.Fatalf("snapshot is not JSON: %v\n%s", err, body)
	}
	return code, s
}

// TestServer_Snapshot: the API's JSON, decoded, holds exactly what the
// warehouse's readers return on a small pipeline run: every mart row,
// money to the cent, the freshness, the last run and its checks, what was
// kept out of CORE.
func TestServer_Snapshot(t *testing.T) {
	path := warehouseFile(t)
	want := readAll(t, path)
	clk := clock.NewSim(time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC))
	srv, err := dashboard.New(dashboard.Options{Open: openReadOnly(path), Clock: clk, Source: "duckdb " + path})
	if err != nil {
		t.Fatal(err)
	}
	code, got := getSnapshot(t, srv)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if !got.ReadAt.Equal(clk.Now()) || got.Stale != nil || got.Source != "duckdb "+path || got.RefreshSeconds != dashboard.DefaultRefresh.Seconds() {
		t.Errorf("read at %s (want %s), stale %+v, source %q, refresh %v", got.ReadAt, clk.Now(), got.Stale, got.Source, got.RefreshSeconds)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"daily_kpis", got.DailyKPIs, want.kpis},
		{"revenue_daily", got.RevenueDaily, want.revenue},
		{"orders_daily", got.OrdersDaily, want.orders},
		{"session_funnel", got.SessionFunnel, want.funnel},
		{"cohort_retention", got.CohortRetention, want.retention},
		{"cohort_ltv", got.CohortLTV, want.ltv},
		{"top_products", got.TopProducts, warehouse.TopProducts(want.products, dashboard.TopN)},
		{"top_categories", got.TopCategories, warehouse.TopCategories(want.categories, dashboard.TopN)},
		{"purchase_reconciliation", got.Reconciliation, want.reconciliation},
		{"checkout_abandonment", got.CheckoutAbandonment, want.abandonment},
		{"active_users", got.ActiveUsers, want.active[len(want.active)-len(got.ActiveUsers):]},
		{"traffic_channels", got.TrafficChannels, warehouse.TrafficByChannel(want.traffic)},
		{"attribution_channels", got.AttributionChannels, must(warehouse.AttributionByChannel(want.attribution))},
		{"traffic_hours", got.TrafficHours, must(warehouse.TrafficHours(want.hours))},
		{"top_customers", got.TopCustomers, warehouse.TopCustomers(want.customers, dashboard.TopN)},
		{"customers", got.Customers, len(want.customers)},
		{"top_product_conversion", got.TopProductConversion, warehouse.TopProductConversion(want.productConv, dashboard.TopN)},
		{"top_category_conversion", got.TopCategoryConversion, warehouse.TopCategoryConversion(want.categoryConv, dashboard.TopN)},
		{"conversion_products", got.ConversionProducts, len(warehouse.TopProductConversion(want.productConv, 0))},
		{"conversion_categories", got.ConversionCategories, len(warehouse.TopCategoryConversion(want.categoryConv, 0))},
		{"freshness", got.Health.Freshness, want.freshness},
		{"last_run", got.Health.LastRun, want.run},
		{"accounting", got.Health.Accounting, &want.accounting},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: the API says\n%+v\nthe reader says\n%+v", c.name, c.got, c.want)
		}
	}
	checkTotals(t, got, want)
	k := got.Health.KeptOut
	a := want.accounting
	if k == nil || k.QuarantinedEvents != a.Events.Quarantined || k.QuarantinedSourceRows != a.QuarantinedSourceRows() ||
		k.RejectedRows != a.RejectedRows() || k.ObjectsSetAside != a.QuarantinedObjects || k.ConflictingEvents != a.Events.Conflicting {
		t.Errorf("kept out %+v, accounting %+v", k, a)
	}
	if got.Health.Lag.Available || got.Health.Lag.Why != dashboard.NoLagReason {
		t.Errorf("lag %+v: without a lag reader it is unavailable, saying why", got.Health.Lag)
	}
	// Money travels as JSON numbers with exactly two decimals, as the mart
	// holds it (no float rounding on the way).
	_, _, body := get(t, srv, "/api/snapshot")
	if m := regexp.MustCompile(`"revenue":(-?\d+\.\d+)`).FindAllSubmatch(body, -1); len(m) == 0 {
		t.Error("no revenue in the JSON")
	} else {
		for _, x := range m {
			if !regexp.MustCompile(`^-?\d+\.\d\d$`).Match(x[1]) {
				t.Errorf("revenue %s: not two decimals", x[1])
			}
		}
	}
}

// TestServer_Stale: while another process writes the warehouse, the
// snapshot is the last good one, stale since the first failed read, busy;
// when the writer is gone the next read is fresh again. Before any good
// read, a failure is a 503 that says why.
func TestServer_Stale(t *testing.T) {
	path := warehouseFile(t)
	clk := clock.NewSim(time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC))
	srv, err := dashboard.New(dashboard.Options{Open: openReadOnly(path), Clock: clk, MinInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, first := getSnapshot(t, srv)
	if first.Stale != nil || len(first.DailyKPIs) == 0 {
		t.Fatalf("first snapshot: stale %+v, %d KPI rows", first.Stale, len(first.DailyKPIs))
	}
	release := warehousetest.HoldWriter(t, path)
	failedAt := clk.Advance(2 * time.Second)
	code, s := getSnapshot(t, srv)
	if code != http.StatusOK || s.Stale == nil || !s.Stale.Busy || !s.Stale.Since.Equal(failedAt) {
		t.Fatalf("while held: status %d, stale %+v; want 200, busy since %s", code, s.Stale, failedAt)
	}
	if !s.ReadAt.Equal(first.ReadAt) || !reflect.DeepEqual(s.Marts, first.Marts) {
		t.Errorf("while held: read at %s, want the last good snapshot's %s and its marts", s.ReadAt, first.ReadAt)
	}
	clk.Advance(2 * time.Second)
	if _, s = getSnapshot(t, srv); s.Stale == nil || !s.Stale.Since.Equal(failedAt) {
		t.Errorf("second failure: stale %+v, want still since %s", s.Stale, failedAt)
	}
	release()
	now := clk.Advance(2 * time.Second)
	if _, s = getSnapshot(t, srv); s.Stale != nil || !s.ReadAt.Equal(now) {
		t.Errorf("after the writer left: stale %+v, read at %s; want fresh at %s", s.Stale, s.ReadAt, now)
	}

	t.Run("NoWarehouse", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "warehouse.duckdb")
		srv, err := dashboard.New(dashboard.Options{Open: openReadOnly(missing), Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		code, s := getSnapshot(t, srv)
		if code != http.StatusServiceUnavailable || s.Stale == nil || !strings.Contains(s.Stale.Reason, "no warehouse yet") || !s.ReadAt.IsZero() {
			t.Errorf("status %d, stale %+v, read at %s; want 503 saying there is no warehouse yet", code, s.Stale, s.ReadAt)
		}
	})
}

// TestServer_ReadsOnlyWhatChanged: the warehouse is opened once per read,
// never more often than MinInterval, and not at all while Version says it
// has not changed; a new Version reads it again.
func TestServer_ReadsOnlyWhatChanged(t *testing.T) {
	path := warehouseFile(t)
	clk := clock.NewSim(time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC))
	var opens atomic.Int64
	version := "v1"
	srv, err := dashboard.New(dashboard.Options{
		Open: func(ctx context.Context) (*warehouse.Warehouse, error) {
			opens.Add(1)
			return openReadOnly(path)(ctx)
		},
		Version:     func() (string, error) { return version, nil },
		Clock:       clk,
		MinInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	getSnapshot(t, srv)
	getSnapshot(t, srv) // within MinInterval
	clk.Advance(5 * time.Second)
	_, s := getSnapshot(t, srv) // Version unchanged
	if n := opens.Load(); n != 1 {
		t.Fatalf("%d opens, want 1", n)
	}
	if len(s.DailyKPIs) == 0 {
		t.Fatal("the cached snapshot lost its marts")
	}
	version = "v2"
	clk.Advance(5 * time.Second)
	if _, s = getSnapshot(t, srv); opens.Load() != 2 || !s.ReadAt.Equal(clk.Now()) {
		t.Errorf("after a new version: %d opens, read at %s; want 2, %s", opens.Load(), s.ReadAt, clk.Now())
	}
}

// TestFileVersion: the version changes when the file is written, and a
// missing file is a version too (not an error).
func TestFileVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warehouse.duckdb")
	v := dashboard.FileVersion(path)
	none, err := v()
	if err != nil {
		t.Fatal(err)
	}
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	written, err := v()
	if err != nil {
		t.Fatal(err)
	}
	if none == written {
		t.Errorf("version %q before and after the file was created", none)
	}
}

// TestServer_Assets: the page and its assets are served from the binary
// with a policy that forbids any other origin, and nothing in them
// reaches out to the network (no CDN: the page works offline).
func TestServer_Assets(t *testing.T) {
	srv, err := dashboard.New(dashboard.Options{Open: openReadOnly(filepath.Join(t.TempDir(), "none.duckdb"))})
	if err != nil {
		t.Fatal(err)
	}
	code, hdr, body := get(t, srv, "/")
	if code != http.StatusOK || !strings.Contains(string(body), `src="/assets/app.js"`) {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for path, ctype := range map[string]string{"/assets/app.js": "javascript", "/assets/app.css": "text/css"} {
		code, hdr, _ := get(t, srv, path)
		if code != http.StatusOK || !strings.Contains(hdr.Get("Content-Type"), ctype) {
			t.Errorf("GET %s: %d %s", path, code, hdr.Get("Content-Type"))
		}
	}
	if code, _, _ := get(t, srv, "/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", code)
	}
	// Every URL in the assets is the SVG namespace or the page's own.
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"')]*`)
	err = fs.WalkDir(dashboard.Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(dashboard.Assets(), p)
		if err != nil {
			return err
		}
		for _, u := range url.FindAllString(string(b), -1) {
			if u != "http://www.w3.org/2000/svg" {
				t.Errorf("%s reaches out to %s", p, u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// checkTotals holds the snapshot's totals over every date to the other
// marts they must agree with (docs/MARTS.md §10, §15 to §17): the sessions
// of every channel, and of every hour, are daily_kpis' sessions; the
// orders and revenue of every hour, and of every channel under each
// attribution model, are daily_kpis' completed orders and revenue; the
// active users start on the first date with one, the sign-ups before it
// summed; the lists are the first TopN of the customers and products.
func checkTotals(t *testing.T, got dashboard.Snapshot, want readers) {
	t.Helper()
	var sessions, converting, orders int64
	var revenue money.Cents
	for _, k := range want.kpis {
		sessions, converting, orders, revenue = sessions+k.Sessions, converting+k.ConvertingSessions, orders+k.Orders, revenue+k.Revenue
	}
	var chSessions int64
	for _, c := range got.TrafficChannels {
		chSessions += c.Sessions
	}
	if chSessions != sessions {
		t.Errorf("traffic by channel: %d sessions, daily_kpis %d", chSessions, sessions)
	}
	var hSessions, hConverting, hOrders int64
	var hRevenue money.Cents
	for h, x := range got.TrafficHours {
		if x.Hour != h {
			t.Errorf("traffic_hours[%d] is hour %d", h, x.Hour)
		}
		hSessions, hConverting, hOrders, hRevenue = hSessions+x.Sessions, hConverting+x.ConvertingSessions, hOrders+x.Orders, hRevenue+x.Revenue
	}
	if len(got.TrafficHours) != 24 || hSessions != sessions || hConverting != converting || hOrders != orders || hRevenue != revenue {
		t.Errorf("traffic by hour: %d hours, %d sessions, %d converting, %d orders, %s; daily_kpis %d, %d, %d, %s",
			len(got.TrafficHours), hSessions, hConverting, hOrders, hRevenue, sessions, converting, orders, revenue)
	}
	var fo, lo int64
	var fr, lr money.Cents
	for _, c := range got.AttributionChannels {
		fo, lo, fr, lr = fo+c.FirstTouchOrders, lo+c.LastTouchOrders, fr+c.FirstTouchRevenue, lr+c.LastTouchRevenue
	}
	if fo != orders || lo != orders || fr != revenue || lr != revenue {
		t.Errorf("attribution: first touch %d orders %s, last touch %d orders %s; daily_kpis %d orders %s", fo, fr, lo, lr, orders, revenue)
	}
	var before int64
	i := 0
	for ; i < len(want.active) && want.active[i].DAU == 0; i++ {
		before += want.active[i].Signups
	}
	if i == 0 || i == len(want.active) {
		t.Fatalf("active_users: %d rows before the first active user of %d: the world should open with sign-ups only", i, len(want.active))
	}
	if len(got.ActiveUsers) != len(want.active)-i || got.EarlierSignups != before || got.ActiveUsers[0].DAU == 0 {
		t.Errorf("active users: %d rows from %v, %d earlier sign-ups; want %d rows, %d", len(got.ActiveUsers), got.ActiveUsers[0].Date,
			got.EarlierSignups, len(want.active)-i, before)
	}
	if len(got.TopCustomers) != dashboard.TopN || len(got.TopProductConversion) != dashboard.TopN {
		t.Errorf("%d top customers, %d top products by views; want %d each", len(got.TopCustomers), len(got.TopProductConversion), dashboard.TopN)
	}
	for _, c := range want.customers {
		if last := got.TopCustomers[len(got.TopCustomers)-1]; c.Revenue > last.Revenue && !slices.ContainsFunc(got.TopCustomers, func(x warehouse.CustomerLTV) bool { return x.UserID == c.UserID }) {
			t.Errorf("customer %d (revenue %s) is not among the top customers, whose last has %s", c.UserID, c.Revenue, last.Revenue)
		}
	}
}
