package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

func martsDay(n int) time.Time { return time.Date(2024, 3, n, 0, 0, 0, 0, time.UTC) }

func martsStrPtr(s string) *string { return &s }

func martsCentsPtr(c money.Cents) *money.Cents { return &c }

// martsFixture is two days of KPIs (day 2's revenue differs from the
// oracle's), the funnel of day 2, a retention grid with one differing cell
// and LTV rows.
func martsFixture() martsData {
	d1, d2 := martsDay(1), martsDay(2)
	cohort := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	week := time.Date(2024, 2, 26, 0, 0, 0, 0, time.UTC) // a Monday
	d := martsData{
		AsOf: martsDay(3),
		KPIs: []warehouse.DailyKPI{
			{Date: d1, Sessions: 40, ConvertingSessions: 3, Orders: 3, Revenue: 48650, AvgOrderValue: martsCentsPtr(16216), ConversionRate: martsStrPtr("0.0750")},
			{Date: d2, Sessions: 50, ConvertingSessions: 4, Orders: 4, Revenue: 51000, AvgOrderValue: martsCentsPtr(12750), ConversionRate: martsStrPtr("0.0800")},
		},
		OracleKPIs: []sim.DailyKPI{
			{Date: d1, Sessions: 40, ConvertingSessions: 3, Orders: 3, Revenue: 48650, AvgOrderValue: martsCentsPtr(16216), ConversionRate: martsStrPtr("0.0750")},
			{Date: d2, Sessions: 50, ConvertingSessions: 4, Orders: 4, Revenue: 52000, AvgOrderValue: martsCentsPtr(13000), ConversionRate: martsStrPtr("0.0800")},
		},
		Retention: []warehouse.CohortRetentionRow{
			{Granularity: "month", Cohort: cohort, Offset: 0, Period: cohort, CohortSize: 3, Active: 3, Rate: "1.0000"},
			{Granularity: "week", Cohort: week, Offset: 0, Period: week, CohortSize: 3, Active: 3, Rate: "1.0000"},
			{Granularity: "week", Cohort: week, Offset: 1, Period: week.AddDate(0, 0, 7), CohortSize: 3, Active: 1, Rate: "0.3333"},
		},
		OracleRetention: []sim.CohortRetentionRow{
			{Granularity: sim.Monthly, Cohort: cohort, Offset: 0, Period: cohort, CohortSize: 3, Active: 3, Rate: "1.0000"},
			{Granularity: sim.Weekly, Cohort: week, Offset: 0, Period: week, CohortSize: 3, Active: 3, Rate: "1.0000"},
			{Granularity: sim.Weekly, Cohort: week, Offset: 1, Period: week.AddDate(0, 0, 7), CohortSize: 3, Active: 2, Rate: "0.6667"},
		},
		LTV: []warehouse.CohortLTVRow{
			{CohortMonth: cohort, HorizonDays: 30, CohortCustomers: 3, MaturedCustomers: 0, Revenue: 0},
			{CohortMonth: cohort, HorizonDays: 90, CohortCustomers: 3, MaturedCustomers: 0, Revenue: 0},
		},
		OracleLTV: []sim.CohortLTVRow{
			{CohortMonth: cohort, HorizonDays: 30, CohortCustomers: 3, MaturedCustomers: 0, Revenue: 0},
			{CohortMonth: cohort, HorizonDays: 90, CohortCustomers: 3, MaturedCustomers: 0, Revenue: 0},
		},
	}
	d.Revenue = []warehouse.RevenueDailyRow{
		{Date: d1, OrdersPlaced: 3, GrossSales: 48650, NetSales: 48650},
		{Date: d2, OrdersPlaced: 4, GrossSales: 51000, CancelledOrders: 1, CancelledSales: 1000, RefundedUnits: 1, Refunds: 500, NetSales: 49500},
	}
	d.OracleRevenue = []sim.RevenueDailyRow{
		{Date: d1, OrdersPlaced: 3, GrossSales: 48650, NetSales: 48650},
		{Date: d2, OrdersPlaced: 4, GrossSales: 51000, CancelledOrders: 1, CancelledSales: 1000, RefundedUnits: 2, Refunds: 900, NetSales: 49100},
	}
	// Channels: direct agrees over both days; email's purchases differ;
	// referral is only in the oracle.
	d.Traffic = []warehouse.TrafficSourceRow{
		{Date: d1, Channel: "direct", DeviceType: "mobile", Country: "ES", Sessions: 30, ReachedPurchase: 2},
		{Date: d2, Channel: "direct", DeviceType: "desktop", Country: "ES", Sessions: 10, ReachedPurchase: 1},
		{Date: d2, Channel: "email", DeviceType: "mobile", Country: "FR", Sessions: 20, ReachedPurchase: 2},
	}
	d.OracleTraffic = []sim.TrafficSourceRow{
		{Date: d1, Channel: "direct", DeviceType: "mobile", Country: "ES", Sessions: 30, ReachedPurchase: 2},
		{Date: d2, Channel: "direct", DeviceType: "desktop", Country: "ES", Sessions: 10, ReachedPurchase: 1},
		{Date: d2, Channel: "email", DeviceType: "mobile", Country: "FR", Sessions: 20, ReachedPurchase: 3},
		{Date: d2, Channel: "referral", DeviceType: "tablet", Country: "DE", Sessions: 5, ReachedPurchase: 0},
	}
	// Day 2's products: 7 agrees; 3's refunds differ; 9 is only in the
	// warehouse, with a category a terminal would act on; day 1's 5 is not
	// the latest day.
	d.Products = []warehouse.ProductSalesRow{
		{Date: d1, ProductID: 5, Category: "home", Sales: warehouse.Sales{OrdersPlaced: 3, NetSales: 48650, NetSalesRank: 1}},
		{Date: d2, ProductID: 3, Category: "toys", Sales: warehouse.Sales{OrdersPlaced: 2, GrossSales: 30000, Refunds: 500, NetSales: 29500, NetSalesRank: 1}},
		{Date: d2, ProductID: 7, Category: "books", Sales: warehouse.Sales{OrdersPlaced: 2, GrossSales: 21000, NetSales: 20000, CancelledSales: 1000, NetSalesRank: 2}},
		{Date: d2, ProductID: 9, Category: "bad\x1b[2J", Sales: warehouse.Sales{OrdersPlaced: 1, GrossSales: 100, NetSales: 100, NetSalesRank: 3}},
	}
	d.OracleProducts = []sim.ProductSalesRow{
		{Date: d1, ProductID: 5, Category: "home", Sales: sim.Sales{OrdersPlaced: 3, NetSales: 48650, NetSalesRank: 1}},
		{Date: d2, ProductID: 3, Category: "toys", Sales: sim.Sales{OrdersPlaced: 2, GrossSales: 30000, Refunds: 900, NetSales: 29100, NetSalesRank: 1}},
		{Date: d2, ProductID: 7, Category: "books", Sales: sim.Sales{OrdersPlaced: 2, GrossSales: 21000, NetSales: 20000, CancelledSales: 1000, NetSalesRank: 2}},
	}
	sessions := []int64{50, 20, 8, 4}
	prev := []*string{nil, martsStrPtr("0.4000"), martsStrPtr("0.4000"), martsStrPtr("0.5000")}
	for i, st := range sim.FunnelSteps {
		d.Funnel = append(d.Funnel, warehouse.FunnelStep{Date: d2, StepOrder: i + 1, Step: string(st), Sessions: sessions[i], ConversionFromPrevious: prev[i]})
		d.OracleFunnel = append(d.OracleFunnel, sim.FunnelStep{Date: d2, StepOrder: i + 1, Step: st, Sessions: sessions[i], ConversionFromPrevious: prev[i]})
	}
	return d
}

