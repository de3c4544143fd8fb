// Package tz is the business time zone: the calendar in which the daily
// marts report (docs/MARTS.md §0, "Time"). A Zone maps an instant to its
// local wall-clock time and date, in Go for the simulator's oracle and as
// SQL for the warehouse's models, from one table of UTC offsets, so that
// the two agree on every instant by construction.
//
// The table holds the zone's offsets from Go's time zone database over
// [RangeStart, RangeEnd); an instant before the range takes the offset in
// force at its start, one after it the offset in force at its end. The
// database is the one this binary embeds (time/tzdata) or the system's
// (time.LoadLocation prefers the system's), so the rules are those of the
// machine's tzdata release: a zone whose rules changed between releases
// can date an instant differently on two machines.
package tz

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // a machine without /usr/share/zoneinfo still knows every zone
)

// The range of instants over which a Zone follows the zone's transitions.
var (
	RangeStart = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	RangeEnd   = time.Date(2060, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrUnknownZone is returned by Load for a name the time zone database
// does not know.
var ErrUnknownZone = errors.New("unknown time zone")

// period is one stretch of constant offset: from (a Unix second; the first
// period's is ignored: it extends to the past) up to the next period's.
type period struct {
	from   int64
	offset int // seconds east of UTC
}

// Zone is a business time zone. The zero value and a nil *Zone are UTC.
type Zone struct {
	name    string
	periods []period // ascending by from; empty for UTC
}

// UTC is the default business time zone.
var UTC = &Zone{name: "UTC"}

// Load returns the zone of an IANA name ("Europe/Madrid"); "" and "UTC" are
// UTC. A zone whose offset is zero over the whole range (Etc/UTC, Etc/GMT)
// is UTC too.
func Load(name string) (*Zone, error) {
	if name == "" || name == "UTC" {
		return UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || strings.HasPrefix(name, "/") || name == "Local" {
		return nil, fmt.Errorf("%w %q: want an IANA name such as UTC, Europe/Madrid or America/New_York", ErrUnknownZone, name)
	}
	z := &Zone{name: name}
	offset := func(u int64) int {
		_, off := time.Unix(u, 0).In(loc).Zone()
		return off
	}
	// Day by day (no zone changes its offset twice in a day), then to the
	// second by bisection. ZoneBounds would be quicker but reports no end
	// for some periods past the database's explicit transitions.
	u, end := RangeStart.Unix(), RangeEnd.Unix()
	off := offset(u)
	z.periods = append(z.periods, period{from: u, offset: off})
	for ; u < end; u += 86400 {
		next := offset(u + 86400)
		if next == off {
			continue
		}
		lo, hi := u, u+86400 // offset(lo) == off, offset(hi) != off
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if offset(mid) == off {
				lo = mid
			} else {
				hi = mid
			}
		}
		off = offset(hi)
		z.periods = append(z.periods, period{from: hi, offset: off})
	}
	if len(z.periods) == 1 && z.periods[0].offset == 0 {
		z.periods = nil
	}
	return z, nil
}

// Name is the zone's name as configured ("UTC" for UTC).
func (z *Zone) Name() string {
	if z == nil || z.name == "" {
		return "UTC"
	}
	return z.name
}

// IsUTC reports whether the zone's offset is zero at every instant.
func (z *Zone) IsUTC() bool { return z == nil || len(z.periods) == 0 }

// offset returns the offset in seconds at instant t.
func (z *Zone) offset(t time.Time) int {
	if z.IsUTC() {
		return 0
	}
	u := t.Unix()
	// the last period starting at or before u; the first one extends to the past
	lo, hi := 0, len(z.periods)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if z.periods[mid].from <= u {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return z.periods[lo].offset
}

// Local returns t's wall-clock time in the zone, as a time in UTC with
// those fields (the form the warehouse's TIMESTAMP without zone holds).
func (z *Zone) Local(t time.Time) time.Time {
	return t.UTC().Add(time.Duration(z.offset(t)) * time.Second)
}

// Date returns t's calendar date in the zone, as UTC midnight of that date
// (the label the marts use for a day).
func (z *Zone) Date(t time.Time) time.Time {
	y, m, d := z.Local(t).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// SQLLocal returns a SQL expression for the wall-clock time in the zone of
// the TIMESTAMP (UTC) expression expr: expr itself for UTC, else a nested
// CASE over the zone's periods, balanced, so that a row is placed with a
// handful of comparisons. expr is evaluated once per comparison: pass a
// column, not a costly expression. The SQL is portable (DuckDB,
// PostgreSQL, Redshift): TIMESTAMP and INTERVAL literals, + and -.
func (z *Zone) SQLLocal(expr string) string {
	if z.IsUTC() {
		return expr
	}
	return z.sqlCase(expr, 0, len(z.periods)-1)
}

// SQLDate returns a SQL expression for the date in the zone of the
// TIMESTAMP expression expr: CAST(expr AS DATE) for UTC.
func (z *Zone) SQLDate(expr string) string {
	return "CAST(" + z.SQLLocal(expr) + " AS DATE)"
}

// sqlCase places expr among periods lo..hi.
func (z *Zone) sqlCase(expr string, lo, hi int) string {
	if lo == hi {
		off := z.periods[lo].offset
		switch {
		case off == 0:
			return "(" + expr + ")"
		case off > 0:
			return "(" + expr + " + INTERVAL '" + strconv.Itoa(off) + " seconds')"
		default:
			return "(" + expr + " - INTERVAL '" + strconv.Itoa(-off) + " seconds')"
		}
	}
	mid := (lo + hi + 1) / 2
	at := time.Unix(z.periods[mid].from, 0).UTC().Format("2006-01-02 15:04:05")
	return "CASE WHEN " + expr + " >= TIMESTAMP '" + at + "' THEN " + z.sqlCase(expr, mid, hi) +
		" ELSE " + z.sqlCase(expr, lo, mid-1) + " END"
}
