package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// The FakeStore faults that issue 12 added: a source that answers an empty
// list in an outage, and one that ignores the carts' date filter.
func init() {
	register(map[Kind]kindSpec{
		EmptySnapshot: {
			about:   "the FakeStore API answers [] to the first request of \"endpoint\" (/users, /products or /carts; default /products) of the batch of day \"at\" (default day 1), as an outage can; for users and products, of the first batch from that day on that asks, before the last day's. An empty users or products snapshot blocks that day's build (snapshots_not_empty: nothing promoted, a failed step); the next day's snapshot, with rows, is promoted and CORE is whole again. Empty carts only warn (carts_not_empty): the build promotes without the date's orders, and the heal phase reruns the date, which fetches its carts again",
			mayFail: true, uses: []string{"at", "endpoint"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				e := &emptyAnswers{x: x, kind: f.Kind, entity: emptyEntity(f), date: emptyDate(x, f)}
				x.wrap("fakestore", e.wrap)
				last := x.sc.World.Days - 2 // the last date whose users or products may be emptied (0-based)
				if e.entity == "carts" {
					last = emptyDay(f) - 1
				}
				for day := emptyDay(f) - 1; day <= last; day++ {
					x.afterDay = append(x.afterDay, dayAction{day: day, do: func(_ context.Context, date time.Time, ingested bool) error {
						if e.entity == "carts" && e.committed(date, ingested) {
							// The operator's answer to carts_not_empty:
							// rerun the date once the source answers again.
							x.failedDates = append(x.failedDates, date)
						}
						return nil
					}}, dayAction{day: day, afterBuild: true, do: func(_ context.Context, date time.Time, ingested bool) error {
						if e.entity != "carts" && e.committed(date, ingested) {
							e.checkBlocked(date)
						}
						return nil
					}})
				}
				return nil, nil
			},
			check: func(f Fault, days int) []string {
				var probs []string
				if f.Endpoint != "" && !slices.Contains([]string{"/users", "/products", "/carts"}, f.Endpoint) {
					probs = append(probs, fmt.Sprintf("endpoint %q is not /users, /products or /carts", f.Endpoint))
				}
				if f.At != nil && f.At.Offset != 0 {
					probs = append(probs, "at names a day (\"day 2\"): the batch of that date is served empty")
				}
				if e := emptyEntity(f); e != "carts" && emptyDay(f) >= days {
					probs = append(probs, fmt.Sprintf("an empty %s snapshot on the last day (%d) would block the heal phase's build too: nothing after it brings rows", e, days))
				}
				return probs
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				days := sc.World.Days
				if days < 2 {
					return Fault{}, false
				}
				return Fault{Kind: EmptySnapshot, At: &Moment{Day: 1 + r.IntN(days-1)}, Endpoint: []string{"/users", "/products"}[r.IntN(2)]}, true
			},
			// Users and products always have rows to lose, a date may have
			// no carts; the request must reach the source (no api_down on
			// every batch it may empty) and not be a drifted one.
			strikes: func(f Fault, sc *Scenario) string {
				if emptyEntity(f) == "carts" {
					return "a date may have no carts: its empty answer changes nothing"
				}
				for _, g := range sc.Faults {
					if g.Kind == SchemaDrift && driftEndpoint(g) == "/"+emptyEntity(f) {
						return "a schema drift on the same endpoint may answer first"
					}
				}
				if why := afterUsers("/"+emptyEntity(f), sc); why != "" {
					return why
				}
				for day := emptyDay(f); day < sc.World.Days; day++ {
					if !apiDownAt(sc, Moment{Day: day + 1, Offset: pipeline.IngestDelay}.sinceStart()) {
						return ""
					}
				}
				return "api_down holds every batch it could empty"
			},
		},
		IgnoreDateFilter: {
			about:   "the FakeStore API ignores startdate and enddate on the cart list from \"at\" for \"for\" (default the whole fault phase), serving every cart up to now: a date whose answer holds carts of other dates (each such answer is a firing) fails with ErrOutsideDate, commits nothing, and is rerun in the heal phase",
			mayFail: true, uses: []string{"at", "for"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				from, until := x.window(f)
				faults, err := sim.NewFaults(x.sc.Seed+uint64(i)+1, x.clock, []sim.FaultRule{{Endpoint: "/carts", Kind: sim.FaultIgnoreDateFilter, Probability: 1, From: from, Until: until}})
				if err != nil {
					return nil, err
				}
				x.wrap("fakestore", func(h http.Handler) http.Handler {
					faulty := faults.Wrap(h)
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if !x.active() {
							h.ServeHTTP(w, r)
							return
						}
						if r.URL.Path != "/carts" || !r.URL.Query().Has("startdate") {
							faulty.ServeHTTP(w, r)
							return
						}
						rec := &bufferWriter{header: http.Header{}, status: http.StatusOK}
						faulty.ServeHTTP(rec, r)
						if rec.status == http.StatusOK && cartsOutside(r, rec.body.Bytes()) > 0 {
							x.fire(f.Kind, 1)
						}
						rec.copyTo(w)
					})
				})
				return nil, nil
			},
			// It strikes a date only if carts of earlier dates exist: over
			// the whole fault phase of three days, in a shop of 240 users
			// (times its traffic) at least, day 1 and day 2 have carts but
			// for a chance below a thousandth.
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				sc.World.Days = max(sc.World.Days, 3)
				if ignoreFilterShop(sc.World) < 240 {
					sc.World.Users = max(sc.World.Users, 80)
					sc.World.Traffic = 3
				}
				return Fault{Kind: IgnoreDateFilter}, true
			},
			strikes: func(f Fault, sc *Scenario) string {
				switch {
				case f.At != nil || f.For != 0:
					return "a window may hold no date with carts of earlier dates"
				case sc.World.Days < 3 || ignoreFilterShop(sc.World) < 240:
					return "the world may have no carts before its last date"
				}
				if why := afterUsers("/carts", sc); why != "" {
					return why
				}
				return ""
			},
		},
	})
}

