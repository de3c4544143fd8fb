package warehouse

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/shoplake/shoplake/internal/money"
)

// Totals over the dates of a mart, as a dashboard or a report shows a
// range of days: the rows of one reader summed by one dimension, with the
// mart's rates computed again from the sums by the mart's rule
// (docs/MARTS.md §0: half away from zero, four decimals, nil for a zero
// denominator), never averaged. They take the readers' rows and hold no
// SQL, like TopProducts.

// ChannelTraffic is marts.traffic_sources (§10) summed over its dates,
// device types and countries for one channel.
type ChannelTraffic struct {
	Channel              string `json:"channel"`
	Sessions             int64  `json:"sessions"`
	ReachedProductView   int64  `json:"reached_product_view"`
	ReachedAddToCart     int64  `json:"reached_add_to_cart"`
	ReachedBeginCheckout int64  `json:"reached_begin_checkout"`
	ReachedPurchase      int64  `json:"reached_purchase"`
	// FunnelConversion is ReachedPurchase / Sessions ("0.1234"); every row
	// of the mart has a session, so it is never nil.
	FunnelConversion *string `json:"funnel_conversion"`
}

// TrafficByChannel sums rows (marts.traffic_sources, any dates) by
// channel, the channels with the most sessions first (ties by channel,
// bytewise).
func TrafficByChannel(rows []TrafficSourceRow) []ChannelTraffic {
	by := map[string]*ChannelTraffic{}
	for _, r := range rows {
		c := by[r.Channel]
		if c == nil {
			c = &ChannelTraffic{Channel: r.Channel}
			by[r.Channel] = c
		}
		c.Sessions += r.Sessions
		c.ReachedProductView += r.ReachedProductView
		c.ReachedAddToCart += r.ReachedAddToCart
		c.ReachedBeginCheckout += r.ReachedBeginCheckout
		c.ReachedPurchase += r.ReachedPurchase
	}
	out := make([]ChannelTraffic, 0, len(by))
	for _, c := range by {
		c.FunnelConversion = Rate(c.ReachedPurchase, c.Sessions)
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ChannelTraffic) int {
		return cmp.Or(cmp.Compare(b.Sessions, a.Sessions), strings.Compare(a.Channel, b.Channel))
	})
	return out
}

// ChannelAttribution is marts.order_attribution (§15) summed over its
// dates and UTM values for one channel, under both models side by side.
type ChannelAttribution struct {
	Channel           string      `json:"channel"`
	FirstTouchOrders  int64       `json:"first_touch_orders"`
	FirstTouchRevenue money.Cents `json:"first_touch_revenue"`
	LastTouchOrders   int64       `json:"last_touch_orders"`
	LastTouchRevenue  money.Cents `json:"last_touch_revenue"`
}

// AttributionByChannel sums rows (marts.order_attribution, any dates) by
// channel and model, the channels with the most last-touch revenue first
// (then first-touch revenue, then channel, bytewise). Summed over the
// channels, each model's orders and revenue are daily_kpis' over the same
// dates (§15). It returns an error for a model it does not know.
func AttributionByChannel(rows []OrderAttributionRow) ([]ChannelAttribution, error) {
	by := map[string]*ChannelAttribution{}
	for _, r := range rows {
		c := by[r.Channel]
		if c == nil {
			c = &ChannelAttribution{Channel: r.Channel}
			by[r.Channel] = c
		}
		switch r.Model {
		case "first_touch":
			c.FirstTouchOrders += r.Orders
			c.FirstTouchRevenue += r.Revenue
		case "last_touch":
			c.LastTouchOrders += r.Orders
			c.LastTouchRevenue += r.Revenue
		default:
			return nil, fmt.Errorf("order_attribution %s %s: unknown model %q", r.Date.Format("2006-01-02"), r.Channel, r.Model)
		}
	}
	out := make([]ChannelAttribution, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ChannelAttribution) int {
		return cmp.Or(cmp.Compare(b.LastTouchRevenue, a.LastTouchRevenue), cmp.Compare(b.FirstTouchRevenue, a.FirstTouchRevenue),
			strings.Compare(a.Channel, b.Channel))
	})
	return out, nil
}

// HourTraffic is marts.traffic_by_hour (§16) summed over its dates for one
// hour of the day (business time zone).
type HourTraffic struct {
	Hour               int         `json:"hour"` // 0..23
	Sessions           int64       `json:"sessions"`
	ConvertingSessions int64       `json:"converting_sessions"`
	Orders             int64       `json:"orders"`
	Revenue            money.Cents `json:"revenue"`
}

