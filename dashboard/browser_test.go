package dashboard_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/shoplake/shoplake/dashboard"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/warehouse"
	"github.com/shoplake/shoplake/warehouse/warehousetest"
)

// screenshotEnv and -screenshot name the PNG the browser test writes
// (default: in the test's temporary directory).
const screenshotEnv = "DASHBOARD_SCREENSHOT"

var screenshotFlag = flag.String("screenshot", "", "write the browser test's screenshot of the dashboard to this PNG file (or $"+screenshotEnv+")")

// chromium finds Debian's chromium (or another Chrome) on PATH. Under
// CI=true a missing browser fails the test; elsewhere it skips, saying how
// to install one.
func chromium(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH: the browser test needs it (apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// pageNumber is one <data> element of the page.
type pageNumber struct {
	Mart  string `json:"mart"`
	Field string `json:"field"`
	Key   string `json:"key"`
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Text  string `json:"text"`
}

func (n pageNumber) id() string { return n.Mart + "|" + n.Field + "|" + n.Key }

// pageState is what the page shows, read in one evaluation.
type pageState struct {
	Numbers []pageNumber `json:"numbers"`
	// Untagged are texts with a digit that are no number, date, axis
	// position, warehouse text or page chrome.
	Untagged []string `json:"untagged"`
	// Unlabelled are charts without a text alternative, tables without a
	// caption, controls without a label.
	Unlabelled []string `json:"unlabelled"`
	// LowContrast are heatmap cells whose text has a contrast under 4.5:1.
	LowContrast []string `json:"low_contrast"`
}

const readPage = `(() => {
  const numbers = [...document.querySelectorAll('data[data-mart]')].map((e) => ({
    mart: e.dataset.mart, field: e.dataset.field, key: e.dataset.key, kind: e.dataset.kind, value: e.dataset.value, text: e.textContent }));
  const ok = 'data[data-mart], time, [data-date], [data-axis], [data-text], [data-chrome], title';
  const untagged = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (w.nextNode()) {
    const t = w.currentNode;
    if (/\d/.test(t.nodeValue) && !t.parentElement.closest(ok)) untagged.push(t.parentElement.tagName + ': ' + t.nodeValue.trim());
  }
  const unlabelled = [];
  for (const s of document.querySelectorAll('svg')) if (s.getAttribute('role') !== 'img' || !s.getAttribute('aria-label')) unlabelled.push('svg ' + s.outerHTML.slice(0, 80));
  for (const t of document.querySelectorAll('table')) if (!t.querySelector('caption')) unlabelled.push('table ' + t.outerHTML.slice(0, 80));
  for (const c of document.querySelectorAll('input, select, button')) if (!c.labels?.length && !c.textContent.trim() && !c.getAttribute('aria-label')) unlabelled.push(c.outerHTML.slice(0, 80));
  const lum = (rgb) => { const c = rgb.match(/\d+/g).slice(0, 3).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const low = [];
  for (const td of document.querySelectorAll('#retention td.cell')) {
    if (!td.textContent) continue;
    const st = getComputedStyle(td);
    const [a, b] = [lum(st.color), lum(st.backgroundColor)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) low.push(td.textContent + ' ' + ratio.toFixed(2));
  }
  return { numbers, untagged, unlabelled, low_contrast: low };
})()`

// expected is every number the page may show, by mart|field|key, as the
// warehouse's readers give it: integers in decimal, money with two
// decimals (money.Cents.String), rates as the marts' strings, "" for NULL.
func expected(tb testing.TB, r readers) map[string]string {
	tb.Helper()
	m := map[string]string{}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	c := func(v money.Cents) string { return v.String() }
	pc := func(v *money.Cents) string {
		if v == nil {
			return ""
		}
		return v.String()
	}
	ps := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	put := func(mart, key string, fields map[string]string) {
		for f, v := range fields {
			m[mart+"|"+f+"|"+key] = v
		}
	}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	for _, k := range r.kpis {
		put("daily_kpis", day(k.Date), map[string]string{"sessions": i(k.Sessions), "orders": i(k.Orders), "revenue": c(k.Revenue),
			"avg_order_value": pc(k.AvgOrderValue), "conversion_rate": ps(k.ConversionRate)})
	}
	for _, x := range r.revenue {
		put("revenue_daily", day(x.Date), map[string]string{"gross_sales": c(x.GrossSales), "cancelled_sales": c(x.CancelledSales),
			"refunds": c(x.Refunds), "net_sales": c(x.NetSales), "orders_placed": i(x.OrdersPlaced)})
	}
	for _, o := range r.orders {
		put("orders_daily", day(o.Date), map[string]string{"new_customers": i(o.NewCustomers), "returning_customers": i(o.ReturningCustomers)})
	}
	for _, f := range r.funnel {
		put("session_funnel", day(f.Date)+"/"+f.Step, map[string]string{"sessions": i(f.Sessions), "conversion_from_previous": ps(f.ConversionFromPrevious)})
	}
	for _, x := range r.retention {
		put("cohort_retention", fmt.Sprintf("%s/%s/%d", x.Granularity, day(x.Cohort), x.Offset), map[string]string{"retention_rate": x.Rate})
		put("cohort_retention", x.Granularity+"/"+day(x.Cohort), map[string]string{"cohort_size": i(x.CohortSize)})
	}
	for _, x := range r.ltv {
		put("cohort_ltv", fmt.Sprintf("%s/%d", day(x.CohortMonth), x.HorizonDays), map[string]string{"horizon_days": strconv.Itoa(x.HorizonDays),
			"cohort_customers": i(x.CohortCustomers), "matured_customers": i(x.MaturedCustomers), "revenue": c(x.Revenue), "avg_revenue": pc(x.AvgRevenue)})
	}
	sales := func(s warehouse.Sales) map[string]string {
		return map[string]string{"net_sales_rank": strconv.Itoa(s.NetSalesRank), "net_units": i(s.NetUnits), "gross_sales": c(s.GrossSales),
			"cancelled_sales": c(s.CancelledSales), "refunds": c(s.Refunds), "net_sales": c(s.NetSales)}
	}
	for _, p := range warehouse.TopProducts(r.products, dashboard.TopN) {
		f := sales(p.Sales)
		f["product_id"] = i(p.ProductID)
		put("top_products", i(p.ProductID), f)
	}
	for _, x := range warehouse.TopCategories(r.categories, dashboard.TopN) {
		put("top_categories", x.Category, sales(x.Sales))
	}
	for _, x := range r.reconciliation {
		put("purchase_reconciliation", day(x.Date), map[string]string{"orders": i(x.Orders), "tracked_orders": i(x.TrackedOrders),
			"untracked_orders": i(x.UntrackedOrders), "purchase_events": i(x.PurchaseEvents), "orphan_purchase_events": i(x.OrphanPurchaseEvents),
			"tracking_loss_rate": ps(x.TrackingLossRate)})
	}
	for _, x := range r.abandonment {
		put("checkout_abandonment", day(x.Date), map[string]string{"sessions": i(x.Sessions), "carts": i(x.Carts), "checkouts": i(x.Checkouts),
			"purchases": i(x.Purchases), "cart_abandonment_rate": ps(x.CartAbandonmentRate), "checkout_abandonment_rate": ps(x.CheckoutAbandonmentRate)})
	}
	for _, x := range r.active {
		put("active_users", day(x.Date), map[string]string{"dau": i(x.DAU), "wau": i(x.WAU), "mau": i(x.MAU), "signups": i(x.Signups),
			"stickiness": ps(x.Stickiness)})
	}
	if _, earlier := firstActive(r.active); earlier > 0 {
		put("active_users", "", map[string]string{"earlier_signups": i(earlier)})
	}
	for _, x := range warehouse.TrafficByChannel(r.traffic) {
		put("traffic_channels", x.Channel, map[string]string{"sessions": i(x.Sessions), "reached_product_view": i(x.ReachedProductView),
			"reached_add_to_cart": i(x.ReachedAddToCart), "reached_begin_checkout": i(x.ReachedBeginCheckout),
			"reached_purchase": i(x.ReachedPurchase), "funnel_conversion": ps(x.FunnelConversion)})
	}
	hours, err := warehouse.TrafficHours(r.hours)
	if err != nil {
		tb.Fatal(err)
	}
	for _, x := range hours {
		put("traffic_hours", strconv.Itoa(x.Hour), map[string]string{"sessions": i(x.Sessions), "converting_sessions": i(x.ConvertingSessions),
			"orders": i(x.Orders), "revenue": c(x.Revenue)})
	}
	channels, err := warehouse.AttributionByChannel(r.attribution)
	if err != nil {
		tb.Fatal(err)
	}
	for _, x := range channels {
		put("attribution_channels", x.Channel, map[string]string{"first_touch_orders": i(x.FirstTouchOrders), "first_touch_revenue": c(x.FirstTouchRevenue),
			"last_touch_orders": i(x.LastTouchOrders), "last_touch_revenue": c(x.LastTouchRevenue)})
	}
	top := warehouse.TopCustomers(r.customers, dashboard.TopN)
	for _, x := range top {
		put("top_customers", i(x.UserID), map[string]string{"user_id": i(x.UserID), "orders": i(x.Orders), "revenue": c(x.Revenue),
			"revenue_30d": pc(x.Revenue30), "revenue_90d": pc(x.Revenue90), "revenue_365d": pc(x.Revenue365)})
	}
	put("top_customers", "", map[string]string{"shown": strconv.Itoa(len(top))})
	put("customer_ltv", "", map[string]string{"customers": strconv.Itoa(len(r.customers))})
	conversion := func(x warehouse.Conversion) map[string]string {
		return map[string]string{"view_sessions": i(x.ViewSessions), "cart_sessions": i(x.CartSessions), "purchase_sessions": i(x.PurchaseSessions),
			"view_to_cart_rate": ps(x.ViewToCart), "view_to_purchase_rate": ps(x.ViewToPurchase)}
	}
	products := warehouse.TopProductConversion(r.productConv, 0)
	for _, x := range products[:min(dashboard.TopN, len(products))] {
		f := conversion(x.Conversion)
		f["product_id"] = i(x.ProductID)
		put("top_product_conversion", i(x.ProductID), f)
	}
	put("top_product_conversion", "", map[string]string{"shown": strconv.Itoa(min(dashboard.TopN, len(products)))})
	put("product_conversion", "", map[string]string{"products": strconv.Itoa(len(products))})
	categories := warehouse.TopCategoryConversion(r.categoryConv, 0)
	for _, x := range categories[:min(dashboard.TopN, len(categories))] {
		put("top_category_conversion", x.Category, conversion(x.Conversion))
	}
	put("top_category_conversion", "", map[string]string{"shown": strconv.Itoa(min(dashboard.TopN, len(categories)))})
	put("category_conversion", "", map[string]string{"categories": strconv.Itoa(len(categories))})
	if p := r.freshness.LastPromoted; p != nil {
		put("freshness", "", map[string]string{"last_promoted_run": i(p.RunID)})
	}
	put("last_run", "", map[string]string{"run_id": i(r.run.RunID)})
	counts := map[string]int64{"pass": 0, "warn": 0, "fail": 0, "skipped": 0}
	for _, x := range r.run.Results {
		counts[x.Status]++
		put("check_results", x.Name, map[string]string{"failures": i(x.Failures)})
	}
	for s, n := range counts {
		put("check_counts", "", map[string]string{s: i(n)})
	}
	a := r.accounting
	put("kept_out", "", map[string]string{"quarantined_events": i(a.Events.Quarantined), "quarantined_source_rows": i(a.QuarantinedSourceRows()),
		"rejected_rows": i(a.RejectedRows()), "objects_set_aside": i(a.QuarantinedObjects), "conflicting_events": i(a.Events.Conflicting)})
	return m
}

// firstActive returns the first date of marts.active_users with an active
// user ("" when none: the page lists every row), and the sign-ups before
// it, which the page sums.
func firstActive(rows []warehouse.ActiveUsersRow) (string, int64) {
	var earlier int64
	for _, r := range rows {
		if r.DAU > 0 {
			return r.Date.Format(time.DateOnly), earlier
		}
		earlier += r.Signups
	}
	return "", 0
}

// grouped is the decimal integer s with commas between thousands.
func grouped(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}

// displayed reports whether text shows value as the page promises: "—"
// for none, integers and money with grouped digits, a rate as its exact
// percentage with two decimals.
func displayed(kind, value, text string) bool {
	if value == "" {
		return text == "—"
	}
	switch kind {
	case "int":
		return text == grouped(value)
	case "money":
		whole, frac, ok := strings.Cut(value, ".")
		return ok && len(frac) == 2 && text == grouped(whole)+"."+frac
	case "rate":
		pct, ok := strings.CutSuffix(text, "%")
		_, frac, _ := strings.Cut(pct, ".")
		v, ok1 := new(big.Rat).SetString(value)
		p, ok2 := new(big.Rat).SetString(strings.ReplaceAll(pct, ",", ""))
		return ok && ok1 && ok2 && len(frac) == 2 && new(big.Rat).Mul(v, big.NewRat(100, 1)).Cmp(p) == 0
	}
	return false
}

// checkPage fails t unless every number on the page is in want, equal to
// it and displayed as promised, every text with a digit is tagged, every
// chart, table and control is labelled and the heatmap readable; and
// unless the page shows every key of want that cover keeps.
func checkPage(t *testing.T, st pageState, want map[string]string, cover func(id string) bool) {
	t.Helper()
	if len(st.Numbers) < 50 {
		t.Fatalf("the page shows %d numbers", len(st.Numbers))
	}
	shown := map[string]bool{}
	bad := 0
	for _, n := range st.Numbers {
		shown[n.id()] = true
		w, ok := want[n.id()]
		switch {
		case !ok:
			t.Errorf("the page shows %s = %q, which no mart holds", n.id(), n.Value)
		case n.Value != w:
			t.Errorf("the page shows %s = %q, the mart holds %q", n.id(), n.Value, w)
		case !displayed(n.Kind, n.Value, n.Text):
			t.Errorf("%s: %q is shown as %q", n.id(), n.Value, n.Text)
		default:
			continue
		}
		if bad++; bad > 20 {
			t.Fatal("too many differences")
		}
	}
	var missing []string
	for id := range want {
		if cover(id) && !shown[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the page does not show %d numbers of the marts, among them %s", len(missing), strings.Join(missing[:min(10, len(missing))], ", "))
	}
	for _, u := range st.Untagged {
		t.Errorf("a number not tagged with its mart: %s", u)
	}
	for _, u := range st.Unlabelled {
		t.Errorf("without a text alternative or label: %s", u)
	}
	for _, u := range st.LowContrast {
		t.Errorf("heatmap cell with contrast under 4.5:1: %s", u)
	}
}

// TestDashboard_Browser drives the page in a real chromium: it loads
// without a console error or exception; every number it shows equals the
// mart it comes from and every mart row the page promises is shown; the
// controls work from the keyboard with a visible focus; the page polls;
// while another process writes the warehouse it says the data is stale;
// and it writes a screenshot.
// The lag the browser test's dashboard is given for one shard.
var (
	lagSeconds = 42.0
	lagAt      = time.Date(2026, 2, 8, 23, 59, 0, 0, time.UTC)
)

func TestDashboard_Browser(t *testing.T) {
	exe := chromium(t)
	path := warehouseFile(t)
	rd := readAll(t, path)
	want := expected(t, rd)
	activeFrom, _ := firstActive(rd.active)

	var gen atomic.Int64 // bumped to make the server read again
	version := dashboard.FileVersion(path)
	srv, err := dashboard.New(dashboard.Options{
		Open: openReadOnly(path),
		Version: func() (string, error) {
			v, err := version()
			return fmt.Sprint(v, gen.Load()), err
		},
		Source:      "duckdb warehouse.duckdb",
		MinInterval: time.Millisecond,
		Refresh:     time.Second,
		Lag: func(context.Context) (dashboard.Lag, error) {
			return dashboard.Lag{Available: true, Shards: []dashboard.ShardLag{{ShardID: "shardId-000000000003", IteratorAgeSeconds: &lagSeconds, CheckpointedAt: &lagAt}}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var polls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/snapshot" {
			polls.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	defer ts.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900), chromedp.Flag("hide-scrollbars", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	report := func(s string) {
		mu.Lock()
		problems = append(problems, s)
		mu.Unlock()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			report(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				report(fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				report(fmt.Sprintf("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	checkConsole := func(when string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("%s: %s", when, p)
		}
		problems = nil
	}
	enable := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{})
		return err
	})
	began := time.Now()
	if err := chromedp.Do(ctx, enable, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatal(err)
	}
	step := func(t *testing.T, name string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	eval := func(t *testing.T, expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	read := func(t *testing.T) pageState {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](readPage))
		if err != nil {
			t.Fatal(err)
		}
		var st pageState
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	step(t, "the page draws the marts", chromedp.WaitVisible(chromedp.CSS(`#kpis data`)))
	checkConsole("loading the page")
	// The consumer's lag, as Options.Lag read it (a consumer's scrape).
	lagCard := eval(t, `[...document.querySelectorAll('#health .card')].filter((c) => c.querySelector('h3').textContent === 'Consumer lag').map((c) => c.innerText).join('')`)
	if !strings.Contains(lagCard, "shardId-000000000003") || !strings.Contains(lagCard, "42 s") {
		t.Errorf("the consumer lag card reads %q, want shard shardId-000000000003 42 s behind", lagCard)
	}

	latest := ""
	for id := range want {
		if d, ok := strings.CutPrefix(id, "daily_kpis|sessions|"); ok && d > latest {
			latest = d
		}
	}
	funnelDate := latest
	granularity := "month"
	// What the page must show: every key but the funnel of other dates
	// than the one chosen, the cohorts of the other granularity and the
	// sign-ups before the first active user.
	cover := func(id string) bool {
		mart, rest, _ := strings.Cut(id, "|")
		_, key, _ := strings.Cut(rest, "|")
		switch mart {
		case "active_users":
			return key == "" || key >= activeFrom
		case "session_funnel":
			return strings.HasPrefix(key, funnelDate+"/")
		case "cohort_retention":
			return strings.HasPrefix(key, granularity+"/")
		case "orders_daily", "revenue_daily", "daily_kpis":
			f, _, _ := strings.Cut(rest, "|")
			return f != "avg_order_value" // in a tile, for the latest date only
		}
		return true
	}
	checkPage(t, read(t), want, cover)

	t.Run("Keyboard", func(t *testing.T) {
		focused := func() string {
			return eval(t, `document.activeElement.id || document.activeElement.className || document.activeElement.tagName`)
		}
		tabTo := func(id string, max int) {
			t.Helper()
			var seen []string
			for range max {
				step(t, "tab", chromedp.KeyEvent(kb.Tab))
				f := focused()
				if f == id {
					if style := eval(t, `getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
						t.Errorf("%s has the focus but no visible outline", id)
					}
					return
				}
				seen = append(seen, f)
			}
			t.Fatalf("Tab never reached #%s; it went through %v", id, seen)
		}
		eval(t, `document.activeElement.blur(), ''`)
		step(t, "first tab", chromedp.KeyEvent(kb.Tab))
		if f, left := focused(), eval(t, `String(document.activeElement.getBoundingClientRect().left >= 0)`); f != "skip" || left != "true" {
			t.Errorf("the first Tab reaches %q (on screen: %s), want the skip link, shown", f, left)
		}
		tabTo("pause", 3)
		step(t, "space", chromedp.KeyEvent(" "))
		if p, text := eval(t, `document.getElementById('pause').getAttribute('aria-pressed')`), eval(t, `document.getElementById('pause').textContent`); p != "true" || !strings.Contains(text, "Resume") {
			t.Errorf("after Space on pause: aria-pressed %s, %q", p, text)
		}
		step(t, "space", chromedp.KeyEvent(" "))
		if p := eval(t, `document.getElementById('pause').getAttribute('aria-pressed')`); p != "false" {
			t.Errorf("after a second Space: aria-pressed %s", p)
		}
		tabTo("s-checks", 5)
		step(t, "open the check results", chromedp.KeyEvent(kb.Enter))
		if open := eval(t, `String(document.getElementById('d-checks').open)`); open != "true" {
			t.Errorf("Enter on the summary left the check results closed")
		}
		tabTo("funnel-date", 10)
		step(t, "an older funnel date", chromedp.KeyEvent(kb.ArrowDown))
		funnelDate = eval(t, `document.getElementById('funnel-date').value`)
		if funnelDate == latest {
			t.Errorf("ArrowDown on the funnel's date left it on %s", latest)
		}
		if got := eval(t, `document.querySelector('#funnel data').dataset.key`); !strings.HasPrefix(got, funnelDate+"/") {
			t.Errorf("the funnel shows %s, want the date chosen, %s", got, funnelDate)
		}
		step(t, "leave the select", chromedp.KeyEvent(kb.Tab))
		if f := eval(t, `document.activeElement.name`); f != "granularity" {
			t.Fatalf("after the funnel's date, Tab reaches %q, want the cohorts' granularity", f)
		}
		step(t, "weekly cohorts", chromedp.KeyEvent(kb.ArrowRight))
		granularity = eval(t, `document.querySelector('input[name=granularity]:checked').value`)
		if granularity != "week" {
			t.Fatalf("ArrowRight on the granularity chose %q, want week", granularity)
		}
		checkPage(t, read(t), want, cover)
		if open := eval(t, `String(document.getElementById('d-checks').open)`); open != "true" {
			t.Errorf("the check results closed on their own")
		}
	})
	checkConsole("using the keyboard")

	// The page polls by itself (every second here): two more requests
	// come without anyone asking.
	for n0, deadline := polls.Load(), time.Now().Add(5*time.Second); polls.Load() < n0+2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests of /api/snapshot in 5 s, want 2: the page does not poll every second", polls.Load()-n0)
		}
	}

	t.Run("Stale", func(t *testing.T) {
		release := warehousetest.HoldWriter(t, path)
		gen.Add(1)
		step(t, "refresh", chromedp.Click(chromedp.CSS(`#refresh-now`)))
		step(t, "the stale note", chromedp.Poll[chromedp.Void](`!document.getElementById('stale').hidden && document.getElementById('stale').textContent.includes('Stale since')`,
			chromedp.WithPollingTimeout(5*time.Second)))
		if n := eval(t, `String(document.querySelectorAll('#kpis data').length)`); n == "0" {
			t.Error("the stale page dropped its figures")
		}
		release()
		gen.Add(1)
		step(t, "refresh", chromedp.Click(chromedp.CSS(`#refresh-now`)))
		step(t, "fresh again", chromedp.Poll[chromedp.Void](`document.getElementById('stale').hidden`, chromedp.WithPollingTimeout(5*time.Second)))
	})
	// A failed read is not a console error: the page says so itself.
	checkConsole("reading a busy warehouse")

	// The screenshot: the whole page as it first shows (monthly cohorts,
	// the latest funnel, the check results closed).
	eval(t, `(() => {
	  document.querySelector('input[name=granularity][value=month]').click();
	  const s = document.getElementById('funnel-date');
	  s.selectedIndex = 0;
	  s.dispatchEvent(new Event('change'));
	  document.getElementById('d-checks').open = false;
	  document.activeElement.blur();
	  window.scrollTo(0, 0);
	  return '';
	})()`)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := *screenshotFlag
	if out == "" {
		out = os.Getenv(screenshotEnv)
	}
	if out == "" {
		out = filepath.Join(t.TempDir(), "dashboard.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes); browser part took %s", out, len(png), time.Since(began).Round(time.Millisecond))
}
