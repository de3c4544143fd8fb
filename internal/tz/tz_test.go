package tz_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/tz"
)

// TestZone_MatchesGo: over the range, a Zone's wall clock and date are
// Go's for the same location, at random instants and around every DST
// change of a few zones, including a half-hour one and the date line.
func TestZone_MatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"Europe/Madrid", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Apia", "America/Sao_Paulo"} {
		z, err := tz.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		loc, _ := time.LoadLocation(name)
		check := func(at time.Time) {
			want := at.In(loc)
			got := z.Local(at)
			if got.Year() != want.Year() || got.YearDay() != want.YearDay() || got.Hour() != want.Hour() || got.Minute() != want.Minute() {
				t.Fatalf("%s at %s: local %s, want %s", name, at.UTC(), got.Format(time.DateTime), want.Format(time.DateTime))
			}
			if d := z.Date(at); d.Format(time.DateOnly) != want.Format(time.DateOnly) || d.Location() != time.UTC || d.Hour() != 0 {
				t.Fatalf("%s at %s: date %s, want %s", name, at.UTC(), d, want.Format(time.DateOnly))
			}
		}
		span := tz.RangeEnd.Unix() - tz.RangeStart.Unix()
		for range 2000 {
			check(time.Unix(tz.RangeStart.Unix()+r.Int64N(span), 0))
		}
		// every transition in 2026, a second before and at it
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for at.Year() == 2026 {
			_, end := at.In(loc).ZoneBounds()
			if end.IsZero() {
				break
			}
			check(end.Add(-time.Second))
			check(end)
			at = end
		}
	}
}

func TestLoad(t *testing.T) {
	for _, name := range []string{"", "UTC", "Etc/UTC", "Etc/GMT"} {
		z, err := tz.Load(name)
		if err != nil || !z.IsUTC() {
			t.Errorf("Load(%q) = %v, %v: want UTC", name, z, err)
		}
	}
	for _, name := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "Europe/Madrid'; DROP TABLE x; --"} {
		if _, err := tz.Load(name); !errors.Is(err, tz.ErrUnknownZone) {
			t.Errorf("Load(%q) = %v, want ErrUnknownZone", name, err)
		}
	}
	z, err := tz.Load("Europe/Madrid")
	if err != nil || z.IsUTC() || z.Name() != "Europe/Madrid" {
		t.Fatalf("Load(Europe/Madrid) = %v, %v", z, err)
	}
	var nilZone *tz.Zone
	if !nilZone.IsUTC() || nilZone.Name() != "UTC" || tz.UTC.SQLDate("x") != "CAST(x AS DATE)" {
		t.Error("a nil Zone and UTC must be UTC, and UTC's SQL the plain cast")
	}
	// A CASE of a few comparisons per row: the periods of 70 years of DST,
	// balanced.
	sql := z.SQLLocal("t")
	if n := strings.Count(sql, "CASE WHEN"); n < 100 || n > 200 {
		t.Errorf("Europe/Madrid: %d CASEs, want one per DST change (~140)", n)
	}
	if depth := maxDepth(sql); depth > 9 {
		t.Errorf("Europe/Madrid: CASE nesting depth %d, want a balanced tree (<= 9)", depth)
	}
}

func maxDepth(s string) int {
	depth, best := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "CASE WHEN"):
			depth++
			best = max(best, depth)
		case strings.HasPrefix(s[i:], " END"):
			depth--
		}
	}
	return best
}
