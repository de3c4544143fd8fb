package warehouse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/warehouse"
)

func TestRate(t *testing.T) {
	for _, c := range []struct {
		n, d int64
		want string
	}{
		{1, 3, "0.3333"}, {2, 3, "0.6667"}, {1, 8, "0.1250"}, {1, 16, "0.0625"},
		{1, 20000, "0.0001"}, {1, 20001, "0.0000"}, {0, 5, "0.0000"}, {5, 5, "1.0000"}, {7, 2, "3.5000"},
		{-1, 16, "-0.0625"}, {-1, 20001, "0.0000"},
	} {
		got := warehouse.Rate(c.n, c.d)
		if got == nil || *got != c.want {
			t.Errorf("Rate(%d, %d) = %v, want %s", c.n, c.d, text(got), c.want)
		}
	}
	if got := warehouse.Rate(3, 0); got != nil {
		t.Errorf("Rate(3, 0) = %s, want nil", *got)
	}
}

func text(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

func TestTrafficByChannel(t *testing.T) {
	d1, d2 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	rows := []warehouse.TrafficSourceRow{
		{Date: d1, Channel: "email", DeviceType: "mobile", Country: "DE", Sessions: 2, ReachedProductView: 2, ReachedAddToCart: 1, ReachedBeginCheckout: 1, ReachedPurchase: 1},
		{Date: d1, Channel: "direct", DeviceType: "desktop", Country: "US", Sessions: 3, ReachedProductView: 1},
		{Date: d2, Channel: "email", DeviceType: "desktop", Country: "US", Sessions: 1, ReachedProductView: 1, ReachedAddToCart: 1},
		{Date: d2, Channel: "affiliate", DeviceType: "tablet", Country: "FR", Sessions: 3, ReachedProductView: 3, ReachedAddToCart: 3, ReachedBeginCheckout: 3, ReachedPurchase: 3},
	}
	var b strings.Builder
	for _, c := range warehouse.TrafficByChannel(rows) {
		fmt.Fprintf(&b, "%s %d %d %d %d %d %s\n", c.Channel, c.Sessions, c.ReachedProductView, c.ReachedAddToCart, c.ReachedBeginCheckout,
			c.ReachedPurchase, text(c.FunnelConversion))
	}
	// email and affiliate tie on 3 sessions: bytewise, affiliate first.
	if got, want := b.String(), "affiliate 3 3 3 3 3 1.0000\ndirect 3 1 0 0 0 0.0000\nemail 3 3 2 1 1 0.3333\n"; got != want {
		t.Errorf("TrafficByChannel:\n%s\nwant:\n%s", got, want)
	}
	if got := warehouse.TrafficByChannel(nil); len(got) != 0 {
		t.Errorf("TrafficByChannel(nil) = %+v", got)
	}
}

func TestAttributionByChannel(t *testing.T) {
	d1, d2 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	row := func(d time.Time, model, channel, campaign string, orders int64, revenue money.Cents) warehouse.OrderAttributionRow {
		return warehouse.OrderAttributionRow{Date: d, Model: model, Channel: channel, UTMSource: "s", UTMMedium: "m", UTMCampaign: campaign, Orders: orders, Revenue: revenue}
	}
	rows := []warehouse.OrderAttributionRow{
		row(d1, "first_touch", "email", "march", 1, 1000),
		row(d1, "first_touch", "email", "spring", 2, 550),
		row(d1, "last_touch", "(untracked)", "(untracked)", 3, 1550),
		row(d2, "first_touch", "direct", "(none)", 1, 2000),
		row(d2, "last_touch", "direct", "(none)", 1, 2000),
	}
	got, err := warehouse.AttributionByChannel(rows)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range got {
		fmt.Fprintf(&b, "%s %d %s %d %s\n", c.Channel, c.FirstTouchOrders, c.FirstTouchRevenue, c.LastTouchOrders, c.LastTouchRevenue)
	}
	if want := "direct 1 20.00 1 20.00\n(untracked) 0 0.00 3 15.50\nemail 3 15.50 0 0.00\n"; b.String() != want {
		t.Errorf("AttributionByChannel:\n%s\nwant:\n%s", b.String(), want)
	}
	rows[0].Model = "linear"
	if _, err := warehouse.AttributionByChannel(rows); err == nil || !strings.Contains(err.Error(), `"linear"`) {
		t.Errorf("an unknown model: err %v, want one naming it", err)
	}
}

func TestTrafficHours(t *testing.T) {
	d1, d2 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	rows := []warehouse.TrafficHourRow{
		{Date: d1, Hour: 0, Weekday: 7, Sessions: 2, ConvertingSessions: 1, Orders: 1, Revenue: 999},
		{Date: d1, Hour: 23, Weekday: 7, Sessions: 1},
		{Date: d2, Hour: 0, Weekday: 1, Sessions: 4, ConvertingSessions: 2, Orders: 3, Revenue: 1},
	}
	got, err := warehouse.TrafficHours(rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 24 {
		t.Fatalf("%d hours, want 24", len(got))
	}
	for h, r := range got {
		want := warehouse.HourTraffic{Hour: h}
		switch h {
		case 0:
			want = warehouse.HourTraffic{Hour: 0, Sessions: 6, ConvertingSessions: 3, Orders: 4, Revenue: 1000}
		case 23:
			want.Sessions = 1
		}
		if r != want {
			t.Errorf("hour %d: %+v, want %+v", h, r, want)
		}
	}
	rows[1].Hour = 24
	if _, err := warehouse.TrafficHours(rows); err == nil || !strings.Contains(err.Error(), "hour 24") {
		t.Errorf("hour 24: err %v", err)
	}
}

func TestTopConversion(t *testing.T) {
	d1, d2 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	conv := func(v, c, p int64) warehouse.Conversion {
		return warehouse.Conversion{ViewSessions: v, CartSessions: c, PurchaseSessions: p}
	}
	products := []warehouse.ProductConversionRow{
		{Date: d1, ProductID: 7, Conversion: conv(2, 1, 0)},
		{Date: d1, ProductID: 3, Conversion: conv(1, 1, 1)},
		{Date: d2, ProductID: 7, Conversion: conv(1, 0, 1)},
		{Date: d2, ProductID: 5, Conversion: conv(3, 2, 0)},
		{Date: d2, ProductID: 9, Conversion: conv(0, 1, 0)},
	}
	var b strings.Builder
	for _, p := range warehouse.TopProductConversion(products, 0) {
		fmt.Fprintf(&b, "P%d %d %d %d %s %s\n", p.ProductID, p.ViewSessions, p.CartSessions, p.PurchaseSessions, text(p.ViewToCart), text(p.ViewToPurchase))
	}
	// P5 and P7 tie on 3 views: the smaller id first; P9, never viewed, has no rates.
	if got, want := b.String(), "P5 3 2 0 0.6667 0.0000\nP7 3 1 1 0.3333 0.3333\nP3 1 1 1 1.0000 1.0000\nP9 0 1 0 NULL NULL\n"; got != want {
		t.Errorf("TopProductConversion:\n%s\nwant:\n%s", got, want)
	}
	if top := warehouse.TopProductConversion(products, 2); len(top) != 2 || top[1].ProductID != 7 {
		t.Errorf("TopProductConversion(2) = %+v, want P5 and P7", top)
	}
	categories := []warehouse.CategoryConversionRow{
		{Date: d1, Category: "toys", Conversion: conv(2, 1, 1)},
		{Date: d1, Category: "home", Conversion: conv(4, 1, 0)},
		{Date: d2, Category: "toys", Conversion: conv(6, 2, 1)},
		{Date: d2, Category: "Books", Conversion: conv(8, 0, 0)},
	}
	b.Reset()
	for _, c := range warehouse.TopCategoryConversion(categories, 3) {
		fmt.Fprintf(&b, "%s %d %d %d %s %s\n", c.Category, c.ViewSessions, c.CartSessions, c.PurchaseSessions, text(c.ViewToCart), text(c.ViewToPurchase))
	}
	if got, want := b.String(), "Books 8 0 0 0.0000 0.0000\ntoys 8 3 2 0.3750 0.2500\nhome 4 1 0 0.2500 0.0000\n"; got != want {
		t.Errorf("TopCategoryConversion(3):\n%s\nwant:\n%s", got, want)
	}
}

func TestTopCustomers(t *testing.T) {
	rows := []warehouse.CustomerLTV{{UserID: 1, Revenue: 500}, {UserID: 2, Revenue: 900}, {UserID: 3, Revenue: 500}, {UserID: 4, Revenue: 0}}
	var ids []int64
	for _, c := range warehouse.TopCustomers(rows, 3) {
		ids = append(ids, c.UserID)
	}
	if got, want := fmt.Sprint(ids), "[2 1 3]"; got != want {
		t.Errorf("TopCustomers(3): users %s, want %s", got, want)
	}
	if rows[0].UserID != 1 || rows[1].UserID != 2 {
		t.Errorf("TopCustomers reordered its input: %+v", rows)
	}
	if n := len(warehouse.TopCustomers(rows, 0)); n != 4 {
		t.Errorf("TopCustomers(0): %d rows, want 4", n)
	}
}
