package scenarios

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// BuildDiff is one mart that differed from the oracle right after a build.
type BuildDiff struct {
	Build string `json:"build"` // "build 2026-01-02", "heal build", ...
	MartDiff
}

// worldAt is the oracle's world as CORE must hold it after a build whose
// horizon is asOf: the expected world (see expectedWorld) with the events a
// valid record of which the fleet has sent so far (late ones not yet), the
// orders of the dates before asOf but those of the missing dates (whose
// ingestion failed and is not rerun yet: their carts are not in CORE), and
// asOf as its configured end. Nil before the first day.
//
// The warehouse's marts must equal this world's after every build that ran
// with every step before it done: a day whose late events arrived must be
// rebuilt in the run that brought them (warehouse.TransformOptions
// BackfillLimit), not left stale until a backfill.
func (x *run) worldAt(asOf time.Time, missing []time.Time) *sim.World {
	w, _ := x.expectedWorld()
	cut := *w
	cut.Config.Days = int(asOf.Sub(cut.Config.Start) / (24 * time.Hour))
	if cut.Config.Days < 1 {
		return nil
	}
	end := cut.Config.End()
	x.sent.mu.Lock()
	events := make([]stream.Event, 0, len(w.Events))
	for _, ev := range w.Events {
		if x.sent.sent[ev.EventID] {
			events = append(events, ev)
		}
	}
	x.sent.mu.Unlock()
	cut.Events = events
	cut.MissedBatches = missing
	j := sort.Search(len(w.Orders), func(i int) bool { return !w.Orders[i].Date.Before(end) })
	cut.Orders = w.Orders[:j]
	if len(missing) > 0 {
		read := cut.ReadByBatches()
		cut.Orders = slices.DeleteFunc(slices.Clone(cut.Orders), func(o sim.Order) bool { return !read(o) })
	}
	return &cut
}

// compareBuild compares every mart with worldAt(asOf, missing) right after
// the build named label, and keeps what differs for the marts_every_build
// checker. missing are the dates whose ingestion failed and is not rerun
// yet. A build is compared only if every step that failed before it in its
// phase (since stepsBefore steps were recorded) was the ingestion of such a
// date: a failed drain or build leaves CORE short of what was sent in ways
// the oracle does not model, until the heal phase catches it up, and the
// comparison after the heal phase's build covers it.
func (x *run) compareBuild(ctx context.Context, label string, asOf time.Time, stepsBefore int, missing []time.Time) {
	x.mu.Lock()
	comparable := true
	for _, s := range x.steps[stepsBefore:] {
		if !strings.HasPrefix(s.Step, "ingest ") && !strings.HasPrefix(s.Step, "opening snapshot ") {
			comparable = false
		}
	}
	x.mu.Unlock()
	if !comparable {
		return
	}
	w := x.worldAt(asOf, missing)
	if w == nil {
		return
	}
	_, diffs, err := CompareMarts(ctx, x.r.Warehouse(), w)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.builds++
	if err != nil {
		x.buildDiffs = append(x.buildDiffs, BuildDiff{Build: label, MartDiff: MartDiff{Mart: "(read)", Diff: err.Error()}})
		return
	}
	for _, d := range diffs {
		x.buildDiffs = append(x.buildDiffs, BuildDiff{Build: label, MartDiff: d})
	}
}

// MartsEveryBuild compares every mart with the oracle after every build,
// not only at the end: late events must not leave a day stale in one mart
// while others count them (issue 12, item 4). The oracle of a build is the
// expected world cut at the build's as_of, with the events sent by then
// and without the orders of dates whose ingestion failed (see run.worldAt).
// Builds after another failed step of their phase are not compared (the
// heal phase's build is).
type MartsEveryBuild struct{}

func (MartsEveryBuild) Name() string { return "marts_every_build" }

func (MartsEveryBuild) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "marts_every_build"}
	r.count("builds compared", o.BuildsCompared)
	for _, d := range o.BuildDiffs {
		r.fail("after %s, %s (%d rows, oracle %d) differs:\n%s", d.Build, d.Mart, d.Rows, d.OracleRows, strings.TrimRight(d.Diff, "\n"))
	}
	r.OK = len(r.Violations) == 0
	return r
}
