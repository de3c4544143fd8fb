package sim

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// DefaultProducts is the catalogue size when Config.Products is 0: the size
// of FakeStore's own catalogue.
const DefaultProducts = 20

// Limits on a Config, to keep a mistyped size from exhausting memory.
const (
	MaxDays      = 3660
	MaxUsers     = 10_000_000
	MaxProducts  = 100_000
	MaxTraffic   = 1000
	MaxCampaigns = 1000
)

// Config fixes a World. The same Config always yields the same World, and
// the same Generator stream.
//
// Every field added after the first five has a zero value that keeps the
// world as it was: no campaigns, traffic ×1, and no tracking loss, no
// cancelled or refunded orders, no price changes, withdrawals, new listings
// or hostile strings. Realistic returns a Config with realistic non-zero
// rates for a demo.
type Config struct {
	Seed     uint64
	Start    time.Time // UTC midnight of the first simulated day
	Days     int       // number of simulated days, >= 1
	Users    int       // registered users over the whole run, >= 1
	Products int       // catalogue size over the whole run; DefaultProducts if 0

	// Traffic multiplies every session arrival rate (registered, returning
	// and anonymous; not sign-ups, whose number is Users); 0 means 1.
	Traffic float64
	// Campaigns multiply the session arrival rate while they run;
	// overlapping campaigns multiply each other. Sign-ups during the run
	// follow the same rate, so a campaign also brings new users.
	Campaigns []Campaign

	// TrackingLoss is the share of purchases that emit no purchase event:
	// their order exists in the API, the stream never hears of it.
	TrackingLoss float64
	// CancelRate and RefundRate are the shares of orders created with
	// status StatusCancelled and StatusRefunded; the rest are completed.
	CancelRate float64
	RefundRate float64

	// PriceChangeRate is the chance, per product and per week, that its
	// price changes. Changes take effect at 00:00 UTC of a day of the run
	// (never at Start), at most one per product per day.
	PriceChangeRate float64
	// WithdrawRate is the chance, per product and per week, that it is
	// withdrawn from the catalogue, at 00:00 UTC of a day of the run.
	WithdrawRate float64
	// NewProductShare is the share of Products (the highest ids) that are
	// listed during the run, at 00:00 UTC of a day after the first, instead
	// of before Start. Ignored when Days is 1.
	NewProductShare float64
	// OrderLifecycle makes orders reach their status after they are placed
	// (cancelled within hours, refunded within days; lifecycle.go), and
	// PartialRefundRate is the share of completed orders of two lines or
	// more that have one line returned. Without it an order has its final
	// status from the start.
	OrderLifecycle    bool
	PartialRefundRate float64
	// LegacyClientRate is the share of sessions whose client speaks event
	// contract version 1 (no dimension); GarbledDimensionRate the share of
	// events that carry one dimension the contract does not accept. See
	// dimensions.go.
	LegacyClientRate     float64
	GarbledDimensionRate float64
	// HostileRate is the share of products whose title is a hostile string
	// (quotes, ../, SQL, control characters, unicode; see HostileString);
	// a third of those also get a hostile category.
	HostileRate float64
}

// Campaign multiplies the session arrival rate by Multiplier over
// [Start, Start+Duration).
type Campaign struct {
	Start      time.Time
	Duration   time.Duration
	Multiplier float64 // > 0
}

// active reports whether the campaign runs at t.
func (c Campaign) active(t time.Time) bool {
	return !t.Before(c.Start) && t.Before(c.Start.Add(c.Duration))
}

// DefaultConfig is the demo's world: 3 days, 200 users, 20 products, from
// Monday 2026-01-05 UTC, seed 1, every optional rate at zero.
func DefaultConfig() Config {
	return Config{
		Seed:     1,
		Start:    time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Days:     3,
		Users:    200,
		Products: DefaultProducts,
	}
}

// The rates Realistic applies.
const (
	RealisticTrackingLoss    = 0.02
	RealisticCancelRate      = 0.04
	RealisticRefundRate      = 0.03
	RealisticPriceChangeRate = 0.05
	RealisticWithdrawRate    = 0.01
	RealisticNewProductShare = 0.05
	RealisticPartialRefund   = 0.03
	RealisticLegacyClient    = 0.05
	RealisticGarbledDim      = 0.005
)