func martsLines(t *testing.T, d martsData, sub, width, height int) []string {
	t.Helper()
	out := ansi.Strip(renderMarts(view{marts: d}, newStyles(), sub, width, height))
	return strings.Split(out, "\n")
}

func martsLineWith(lines []string, sub string) string {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestPanelMarts_KPIs(t *testing.T) {
	lines := martsLines(t, martsFixture(), 0, 100, 30)
	text := strings.Join(lines, "\n")
	for _, want := range []string{"daily KPIs", "oracle as of 2024-03-03", "press m for the next page", "486.50"} {
		if !strings.Contains(text, want) {
			t.Errorf("page 0 lacks %q:\n%s", want, text)
		}
	}
	day1 := martsLineWith(lines, "2024-03-01")
	if !strings.HasPrefix(day1, "=") || strings.Contains(day1, "≠") {
		t.Errorf("day 1 is equal to the oracle, want =: %q", day1)
	}
	day2 := martsLineWith(lines, "2024-03-02 ")
	if !strings.HasPrefix(day2, "≠") || !strings.Contains(day2, "510.00") || !strings.Contains(day2, "520.00") {
		t.Errorf("day 2's revenue differs, want ≠ and both values: %q", day2)
	}
}

func TestPanelMarts_Funnel(t *testing.T) {
	lines := martsLines(t, martsFixture(), 0, 100, 30)
	if martsLineWith(lines, "session funnel 2024-03-02") == "" {
		t.Fatalf("no funnel title:\n%s", strings.Join(lines, "\n"))
	}
	bar := func(step string) int {
		l := martsLineWith(lines, step)
		if l == "" {
			t.Fatalf("no funnel line for %s", step)
		}
		if !strings.HasPrefix(l, "=") || !strings.Contains(l, "(oracle ") {
			t.Errorf("funnel line %q: want = and the oracle count", l)
		}
		return strings.Count(l, "█")
	}
	view, cart, checkout, purchase := bar("product_view"), bar("add_to_cart"), bar("begin_checkout"), bar("purchase ")
	if !(view > cart && cart > checkout && checkout > purchase && purchase > 0) {
		t.Errorf("bars not proportional to sessions: %d %d %d %d", view, cart, checkout, purchase)
	}

	// A differing step is marked.
	d := martsFixture()
	d.OracleFunnel[1].Sessions = 21
	l := martsLineWith(martsLines(t, d, 0, 100, 30), "add_to_cart")
	if !strings.HasPrefix(l, "≠") || !strings.Contains(l, "20 (oracle 21)") {
		t.Errorf("differing funnel step: %q", l)
	}
}

func TestPanelMarts_Retention(t *testing.T) {
	lines := martsLines(t, martsFixture(), 1, 100, 30)
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "cohort retention") || !strings.Contains(text, "monthly") || !strings.Contains(text, "weekly") {
		t.Errorf("page 1 lacks its sections:\n%s", text)
	}
	month := martsLineWith(lines, "2024-03 ")
	if !strings.Contains(month, "100%") || strings.Contains(month, "≠") {
		t.Errorf("monthly cohort row: %q", month)
	}
	week := martsLineWith(lines, "2024-02-26")
	if !strings.Contains(week, "100%") || !strings.Contains(week, "33%≠") {
		t.Errorf("weekly cohort row, want 100%% and 33%%≠: %q", week)
	}

	// A cell only the oracle has is a difference too.
	d := martsFixture()
	d.Retention = d.Retention[:2]
	week = martsLineWith(martsLines(t, d, 1, 100, 30), "2024-02-26")
	if !strings.Contains(week, "≠") {
		t.Errorf("missing cell not marked: %q", week)
	}
}