// TrafficHours sums rows (marts.traffic_by_hour, any dates) by hour: 24
// rows, hour 0 to 23, an hour without any row of the mart at zero. It
// returns an error for an hour outside 0..23.
func TrafficHours(rows []TrafficHourRow) ([]HourTraffic, error) {
	out := make([]HourTraffic, 24)
	for h := range out {
		out[h].Hour = h
	}
	for _, r := range rows {
		if r.Hour < 0 || r.Hour > 23 {
			return nil, fmt.Errorf("traffic_by_hour %s: hour %d outside 0..23", r.Date.Format("2006-01-02"), r.Hour)
		}
		h := &out[r.Hour]
		h.Sessions += r.Sessions
		h.ConvertingSessions += r.ConvertingSessions
		h.Orders += r.Orders
		h.Revenue += r.Revenue
	}
	return out, nil
}

// ProductConversionTotal is marts.product_conversion (§5a) summed over its
// dates for one product: a session has one date, so the counts are the
// distinct sessions of the range that viewed, carted or purchased it.
type ProductConversionTotal struct {
	ProductID int64 `json:"product_id"`
	Conversion
}

// CategoryConversionTotal is marts.category_conversion (§5b) summed over
// its dates for one category.
type CategoryConversionTotal struct {
	Category string `json:"category"`
	Conversion
}

// TopProductConversion sums rows (marts.product_conversion, any dates) by
// product and returns the first n by view sessions (ties by product id);
// every product when n <= 0.
func TopProductConversion(rows []ProductConversionRow, n int) []ProductConversionTotal {
	by := map[int64]*ProductConversionTotal{}
	for _, r := range rows {
		p := by[r.ProductID]
		if p == nil {
			p = &ProductConversionTotal{ProductID: r.ProductID}
			by[r.ProductID] = p
		}
		p.Conversion.add(r.Conversion)
	}
	out := make([]ProductConversionTotal, 0, len(by))
	for _, p := range by {
		p.Conversion.rates()
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b ProductConversionTotal) int {
		return cmp.Or(cmp.Compare(b.ViewSessions, a.ViewSessions), cmp.Compare(a.ProductID, b.ProductID))
	})
	return first(out, n)
}

// TopCategoryConversion sums rows (marts.category_conversion, any dates)
// by category and returns the first n by view sessions (ties by category,
// bytewise); every category when n <= 0.
func TopCategoryConversion(rows []CategoryConversionRow, n int) []CategoryConversionTotal {
	by := map[string]*CategoryConversionTotal{}
	for _, r := range rows {
		c := by[r.Category]
		if c == nil {
			c = &CategoryConversionTotal{Category: r.Category}
			by[r.Category] = c
		}
		c.Conversion.add(r.Conversion)
	}
	out := make([]CategoryConversionTotal, 0, len(by))
	for _, c := range by {
		c.Conversion.rates()
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b CategoryConversionTotal) int {
		return cmp.Or(cmp.Compare(b.ViewSessions, a.ViewSessions), strings.Compare(a.Category, b.Category))
	})
	return first(out, n)
}

// TopCustomers returns the first n rows of marts.customer_ltv (§4a) by
// revenue to date, highest first (ties by user id); every customer when
// n <= 0. rows is not modified.
func TopCustomers(rows []CustomerLTV, n int) []CustomerLTV {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b CustomerLTV) int {
		return cmp.Or(cmp.Compare(b.Revenue, a.Revenue), cmp.Compare(a.UserID, b.UserID))
	})
	return first(out, n)
}

// add adds the counts of o to c (not its rates).
func (c *Conversion) add(o Conversion) {
	c.ViewSessions += o.ViewSessions
	c.CartSessions += o.CartSessions
	c.PurchaseSessions += o.PurchaseSessions
}

// rates sets c's rates from its counts.
func (c *Conversion) rates() {
	c.ViewToCart = Rate(c.CartSessions, c.ViewSessions)
	c.ViewToPurchase = Rate(c.PurchaseSessions, c.ViewSessions)
}

// first returns the first n of s (all when n <= 0 or n > len(s)).
func first[T any](s []T, n int) []T {
	if n <= 0 || n > len(s) {
		return s
	}
	return s[:n]
}

// Rate returns n / d as a mart's rate (docs/MARTS.md §0): rounded half
// away from zero to four decimals, as text ("0.0375", "1.0000",
// "-0.5000"); nil when d <= 0.
func Rate(n, d int64) *string {
	if d <= 0 {
		return nil
	}
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	q := (2*10000*n + d) / (2 * d)
	if q == 0 {
		sign = ""
	}
	s := fmt.Sprintf("%s%d.%04d", sign, q/10000, q%10000)
	return &s
}
