package sim

import (
	"time"
)

// ActiveUsersRow is one row of the active users mart (docs/MARTS.md §17),
// as the oracle computes it.
type ActiveUsersRow struct {
	Date       time.Time // UTC midnight
	DAU        int64
	WAU        int64
	MAU        int64
	Signups    int64
	Stickiness *string // DAU / MAU, "0.1234"; nil when MAU = 0
}

// Active user windows, in days ending on (and including) the date.
const (
	wauDays = 7
	mauDays = 30
)

// ActiveUsers returns the active users mart: one row per date from the
// first to the last date that has a session with a user or a sign-up,
// every date in between included (zeros too), sorted by date:
//
//   - a user is active on a date if they have a session whose date (its
//     first event's) is that date; a session's user is the smallest
//     user_id among its events, and a session without one counts nowhere;
//   - DAU(D): distinct users active on D; WAU(D): distinct users active on
//     a date of the 7 days ending on D (D-6 .. D); MAU(D): of the 30 days
//     ending on D (D-29 .. D);
//   - Signups(D): users whose CreatedAt has date D, among those created
//     before the horizon (as_of: the warehouse reads the users snapshot
//     after the range ends, and ignores later sign-ups);
//   - Stickiness: DAU / MAU rounded half away from zero to 4 decimals;
//     nil when MAU = 0.
func (w *World) ActiveUsers() []ActiveUsersRow {
	active := map[time.Time]map[int64]bool{}
	var first, last time.Time
	span := func(d time.Time) {
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if last.IsZero() || d.After(last) {
			last = d
		}
	}
	for _, s := range w.summarizeSessions() {
		if s.userID == nil {
			continue
		}
		users, ok := active[s.date]
		if !ok {
			users = map[int64]bool{}
			active[s.date] = users
		}
		users[*s.userID] = true
		span(s.date)
	}
	signups := map[time.Time]int64{}
	if horizon := w.Horizon(); !horizon.IsZero() {
		for _, u := range w.Users {
			if u.CreatedAt.Before(horizon) {
				d := w.day(u.CreatedAt)
				signups[d]++
				span(d)
			}
		}
	}
	if first.IsZero() {
		return []ActiveUsersRow{}
	}
	// distinct counts the users active on a date of the n days ending on d.
	distinct := func(d time.Time, n int) int64 {
		seen := map[int64]bool{}
		for k := range n {
			for u := range active[d.AddDate(0, 0, -k)] {
				seen[u] = true
			}
		}
		return int64(len(seen))
	}
	var out []ActiveUsersRow
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		r := ActiveUsersRow{Date: d, DAU: int64(len(active[d])), WAU: distinct(d, wauDays), MAU: distinct(d, mauDays), Signups: signups[d]}
		if r.MAU > 0 {
			r.Stickiness = new(ratio4(r.DAU, r.MAU))
		}
		out = append(out, r)
	}
	return out
}
