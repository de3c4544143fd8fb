package scenarios

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// The fault kinds of the client fleet that issue 12 added: what the
// clients send breaks the event contract in ways only the warehouse can
// settle (see expectedWorld and rawVersions for what CORE must then hold).
func init() {
	register(map[Kind]kindSpec{
		ConflictingDuplicates: {
			about: "a share \"rate\" (default 0.05) of events is resent \"delay\" (default 1m..2h) after its first send with the same event_id and its event_time re-stamped by that gap: a conflicting duplicate. The consumer keeps both versions (they differ), RAW holds both, CORE the one that arrived first and meta.event_conflicts the other (check events_unique_payload warns)",
			uses:  []string{"rate", "delay"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				d := orRange(f.Delay, time.Minute, 2*time.Hour)
				a := &x.popts.Anomalies
				a.ConflictRate, a.ConflictGap = orRate(f.Rate, 0.05), sim.DelayDist{Kind: sim.DelayUniform, Min: d.Min, Max: d.Max}
				// The marts see a version's time only by its day: after
				// every build, the fault checks the version CORE holds.
				for day := 0; day < x.sc.World.Days; day++ {
					x.afterDay = append(x.afterDay, dayAction{day: day, afterBuild: true, do: func(ctx context.Context, date time.Time, _ bool) error {
						if x.lastTransform.Status != warehouse.StatusPromoted {
							return nil
						}
						return checkVersions(ctx, x, date)
					}})
				}
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Conflicts },
			check: func(f Fault, _ int) []string {
				return checkAnomalyDelay(f, ": a version re-stamped by 0 is an exact copy")
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				f := Fault{Kind: ConflictingDuplicates, Rate: eventRate(r, sc, 0.02, 0.1)}
				if r.IntN(2) == 0 {
					f.Delay = &DurationRange{Min: time.Hour, Max: time.Duration(2+r.IntN(10)) * time.Hour}
				}
				return f, true
			},
			strikes: eventRateStrikes(0.05),
		},
		ClockBehind: {
			about: "a share \"rate\" (default 0.05) of clients have clocks behind by a skew drawn from \"delay\" (default 10m..20h): their events are kept at the time they claim, late for their day (flagged, backfilled). An event older than the maximum event age (7 days) both at its arrival and against the newest event of its RAW batch is quarantined by Load (a clock behind); in a batch of old events alone it is kept, as a replay of the past would be",
			uses:  []string{"rate", "delay"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				d := orRange(f.Delay, 10*time.Minute, 20*time.Hour)
				a := &x.popts.Anomalies
				a.PastClockRate, a.PastSkew = orRate(f.Rate, 0.05), sim.DelayDist{Kind: sim.DelayUniform, Min: d.Min, Max: d.Max}
				return nil, nil
			},
			fired: func(x *run) int { return x.r.Anomalies().Past },
			check: func(f Fault, _ int) []string { return checkAnomalyDelay(f, "") },
			// Half the draws are clocks far behind: a week and a day to a
			// year, what Load quarantines.
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				f := Fault{Kind: ClockBehind, Rate: eventRate(r, sc, 0.02, 0.08)}
				if r.IntN(2) == 0 {
					f.Delay = &DurationRange{Min: warehouse.DefaultMaxEventAge + 24*time.Hour, Max: 365 * 24 * time.Hour}
				}
				return f, true
			},
			strikes: eventRateStrikes(0.05),
		},
	})
}

// checkVersions is conflicting_duplicates' own check after the build of
// date: every event sent in two versions that CORE holds is at the
// event_time of the version the expected world names (the earliest
// arrival that Load kept), to the warehouse's microsecond.
func checkVersions(ctx context.Context, x *run, date time.Time) error {
	w, _ := x.expectedWorld()
	x.sent.mu.Lock()
	want := map[string]time.Time{}
	for _, ev := range w.Events {
		if _, ok := x.sent.restamp[ev.EventID]; ok {
			want[ev.EventID] = ev.EventTime
		}
	}
	x.sent.mu.Unlock()
	rows, err := x.r.Warehouse().DB().QueryContext(ctx, `SELECT event_id, event_time FROM core.events`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var wrong []string
	for rows.Next() {
		var id string
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return err
		}
		// The warehouse keeps microseconds (TIMESTAMP in DuckDB and
		// PostgreSQL); a clock's skew (future_clock) gives event times
		// nanoseconds, which CORE holds to the microsecond. Two versions
		// of an event are hours apart.
		if w, ok := want[id]; ok && t.Sub(w).Abs() >= time.Microsecond {
			wrong = append(wrong, fmt.Sprintf("%s at %s, want %s", id, t.UTC().Format(time.RFC3339Nano), w.UTC().Format(time.RFC3339Nano)))
		}
	}
	if len(wrong) > 0 {
		x.violate("conflicting_duplicates: after the build of %s, CORE holds %d events in another version than the one that arrived first; first: %s", date.Format(time.DateOnly), len(wrong), first(wrong))
	}
	return rows.Err()
}

// checkAnomalyDelay refuses a Delay the client fleet cannot draw: one that
// starts at 0 or ends after sim.MaxAnomalyDelay; why is appended to the
// message.
func checkAnomalyDelay(f Fault, why string) []string {
	if f.Delay != nil && (f.Delay.Min == 0 || f.Delay.Max > sim.MaxAnomalyDelay) {
		return []string{fmt.Sprintf("delay must start above 0 and end by %s%s", sim.MaxAnomalyDelay, why)}
	}
	return nil
}
