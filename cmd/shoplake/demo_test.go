package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/internal/money"
)

func TestPercent(t *testing.T) {
	for in, want := range map[string]string{"0.0449": "4.49%", "1.0000": "100.00%", "0.5": "50.00%", "0.0000": "0.00%"} {
		s := in
		if got := percent(&s); got != want {
			t.Errorf("percent(%s) = %s, want %s", in, got, want)
		}
	}
	if got := percent(nil); got != "-" {
		t.Errorf("percent(nil) = %s, want -", got)
	}
}

func execute(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errw)
	err := root.Execute()
	return out.String(), errw.String(), err
}

func TestDemoCmd(t *testing.T) {
	dir := t.TempDir()
	t.Run("JSON", func(t *testing.T) {
		out, stderr, err := execute(t, "demo", "--seed", "9", "--days", "1", "--users", "120", "--data-dir", dir, "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var res demoResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if res.Seed != 9 || len(res.KPIs) == 0 {
			t.Fatalf("unexpected result: seed %d, %d KPI rows", res.Seed, len(res.KPIs))
		}
		hashed := map[string]bool{}
		for _, h := range res.Hashes {
			if !strings.HasPrefix(h.Table, "core.") && !strings.HasPrefix(h.Table, "marts.") {
				t.Errorf("hash of %s: only core and mart tables are hashed", h.Table)
			}
			hashed[h.Table] = true
		}
		for _, want := range []string{"core.users", "core.products", "core.orders", "core.order_items", "core.events", "marts.daily_kpis", "marts.session_funnel"} {
			if !hashed[want] {
				t.Errorf("no hash of %s", want)
			}
		}
		if res.Totals.Generated == 0 || res.InCore != int64(res.Totals.Generated) {
			t.Fatalf("generated %d events, CORE holds %d", res.Totals.Generated, res.InCore)
		}
		if !strings.Contains(stderr, "day 1/1") {
			t.Errorf("no progress on stderr:\n%s", stderr)
		}
		// The new marts are in the JSON and agree with the KPIs: every
		// session once in traffic_sources, every order placed once in
		// revenue_daily.
		var sessions, trafficSessions, placed, orders int64
		for _, k := range res.KPIs {
			sessions += k.Sessions
			orders += k.Orders // every order is completed without --realistic
		}
		for _, r := range res.Traffic {
			trafficSessions += r.Sessions
		}
		for _, r := range res.Revenue {
			placed += r.OrdersPlaced
			if r.NetSales != r.GrossSales-r.CancelledSales-r.Refunds {
				t.Errorf("revenue_daily %s: net %s is not gross - cancelled - refunds", r.Date.Format("2006-01-02"), r.NetSales)
			}
		}
		if sessions == 0 || trafficSessions != sessions || placed != orders {
			t.Errorf("traffic_sources counts %d sessions, daily_kpis %d; revenue_daily %d orders placed, daily_kpis %d", trafficSessions, sessions, placed, orders)
		}
		// The top products are the best of product_sales, by net sales.
		if len(res.TopProducts) > topProductsShown || (len(res.TopProducts) == 0) != (placed == 0) {
			t.Fatalf("%d top products of %d orders placed, want 1..%d if any", len(res.TopProducts), placed, topProductsShown)
		}
		var net money.Cents
		for _, r := range res.Revenue {
			net += r.NetSales
		}
		var topNet money.Cents
		for i, p := range res.TopProducts {
			topNet += p.Net
			if i > 0 && p.Net > res.TopProducts[i-1].Net {
				t.Errorf("top products not by net sales: %+v", res.TopProducts)
			}
		}
		if topNet < 0 || topNet > net || (placed > 0) != (topNet > 0) {
			t.Errorf("the top products net %s, the whole run %s", topNet, net)
		}
	})
	t.Run("Tables", func(t *testing.T) {
		out, stderr, err := execute(t, "demo", "--seed", "9", "--days", "1", "--users", "120", "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"DAILY KPIs", "SESSION FUNNEL", "product_view", "begin_checkout", "purchase", "TRAFFIC BY CHANNEL",
			"REVENUE (marts.revenue_daily", "TOP PRODUCTS (", "TABLE HASHES", "marts.daily_kpis", "marts.traffic_sources", "marts.revenue_daily"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ErrOtherSeed", func(t *testing.T) {
		_, _, err := execute(t, "demo", "--seed", "10", "--days", "1", "--users", "30", "--data-dir", dir)
		if err == nil || !strings.Contains(err.Error(), "another world") {
			t.Fatalf("err = %v, want a refusal to mix worlds", err)
		}
	})
	t.Run("ErrInvalidFlags", func(t *testing.T) {
		_, _, err := execute(t, "demo", "--days", "0", "--data-dir", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), `"--days" flag: want a whole number, 1 or more`) {
			t.Fatalf("err = %v, want one naming --days, the flag given", err)
		}
	})
}

func TestConfigCmd(t *testing.T) {
	t.Setenv("SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY", "topsecret")
	out, _, err := execute(t, "config")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "topsecret") {
		t.Fatal("config printed the secret")
	}
	if !strings.Contains(out, "SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY=<redacted>") {
		t.Fatalf("config does not list the variable set:\n%s", out)
	}
}

// TestTable_QuotesControlCharacters: a cell a terminal would act on (an
// escape sequence, a newline, invalid UTF-8) is printed quoted, the row
// stays one line, and ordinary text, accents included, is untouched.
func TestTable_QuotesControlCharacters(t *testing.T) {
	tb := &table{head: []string{"category", "n"}, right: []bool{false, true}}
	tb.add("jewelery", "1")
	tb.add("électronique", "2")
	tb.add("\x1b[31mred\nline", "3")
	tb.add("bad\xffutf8", "4")
	var b strings.Builder
	tb.print(&b)
	out := b.String()
	if strings.Contains(out, "\x1b") || strings.Count(out, "\n") != 5 {
		t.Fatalf("a control character reached the terminal:\n%q", out)
	}
	for _, want := range []string{"jewelery", "électronique", `"\x1b[31mred\nline"`, `"bad\xffutf8"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