func TestPanelMarts_LTV(t *testing.T) {
	lines := martsLines(t, martsFixture(), 2, 100, 30)
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "LTV by cohort") {
		t.Errorf("no page title:\n%s", text)
	}
	h30 := martsLineWith(lines, "30d")
	if !strings.HasPrefix(h30, "=") || !strings.Contains(h30, "2024-03") {
		t.Errorf("horizon 30 row: %q\n%s", h30, text)
	}
	// sub wraps modulo the pages.
	if got := strings.Join(martsLines(t, martsFixture(), 2+len(martsPages), 100, 30), "\n"); got != text {
		t.Errorf("page %d is not page 2", 2+len(martsPages))
	}
}

// TestPanelMarts_Revenue: revenue_daily beside the oracle's, a date they
// agree on marked =, one whose refunds differ marked ≠ with both values.
func TestPanelMarts_Revenue(t *testing.T) {
	lines := martsLines(t, martsFixture(), 3, 100, 30)
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "revenue by its own date") {
		t.Errorf("no page title:\n%s", text)
	}
	if day1 := martsLineWith(lines, martsDay(1).Format(time.DateOnly)); !strings.HasPrefix(day1, "=") || !strings.Contains(day1, "486.50") {
		t.Errorf("day 1: %q\n%s", day1, text)
	}
	if day2 := martsLineWith(lines, martsDay(2).Format(time.DateOnly)); !strings.HasPrefix(day2, "≠") || !strings.Contains(day2, "5.00") || !strings.Contains(day2, "9.00") {
		t.Errorf("day 2, refunds 5.00 against the oracle's 9.00, want ≠: %q\n%s", day2, text)
	}
}