// Realistic returns c with the realistic rates above for every optional rate
// that is zero, and the order lifecycle on: orders are cancelled hours and
// refunded days after they are placed, as a shop's are, so a batch sees an
// order's later status only through fakestore.lookback_days. Hostile
// strings and campaigns stay as c has them.
func (c Config) Realistic() Config {
	c.OrderLifecycle = true
	set := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	set(&c.TrackingLoss, RealisticTrackingLoss)
	set(&c.CancelRate, RealisticCancelRate)
	set(&c.RefundRate, RealisticRefundRate)
	set(&c.PriceChangeRate, RealisticPriceChangeRate)
	set(&c.WithdrawRate, RealisticWithdrawRate)
	set(&c.NewProductShare, RealisticNewProductShare)
	set(&c.LegacyClientRate, RealisticLegacyClient)
	set(&c.GarbledDimensionRate, RealisticGarbledDim)
	set(&c.PartialRefundRate, RealisticPartialRefund)
	return c
}

// End returns the instant the simulation stops: Start + Days×24h. Every event
// and order is strictly before it.
func (c Config) End() time.Time {
	return c.Start.UTC().Add(time.Duration(c.Days) * 24 * time.Hour)
}

// Validate returns nil if c can build a World, or one error, wrapping
// ErrInvalidConfig, that lists every problem.
func (c Config) Validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	switch {
	case c.Start.IsZero():
		add("start is required")
	case !c.Start.UTC().Equal(c.Start.UTC().Truncate(24 * time.Hour)):
		add("start %s is not a UTC midnight", c.Start.UTC().Format(time.RFC3339Nano))
	case c.Start.UTC().Year() < 1971 || c.Start.UTC().Year() > 9000:
		add("start year %d is outside 1971..9000", c.Start.UTC().Year())
	}
	if c.Days < 1 || c.Days > MaxDays {
		add("days %d is outside 1..%d", c.Days, MaxDays)
	}
	if c.Users < 1 || c.Users > MaxUsers {
		add("users %d is outside 1..%d", c.Users, MaxUsers)
	}
	if c.Products < 0 || c.Products > MaxProducts {
		add("products %d is outside 0..%d (0 means %d)", c.Products, MaxProducts, DefaultProducts)
	}
	if !(c.Traffic >= 0 && c.Traffic <= MaxTraffic) {
		add("traffic %v is outside 0..%d (0 means 1)", c.Traffic, MaxTraffic)
	}
	if len(c.Campaigns) > MaxCampaigns {
		add("%d campaigns, at most %d", len(c.Campaigns), MaxCampaigns)
	}
	for i, k := range c.Campaigns {
		if k.Start.IsZero() {
			add("campaign %d: start is required", i)
		}
		if k.Duration <= 0 {
			add("campaign %d: duration %s is not positive", i, k.Duration)
		}
		if !(k.Multiplier > 0 && k.Multiplier <= MaxTraffic) {
			add("campaign %d: multiplier %v is outside (0, %d]", i, k.Multiplier, MaxTraffic)
		}
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"tracking_loss", c.TrackingLoss}, {"cancel_rate", c.CancelRate}, {"refund_rate", c.RefundRate},
		{"price_change_rate", c.PriceChangeRate}, {"withdraw_rate", c.WithdrawRate},
		{"new_product_share", c.NewProductShare}, {"hostile_rate", c.HostileRate},
		{"partial_refund_rate", c.PartialRefundRate}, {"legacy_client_rate", c.LegacyClientRate}, {"garbled_dimension_rate", c.GarbledDimensionRate},
	} {
		if !(r.v >= 0 && r.v <= 1) || math.IsNaN(r.v) {
			add("%s %v is outside 0..1", r.name, r.v)
		}
	}
	if c.CancelRate+c.RefundRate > 1 {
		add("cancel_rate + refund_rate = %v is more than 1", c.CancelRate+c.RefundRate)
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(probs, "; "))
}

// normalized returns c with defaults applied and times in UTC.
func (c Config) normalized() Config {
	c.Start = c.Start.UTC()
	if c.Products == 0 {
		c.Products = DefaultProducts
	}
	if c.Traffic == 0 {
		c.Traffic = 1
	}
	if len(c.Campaigns) > 0 {
		cs := make([]Campaign, len(c.Campaigns))
		for i, k := range c.Campaigns {
			k.Start = k.Start.UTC()
			cs[i] = k
		}
		c.Campaigns = cs
	}
	return c
}
