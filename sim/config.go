package sim

import (
	"fmt"
	"strings"
	"time"
)

// DefaultProducts is the catalogue size when Config.Products is 0: the size
// of FakeStore's own catalogue.
const DefaultProducts = 20

// Limits on a Config, to keep a mistyped size from exhausting memory.
const (
	MaxDays     = 3660
	MaxUsers    = 1_000_000
	MaxProducts = 100_000
)

// Config fixes a World. The same Config always yields the same World.
type Config struct {
	Seed     uint64
	Start    time.Time // UTC midnight of the first simulated day
	Days     int       // number of simulated days, >= 1
	Users    int       // registered users over the whole run, >= 1
	Products int       // catalogue size; DefaultProducts if 0
}

// DefaultConfig is the demo's world: 3 days, 200 users, 20 products, from
// Monday 2026-01-05 UTC, seed 1.
func DefaultConfig() Config {
	return Config{
		Seed:     1,
		Start:    time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Days:     3,
		Users:    200,
		Products: DefaultProducts,
	}
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
	switch {
	case c.Start.IsZero():
		probs = append(probs, "start is required")
	case !c.Start.UTC().Equal(c.Start.UTC().Truncate(24 * time.Hour)):
		probs = append(probs, fmt.Sprintf("start %s is not a UTC midnight", c.Start.UTC().Format(time.RFC3339Nano)))
	case c.Start.UTC().Year() < 1971 || c.Start.UTC().Year() > 9000:
		probs = append(probs, fmt.Sprintf("start year %d is outside 1971..9000", c.Start.UTC().Year()))
	}
	if c.Days < 1 || c.Days > MaxDays {
		probs = append(probs, fmt.Sprintf("days %d is outside 1..%d", c.Days, MaxDays))
	}
	if c.Users < 1 || c.Users > MaxUsers {
		probs = append(probs, fmt.Sprintf("users %d is outside 1..%d", c.Users, MaxUsers))
	}
	if c.Products < 0 || c.Products > MaxProducts {
		probs = append(probs, fmt.Sprintf("products %d is outside 0..%d (0 means %d)", c.Products, MaxProducts, DefaultProducts))
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(probs, "; "))
}

// normalized returns c with defaults applied and Start in UTC.
func (c Config) normalized() Config {
	c.Start = c.Start.UTC()
	if c.Products == 0 {
		c.Products = DefaultProducts
	}
	return c
}