func TestPanelMarts_Channels(t *testing.T) {
	lines := martsLines(t, martsFixture(), 4, 100, 30)
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "channels") {
		t.Errorf("no page title:\n%s", text)
	}
	direct, email, referral := martsLineWith(lines, " direct "), martsLineWith(lines, " email "), martsLineWith(lines, " referral ")
	if !strings.HasPrefix(direct, "=") || !strings.Contains(direct, "40") || !strings.Contains(direct, "7.5%") {
		t.Errorf("direct, 40 sessions and 3 purchases on both sides (7.5%%), want =: %q\n%s", direct, text)
	}
	if !strings.HasPrefix(email, "≠") || !strings.HasPrefix(referral, "≠") {
		t.Errorf("email's purchases differ and referral is the oracle's alone, want ≠: %q, %q\n%s", email, referral, text)
	}
	if strings.Index(text, "direct") > strings.Index(text, "email") {
		t.Errorf("channels not by sessions, most first:\n%s", text)
	}
}

func TestPanelMarts_Products(t *testing.T) {
	lines := martsLines(t, martsFixture(), 5, 100, 30)
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "top products, latest day") || !strings.Contains(text, martsDay(2).Format(time.DateOnly)) {
		t.Errorf("no page title or date:\n%s", text)
	}
	if strings.Contains(text, "\x1b[2J") {
		t.Errorf("a category's escape sequence reached the screen:\n%q", text)
	}
	p3, p7, p9 := martsLineWith(lines, " toys "), martsLineWith(lines, " books "), martsLineWith(lines, `"bad\x1b[2J"`)
	if !strings.HasPrefix(p3, "≠") || !strings.Contains(p3, "295.00") || !strings.Contains(p3, "291.00") {
		t.Errorf("product 3, net 295.00 against the oracle's 291.00, want ≠: %q\n%s", p3, text)
	}
	if !strings.HasPrefix(p7, "=") || !strings.HasPrefix(p9, "≠") {
		t.Errorf("product 7 agrees (=), product 9 is only in the warehouse (≠): %q, %q\n%s", p7, p9, text)
	}
	if strings.Contains(text, "486.50") {
		t.Errorf("day 1's products on the latest day's page:\n%s", text)
	}
}

func TestPanelMarts_NoBuild(t *testing.T) {
	for sub := range len(martsPages) {
		text := strings.Join(martsLines(t, martsData{}, sub, 80, 16), "\n")
		if !strings.Contains(text, "no build yet") {
			t.Errorf("page %d without data: %q", sub, text)
		}
	}
}

