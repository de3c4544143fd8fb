package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// activeWorld is a handmade World whose active users are worked out by
// hand in TestWorld_ActiveUsers. It runs from 2026-02-20 to its horizon,
// 2026-03-10 00:00.
//
// Users: u1 signs up Feb 20 10:00, u2 Mar 1 00:00, u3 Mar 3 23:59:59, u5
// Mar 9 12:00; u4 at Mar 10 00:00, the horizon (not counted).
//
// Sessions:
//
//	s1 u1 Feb 21 10:00 and s2 u1 Feb 21 15:00: one active user that day
//	s3 u2 Mar 1 09:00
//	s4 anonymous Mar 2: counts nowhere
//	s5 u1 Mar 2 23:59, its last event Mar 3 00:10: active on Mar 2
//	s6 Mar 4 10:00: an anonymous page view, then events of u3 and u2: u2's
//	s7 u3 Mar 8 12:00
func activeWorld() *sim.World {
	at := func(m time.Month, d, h, min, s int) time.Time { return time.Date(2026, m, d, h, min, s, 0, time.UTC) }
	n := 0
	ev := func(sess string, user int64, t time.Time) stream.Event {
		n++
		e := stream.Event{
			EventID: fmt.Sprintf("e%03d", n), EventType: stream.PageView, EventTime: t,
			SessionID: sess, AnonymousID: "device-" + sess, SchemaVersion: stream.SchemaVersion,
		}
		if user != 0 {
			e.UserID = new(user)
		}
		return e
	}
	return &sim.World{
		Config: sim.Config{Seed: 1, Start: at(time.February, 20, 0, 0, 0), Days: 18, Users: 5},
		Users: []sim.User{
			{ID: 1, CreatedAt: at(time.February, 20, 10, 0, 0)},
			{ID: 2, CreatedAt: at(time.March, 1, 0, 0, 0)},
			{ID: 3, CreatedAt: at(time.March, 3, 23, 59, 59)},
			{ID: 4, CreatedAt: at(time.March, 10, 0, 0, 0)},
			{ID: 5, CreatedAt: at(time.March, 9, 12, 0, 0)},
		},
		Events: []stream.Event{
			ev("s1", 1, at(time.February, 21, 10, 0, 0)),
			ev("s2", 1, at(time.February, 21, 15, 0, 0)),
			ev("s3", 2, at(time.March, 1, 9, 0, 0)),
			ev("s4", 0, at(time.March, 2, 9, 0, 0)),
			ev("s5", 1, at(time.March, 3, 0, 10, 0)),
			ev("s5", 1, at(time.March, 2, 23, 59, 0)),
			ev("s6", 0, at(time.March, 4, 10, 0, 0)),
			ev("s6", 3, at(time.March, 4, 10, 5, 0)),
			ev("s6", 2, at(time.March, 4, 10, 6, 0)),
			ev("s7", 3, at(time.March, 8, 12, 0, 0)),
		},
	}
}

func activeUsersLines(rows []sim.ActiveUsersRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s dau=%d wau=%d mau=%d signups=%d stickiness=%s",
			ds(r.Date), r.DAU, r.WAU, r.MAU, r.Signups, strOrNil(r.Stickiness)))
	}
	return out
}