// emptyEntity is the entity an empty_snapshot fault empties.
func emptyEntity(f Fault) string {
	if f.Endpoint == "" {
		return "products"
	}
	return strings.TrimPrefix(f.Endpoint, "/")
}

// emptyDay is the day (1-based) whose batch an empty_snapshot fault hits.
func emptyDay(f Fault) int {
	if f.At == nil {
		return 1
	}
	return f.At.Day
}

// emptyDate is the logical date whose batch an empty_snapshot fault hits.
func emptyDate(x *run, f Fault) time.Time {
	return x.start.AddDate(0, 0, emptyDay(f)-1)
}

// emptyAnswers answers [] once, in the fault phase, to the request of the
// batch of date for entity: for carts the list of that date, for users
// and products the first list asked in the day the batch runs (the day
// after date). It fires only if the true answer had rows.
type emptyAnswers struct {
	x      *run
	kind   Kind
	entity string
	date   time.Time

	mu       sync.Mutex
	served   bool      // [] was served in place of rows
	servedTo time.Time // the date whose batch it was served to
}

// matches reports whether r is a request the fault answers, and for which
// date's batch.
func (e *emptyAnswers) matches(r *http.Request) (time.Time, bool) {
	if r.Method != http.MethodGet || r.URL.Path != "/"+e.entity || !e.x.active() {
		return time.Time{}, false
	}
	if e.entity == "carts" {
		return e.date, r.URL.Query().Get("startdate") == e.date.Format(lake.DateFormat)
	}
	// The batch of a date runs the day after it; the last date's must get
	// its rows, or nothing would unblock the builds.
	now := e.x.clock.Now()
	return now.Truncate(24*time.Hour).AddDate(0, 0, -1), !now.Before(e.date.Add(24*time.Hour)) && now.Before(e.x.end)
}

func (e *emptyAnswers) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		date, ok := e.matches(r)
		armed := !e.served && ok
		e.mu.Unlock()
		if !armed {
			h.ServeHTTP(w, r)
			return
		}
		rec := &bufferWriter{header: http.Header{}, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if body := bytes.TrimSpace(rec.body.Bytes()); rec.status != http.StatusOK || len(body) < 2 || body[0] != '[' || bytes.Equal(body, []byte("[]")) {
			rec.copyTo(w)
			return
		}
		e.mu.Lock()
		e.served, e.servedTo = true, date
		e.mu.Unlock()
		e.x.fire(e.kind, 1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("[]"))
	})
}

