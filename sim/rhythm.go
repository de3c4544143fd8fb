package sim

import (
	"math/rand/v2"
	"sort"
	"time"
)

// The traffic rhythm. The session arrival rate at t is
//
//	base × hourFactor(weekday, hour) × dayFactor(weekday) × campaigns(t) × Traffic
//
// where the hour factors average 1 over a day and the day factors average 1
// over a week, so base is the mean rate.

// weekdayHourWeights is the daily rhythm of a weekday, by UTC hour: quiet
// nights, a midday bump at lunch, an evening peak.
var weekdayHourWeights = [24]float64{1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 9, 8, 8, 9, 10, 12, 13, 12, 9, 6, 3}

// weekendHourWeights is the daily rhythm of Saturday and Sunday: a late
// morning start, a long afternoon, the same evening peak.
var weekendHourWeights = [24]float64{2, 2, 1, 1, 1, 1, 2, 3, 4, 6, 8, 10, 11, 11, 11, 11, 11, 11, 12, 13, 13, 10, 7, 4}

// dayWeights is the weekly rhythm, indexed by time.Weekday (Sunday first):
// weekends are busier than weekdays, Friday is the quietest day.
var dayWeights = [7]float64{1.30, 0.95, 0.95, 0.95, 0.95, 0.80, 1.10}

// hourFactor[w][h] is the rate factor of hour h of weekday w.
var hourFactor = func() (f [7][24]float64) {
	var dayTotal float64
	for _, w := range dayWeights {
		dayTotal += w
	}
	for wd := range 7 {
		ws := weekdayHourWeights
		if time.Weekday(wd) == time.Saturday || time.Weekday(wd) == time.Sunday {
			ws = weekendHourWeights
		}
		var total float64
		for _, x := range ws {
			total += x
		}
		for h, x := range ws {
			f[wd][h] = x * 24 / total * dayWeights[wd] * 7 / dayTotal
		}
	}
	return f
}()

// rhythm is the rate factor at t, without campaigns or Traffic.
func rhythm(t time.Time) float64 {
	return hourFactor[t.Weekday()][t.Hour()]
}

// piece is a stretch [from, to) of the run over which the arrival rate
// factor (rhythm × campaigns) is constant.
type piece struct {
	from, to int64 // Unix milliseconds
	factor   float64
}

// pieces cuts [start, end) at every UTC hour and every campaign boundary.
// It returns the pieces in order, and how many campaigns intersect the run.
func pieces(cfg Config) ([]piece, int) {
	start, end := cfg.Start, cfg.End()
	var cuts []int64
	for t := start; t.Before(end); t = t.Add(time.Hour) {
		cuts = append(cuts, t.UnixMilli())
	}
	applied := 0
	for _, k := range cfg.Campaigns {
		ks, ke := k.Start, k.Start.Add(k.Duration)
		if !ks.Before(end) || !ke.After(start) {
			continue
		}
		applied++
		for _, b := range []time.Time{ks, ke} {
			if b.After(start) && b.Before(end) {
				cuts = append(cuts, b.UnixMilli())
			}
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	ps := make([]piece, 0, len(cuts))
	endMs := end.UnixMilli()
	for i, c := range cuts {
		if i > 0 && c == cuts[i-1] {
			continue
		}
		to := endMs
		for j := i + 1; j < len(cuts); j++ {
			if cuts[j] > c {
				to = cuts[j]
				break
			}
		}
		t := time.UnixMilli(c).UTC()
		f := rhythm(t)
		for _, k := range cfg.Campaigns {
			if k.active(t) {
				f *= k.Multiplier
			}
		}
		ps = append(ps, piece{from: c, to: to, factor: f})
	}
	return ps, applied
}

// rateTable draws instants from the run with density proportional to the
// piece factors: sign-up times follow the traffic.
type rateTable struct {
	ps  []piece
	cum []float64 // cum[i]: total weight of pieces 0..i
}

func newRateTable(ps []piece) *rateTable {
	t := &rateTable{ps: ps, cum: make([]float64, len(ps))}
	var sum float64
	for i, p := range ps {
		sum += p.factor * float64(p.to-p.from)
		t.cum[i] = sum
	}
	return t
}

// draw returns a Unix millisecond in the run.
func (t *rateTable) draw(r *rand.Rand) int64 {
	x := r.Float64() * t.cum[len(t.cum)-1]
	i := sort.SearchFloat64s(t.cum, x)
	if i >= len(t.ps) {
		i = len(t.ps) - 1
	}
	p := t.ps[i]
	return p.from + r.Int64N(p.to-p.from)
}