func TestWorld_ActiveUsers(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		want := []string{
			// u1's sign-up opens the range, before any session.
			"2026-02-20 dau=0 wau=0 mau=0 signups=1 stickiness=nil",
			"2026-02-21 dau=1 wau=1 mau=1 signups=0 stickiness=1.0000",
			"2026-02-22 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			"2026-02-23 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			"2026-02-24 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			"2026-02-25 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			"2026-02-26 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			// Feb 21 is the 7th day before Feb 27: out of the week of Feb 28.
			"2026-02-27 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			"2026-02-28 dau=0 wau=0 mau=1 signups=0 stickiness=0.0000",
			"2026-03-01 dau=1 wau=1 mau=2 signups=1 stickiness=0.5000",
			// s5 counts on its first event's date; s4 is anonymous.
			"2026-03-02 dau=1 wau=2 mau=2 signups=0 stickiness=0.5000",
			"2026-03-03 dau=0 wau=2 mau=2 signups=1 stickiness=0.0000",
			// s6 is u2's (the smallest user_id of its events), not u3's.
			"2026-03-04 dau=1 wau=2 mau=2 signups=0 stickiness=0.5000",
			"2026-03-05 dau=0 wau=2 mau=2 signups=0 stickiness=0.0000",
			"2026-03-06 dau=0 wau=2 mau=2 signups=0 stickiness=0.0000",
			"2026-03-07 dau=0 wau=2 mau=2 signups=0 stickiness=0.0000",
			"2026-03-08 dau=1 wau=3 mau=3 signups=0 stickiness=0.3333",
			// u1's Mar 2 is out of the week of Mar 9; u4 signs up at the
			// horizon and is not counted.
			"2026-03-09 dau=0 wau=2 mau=3 signups=1 stickiness=0.0000",
		}
		diffLines(t, activeUsersLines(activeWorld().ActiveUsers()), want)
	})
	t.Run("Windows", func(t *testing.T) {
		// One user active on Jan 1, one sign-up on Feb 1: the week ends
		// with Jan 7, the 30 days with Jan 30.
		w := &sim.World{
			Users: []sim.User{{ID: 2, CreatedAt: date(time.February, 1)}},
			Events: []stream.Event{{EventID: "e1", EventType: stream.PageView, EventTime: date(time.January, 1).Add(time.Hour),
				SessionID: "s1", UserID: new(int64(1)), SchemaVersion: stream.SchemaVersion}},
		}
		// No order or event after Jan 1: the horizon is Jan 2, and the
		// sign-up is after it.
		if got := activeUsersLines(w.ActiveUsers()); len(got) != 1 || got[0] != "2026-01-01 dau=1 wau=1 mau=1 signups=0 stickiness=1.0000" {
			t.Fatalf("got %v", got)
		}
		w.Config = sim.Config{Start: date(time.January, 1), Days: 32}
		rows := w.ActiveUsers()
		if len(rows) != 32 {
			t.Fatalf("%d rows, want 32 (Jan 1 to Feb 1, every date)", len(rows))
		}
		got := activeUsersLines([]sim.ActiveUsersRow{rows[6], rows[7], rows[29], rows[30], rows[31]})
		want := []string{
			"2026-01-07 dau=0 wau=1 mau=1 signups=0 stickiness=0.0000",
			"2026-01-08 dau=0 wau=0 mau=1 signups=0 stickiness=0.0000",
			"2026-01-30 dau=0 wau=0 mau=1 signups=0 stickiness=0.0000",
			"2026-01-31 dau=0 wau=0 mau=0 signups=0 stickiness=nil",
			"2026-02-01 dau=0 wau=0 mau=0 signups=1 stickiness=nil",
		}
		diffLines(t, got, want)
	})
	t.Run("Empty", func(t *testing.T) {
		w := activeWorld()
		w.Events = nil
		w.Config = sim.Config{}
		if got := w.ActiveUsers(); len(got) != 0 {
			t.Fatalf("no horizon, no session: got %v", activeUsersLines(got))
		}
	})
}

// TestWorld_ActiveUsersConsistent: on generated worlds, every date of the
// range has a row, dau <= wau <= mau, dau is the distinct users of the
// date's sessions counted from the events, and the sign-ups are every user
// created before the horizon (a third of them in the year before Start).
func TestWorld_ActiveUsersConsistent(t *testing.T) {
	realistic := sim.DefaultConfig().Realistic()
	realistic.Days, realistic.Users = 45, 400
	for name, cfg := range map[string]sim.Config{"Default": sim.DefaultConfig(), "Realistic": realistic} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, cfg)
			rows := w.ActiveUsers()
			// Each session's date and user, from the events.
			type sess struct {
				first time.Time
				user  int64
			}
			sessions := map[string]*sess{}
			for _, e := range w.Events {
				s, ok := sessions[e.SessionID]
				if !ok {
					s = &sess{first: e.EventTime}
					sessions[e.SessionID] = s
				}
				if e.EventTime.Before(s.first) {
					s.first = e.EventTime
				}
				if e.UserID != nil && (s.user == 0 || *e.UserID < s.user) {
					s.user = *e.UserID
				}
			}
			dau := map[string]map[int64]bool{}
			for _, s := range sessions {
				if s.user == 0 {
					continue
				}
				d := ds(s.first)
				if dau[d] == nil {
					dau[d] = map[int64]bool{}
				}
				dau[d][s.user] = true
			}
			var signups, users int64
			for _, u := range w.Users {
				if u.CreatedAt.Before(w.Horizon()) {
					users++
				}
			}
			for i, r := range rows {
				if i > 0 && !r.Date.Equal(rows[i-1].Date.AddDate(0, 0, 1)) {
					t.Fatalf("row %d (%s) does not follow %s", i, ds(r.Date), ds(rows[i-1].Date))
				}
				if r.DAU > r.WAU || r.WAU > r.MAU || r.DAU != int64(len(dau[ds(r.Date)])) {
					t.Fatalf("%s: dau %d wau %d mau %d; the sessions have %d users", ds(r.Date), r.DAU, r.WAU, r.MAU, len(dau[ds(r.Date)]))
				}
				if (r.MAU == 0) != (r.Stickiness == nil) {
					t.Fatalf("%s: mau %d, stickiness %s", ds(r.Date), r.MAU, strOrNil(r.Stickiness))
				}
				signups += r.Signups
			}
			if signups != users || users == 0 {
				t.Fatalf("%d sign-ups, %d users created before the horizon", signups, users)
			}
			if first := rows[0].Date; !first.Before(w.Config.Start) || first.Before(w.Config.Start.AddDate(-1, 0, -1)) {
				t.Fatalf("the range starts on %s: the pre-start users sign up in the year before %s", ds(first), ds(w.Config.Start))
			}
			if last := rows[len(rows)-1].Date; !last.Equal(w.Config.End().AddDate(0, 0, -1)) {
				t.Fatalf("the range ends on %s, want the last day %s", ds(last), ds(w.Config.End().AddDate(0, 0, -1)))
			}
		})
	}
}