func TestPanelMarts_Sizes(t *testing.T) {
	many := martsFixture()
	for i := 3; i <= 40; i++ {
		many.KPIs = append(many.KPIs, warehouse.DailyKPI{Date: martsDay(1).AddDate(0, 0, i), Sessions: int64(i)})
		many.OracleRetention = append(many.OracleRetention, sim.CohortRetentionRow{
			Granularity: sim.Weekly, Cohort: martsDay(1).AddDate(0, 0, 7*i), Offset: i % 5, CohortSize: 1, Rate: "1.0000"})
		many.OracleLTV = append(many.OracleLTV, sim.CohortLTVRow{CohortMonth: martsDay(1).AddDate(0, i, 0), HorizonDays: 30})
	}
	data := map[string]martsData{"empty": {}, "fixture": martsFixture(), "many": many}
	for name, d := range data {
		for sub := range len(martsPages) {
			for _, sz := range [][2]int{{80, 16}, {60, 10}, {30, 5}, {0, 0}, {1, 1}, {200, 60}} {
				w, h := sz[0], sz[1]
				out := renderMarts(view{marts: d}, newStyles(), sub, w, h)
				if out != renderMarts(view{marts: d}, newStyles(), sub, w, h) {
					t.Errorf("%s page %d %dx%d: not deterministic", name, sub, w, h)
				}
				if out == "" {
					if h > 0 && w > 0 {
						t.Errorf("%s page %d %dx%d: empty", name, sub, w, h)
					}
					continue
				}
				lines := strings.Split(out, "\n")
				if len(lines) > h {
					t.Errorf("%s page %d %dx%d: %d lines", name, sub, w, h, len(lines))
				}
				for _, l := range lines {
					if lipgloss.Width(l) > w {
						t.Errorf("%s page %d %dx%d: line %q is %d wide", name, sub, w, h, ansi.Strip(l), lipgloss.Width(l))
					}
				}
			}
		}
	}
	// With many days the latest are kept.
	text := ansi.Strip(renderMarts(view{marts: many}, newStyles(), 0, 80, 16))
	if !strings.Contains(text, martsDay(1).AddDate(0, 0, 40).Format(time.DateOnly)) || !strings.Contains(text, "earlier days") {
		t.Errorf("clipped KPI table:\n%s", text)
	}
}

func TestPanelMarts_Load(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a scenario")
	}
	ctx := context.Background()
	p, err := scenarios.Start(ctx, scenarios.Scenario{Name: "t", Seed: 3, World: scenarios.World{Users: 150, Days: 1}}, scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}()
	d, err := loadMarts(ctx, p)
	if err != nil {
		t.Fatalf("before the first build: %v", err)
	}
	if !martsEmpty(d) {
		t.Errorf("before the first build: %+v", d)
	}
	for !p.Done() {
		if err := p.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d, err = loadMarts(ctx, p); err != nil {
		t.Fatal(err)
	}
	if len(d.KPIs) == 0 || len(d.KPIs) != len(d.OracleKPIs) {
		t.Fatalf("KPIs: %d rows, oracle %d", len(d.KPIs), len(d.OracleKPIs))
	}
	for i := range d.KPIs {
		if !martsKPIEqual(&d.KPIs[i], &d.OracleKPIs[i]) {
			t.Errorf("KPI row %d: %+v, oracle %+v", i, d.KPIs[i], d.OracleKPIs[i])
		}
	}
	if len(d.Revenue) != len(d.OracleRevenue) {
		t.Errorf("revenue_daily: %d rows, oracle %d", len(d.Revenue), len(d.OracleRevenue))
	}
	for i := range min(len(d.Revenue), len(d.OracleRevenue)) {
		if w, o := d.Revenue[i], d.OracleRevenue[i]; w.Date != o.Date || w.GrossSales != o.GrossSales || w.NetSales != o.NetSales {
			t.Errorf("revenue row %d: %+v, oracle %+v", i, w, o)
		}
	}
	if d.AsOf.IsZero() || len(d.Funnel) == 0 || len(d.OracleFunnel) == 0 {
		t.Errorf("as of %v, funnel %d rows, oracle %d", d.AsOf, len(d.Funnel), len(d.OracleFunnel))
	}
	if len(d.Products) == 0 || len(d.Products) != len(d.OracleProducts) {
		t.Errorf("product_sales: %d rows, oracle %d", len(d.Products), len(d.OracleProducts))
	}
	for page, name := range map[int]string{4: "channels", 5: "top products"} {
		if out := ansi.Strip(renderMarts(view{marts: d}, newStyles(), page, 120, 40)); strings.Contains(out, "≠") || !strings.Contains(out, "=") {
			t.Errorf("the %s page after a replay:\n%s", name, out)
		}
	}
	out := ansi.Strip(renderMarts(view{marts: d}, newStyles(), 0, 120, 40))
	if strings.Contains(out, "≠") {
		t.Errorf("page 0 shows a difference:\n%s", out)
	}
	if !strings.Contains(out, "=") {
		t.Errorf("page 0 marks nothing equal:\n%s", out)
	}
}