// committed reports whether the ingestion of date (ingested: it
// succeeded) committed the empty answer served to its batch: the run's
// object of the entity has no rows.
func (e *emptyAnswers) committed(date time.Time, ingested bool) bool {
	e.mu.Lock()
	served := e.served && e.servedTo.Equal(date)
	e.mu.Unlock()
	if !served || !ingested {
		return false
	}
	for _, o := range e.x.lastIngest.Objects {
		if o.Entity == e.entity {
			return o.Rows == 0
		}
	}
	return false
}

// checkBlocked is the fault's own check after the build of date, whose
// ingestion committed an empty users or products snapshot: the build
// must have been blocked by snapshots_not_empty, promoting nothing.
func (e *emptyAnswers) checkBlocked(date time.Time) {
	tr := e.x.lastTransform
	blocked := false
	for _, c := range tr.Checks {
		if c.Name == "snapshots_not_empty" && c.Status == "fail" {
			blocked = true
		}
	}
	if tr.Status != warehouse.StatusBlocked || !blocked {
		e.x.violate("empty_snapshot: the build of %s, with an empty %s snapshot after one with rows, ended %q, want blocked by snapshots_not_empty", date.Format(time.DateOnly), e.entity, tr.Status)
	}
}

// cartsServedEmpty returns the dates whose carts an empty_snapshot fault
// targets and whose every carts object committed so far is an empty list:
// CORE holds none of their orders until a rerun of the date commits the
// carts the source really has. It reads the lake's commits and RAW.
func (x *run) cartsServedEmpty(ctx context.Context) (map[time.Time]bool, error) {
	out := map[time.Time]bool{}
	for _, f := range x.sc.Faults {
		if f.Kind != EmptySnapshot || emptyEntity(f) != "carts" {
			continue
		}
		date := emptyDate(x, f)
		cs, err := lake.ReadCommits(ctx, x.r.Env.Lake, date)
		if err != nil {
			return nil, err
		}
		keys := cs.Keys()
		carts, empty := 0, 0
		for k := range keys {
			if !strings.HasPrefix(k, lake.RawFakestore+"carts/") {
				continue
			}
			carts++
			body, err := x.r.Env.Lake.Get(ctx, k)
			if err != nil {
				return nil, err
			}
			if bytes.Equal(bytes.TrimSpace(body), []byte("[]")) {
				empty++
			}
		}
		if carts > 0 && carts == empty {
			out[date] = true
		}
	}
	return out, nil
}

// ordersServed is orders without those of the dates whose carts the
// source served empty (cartsServedEmpty): what CORE holds until the date
// is rerun.
func (x *run) ordersServed(orders []sim.Order) []sim.Order {
	if !slices.ContainsFunc(x.sc.Faults, func(f Fault) bool { return f.Kind == EmptySnapshot }) {
		return orders
	}
	empty, err := x.cartsServedEmpty(context.Background())
	if err != nil {
		x.violate("expected world: read the carts committed for an empty_snapshot date: %v", err)
		return orders
	}
	if len(empty) == 0 {
		return orders
	}
	out := make([]sim.Order, 0, len(orders))
	for _, o := range orders {
		if !empty[o.Date.UTC().Truncate(24*time.Hour)] {
			out = append(out, o)
		}
	}
	return out
}

// ignoreFilterShop is users times traffic, which the carts of a day grow
// with.
func ignoreFilterShop(w World) float64 {
	traffic := w.Traffic
	if traffic == 0 {
		traffic = 1
	}
	return float64(w.Users) * traffic
}

// cartsOutside counts the carts of a cart list answered to r that are dated
// outside its startdate..enddate (enddate exclusive), by the day their
// date names.
func cartsOutside(r *http.Request, body []byte) int {
	q := r.URL.Query()
	from, to := q.Get("startdate"), q.Get("enddate")
	var carts []struct {
		Date string `json:"date"`
	}
	if json.Unmarshal(body, &carts) != nil {
		return 0
	}
	n := 0
	for _, c := range carts {
		if len(c.Date) < len(lake.DateFormat) {
			continue
		}
		day := c.Date[:len(lake.DateFormat)]
		if day < from || (to != "" && day >= to) {
			n++
		}
	}
	return n
}

// driftEndpoint is the route a schema_drift fault drifts.
func driftEndpoint(f Fault) string {
	switch {
	case f.Endpoint != "":
		return f.Endpoint
	case f.Variant == "missing_field":
		return "/carts"
	}
	return "/products"
}
