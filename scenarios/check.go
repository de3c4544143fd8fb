package scenarios

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/shoplake/shoplake/ingest"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// Count is one named count a checker reports.
type Count struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// CheckResult is what one checker found.
type CheckResult struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Counts are what the checker counted, in a fixed order.
	Counts []Count `json:"counts,omitempty"`
	// Violations say what broke, with the first offending keys.
	Violations []string `json:"violations,omitempty"`
}

func (c *CheckResult) count(name string, n int) { c.Counts = append(c.Counts, Count{name, n}) }

func (c *CheckResult) fail(format string, args ...any) {
	c.Violations = append(c.Violations, fmt.Sprintf(format, args...))
}

// Checker checks one invariant of a finished run.
type Checker interface {
	Name() string
	Check(o *Observation) CheckResult
}

// Observation is everything a run left that the checkers read: the
// simulator's truth, what the fleet sent, and what every stage holds.
type Observation struct {
	Scenario Scenario
	World    *sim.World
	// Expected is the world as CORE must hold it: the world's events, minus
	// those a malformed record replaced or that a clock ahead beyond the
	// tolerance sends to QUARANTINE, with the kept skewed times.
	Expected *sim.World
	// ExpectedStreamQuarantine: malformed records sent (the consumer
	// quarantines them); ExpectedLoadQuarantine: events from a clock ahead
	// beyond the tolerance (the warehouse quarantines them);
	// ExpectedRejected: oversized records (the producer refuses them).
	ExpectedStreamQuarantine, ExpectedLoadQuarantine, ExpectedRejected int

	Totals    pipeline.Totals
	Anomalies sim.AnomalyCounts
	Sent      int // records the fleet sent

	RawEvents        map[string]int // event id -> copies in RAW
	RawRecords       int
	RawUnreadable    []string // RAW objects that fail their checksum or do not parse
	RawPlanted       int      // unreadable RAW objects a fault put there on purpose (foreign_objects), not in RawUnreadable
	StreamQuarantine int      // distinct payloads in quarantine/events
	// StreamQuarantineRecords counts its records, copies included.
	StreamQuarantineRecords int
	// StagingEvents counts the rows of each event id in the lake's
	// STAGING: the events files that a valid staging manifest names
	// (staged.go). An object staged counts whether or not a warehouse
	// loaded it: STAGING is what every warehouse loads.
	StagingEvents map[string]int
	// StagingUnreadable lists the STAGING and transform QUARANTINE files
	// of events that a manifest names and that fail their checksum: their
	// rows are in neither count.
	StagingUnreadable []string
	CoreEvents        map[string]int
	// LoadQuarantine counts the distinct event records the transform
	// rejected when it staged them: the lake's transform QUARANTINE files
	// (quarantine/transform/events/), disposition rejected.
	LoadQuarantine int
	CoreUsers      map[int64]int
	CoreOrders     map[int64]int
	CoreProducts   map[int64]int

	// Warehouse is where the events and source rows the warehouse
	// received are, read from its tables (warehouse.Accounting).
	Warehouse warehouse.Accounting

	// RawPuts counts the writes the S3 endpoint accepted of each key of
	// the write-once zones (RAW, STAGING, the transform's QUARANTINE,
	// CURATED: writeOnceZones), RawDeletes the deletes of their keys; a
	// conditional put refused because the key is written is no write.
	RawPuts         map[string]int
	RawDeletes      []string
	CheckpointMoves int
	Backwards       []string

	MartCounts []MartCount
	MartDiffs  []MartDiff
	// BuildsCompared counts the builds whose marts were compared with the
	// oracle as the run went (run.compareBuild); BuildDiffs what differed.
	BuildsCompared int
	BuildDiffs     []BuildDiff

	Steps   []StepError
	MayFail bool
	Fired   map[Kind]int
	Broken  []string
	Late    int64
	Alerts  []AlertResult
	Metrics Metrics
}

// Checkers returns the invariant checkers every run goes through.
func Checkers() []Checker {
	return []Checker{
		EventAccounting{}, SourceRows{}, MartsEqualOracle{}, MartsEveryBuild{}, RawNeverOverwritten{}, RawIntact{},
		CheckpointsForward{}, StepsCaughtUp{}, FaultsFired{}, FaultChecks{}, Expectations{},
	}
}

// EventAccounting follows every event id through every stage, as Jepsen's
// total-queue does: what the fleet sent, what the stream acknowledged,
// RAW, STAGING, CORE and QUARANTINE. Every event CORE should hold must be
// there exactly once (lost, duplicated and unexpected all zero), and every
// malformed record must be in QUARANTINE.
type EventAccounting struct{}

func (EventAccounting) Name() string { return "event_accounting" }

func (EventAccounting) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "event_accounting"}
	want := make(map[string]bool, len(o.Expected.Events))
	for _, e := range o.Expected.Events {
		want[e.EventID] = true
	}
	var lost, lostRaw, lostStaging, duplicated, unexpected []string
	for _, e := range o.Expected.Events {
		id := e.EventID
		switch {
		case o.CoreEvents[id] == 0:
			lost = append(lost, id)
			if o.RawEvents[id] == 0 {
				lostRaw = append(lostRaw, id)
			} else if o.StagingEvents[id] == 0 {
				lostStaging = append(lostStaging, id)
			}
		case o.CoreEvents[id] > 1:
			duplicated = append(duplicated, id)
		}
	}
	for id := range o.CoreEvents {
		if !want[id] {
			unexpected = append(unexpected, id)
		}
	}
	r.count("sent", o.Sent)
	r.count("acknowledged", o.Totals.Acknowledged)
	r.count("rejected_by_producer", o.Totals.Rejected)
	// Sent but neither acknowledged nor refused: the producer gave up on
	// them (every answer lost); as in Jepsen's total-queue they are
	// indeterminate, and the stream may hold them. Not a violation: what
	// CORE must hold is checked below.
	r.count("indeterminate", max(o.Sent-o.Totals.Acknowledged-o.Totals.Rejected, 0))
	r.count("raw_records", o.RawRecords)
	r.count("raw_distinct", len(o.RawEvents))
	r.count("staging_distinct", len(o.StagingEvents))
	r.count("core", len(o.CoreEvents))
	r.count("expected_core", len(want))
	r.count("quarantine_stream", o.StreamQuarantine)
	r.count("quarantine_stream_copies", o.StreamQuarantineRecords-o.StreamQuarantine)
	r.count("quarantine_load", o.LoadQuarantine)
	if len(o.StagingUnreadable) > 0 {
		r.count("staging_unreadable", len(o.StagingUnreadable))
	}
	r.count("lost", len(lost))
	r.count("duplicated", len(duplicated))
	r.count("unexpected", len(unexpected))
	if len(lost) > 0 {
		r.fail("%d events lost (%d never reached RAW, %d reached RAW but not STAGING); first: %s", len(lost), len(lostRaw), len(lostStaging), first(lost))
	}
	if len(duplicated) > 0 {
		r.fail("%d events more than once in CORE; first: %s", len(duplicated), first(duplicated))
	}
	if len(unexpected) > 0 {
		r.fail("%d events in CORE that should not be there; first: %s", len(unexpected), first(unexpected))
	}
	if len(o.StagingUnreadable) > 0 {
		r.fail("%d STAGING files named by their staging manifests fail their checksum (their rows are counted nowhere); first: %s", len(o.StagingUnreadable), first(o.StagingUnreadable))
	}
	if o.StreamQuarantine != o.ExpectedStreamQuarantine {
		r.fail("QUARANTINE holds %d distinct stream records, want the %d malformed records sent", o.StreamQuarantine, o.ExpectedStreamQuarantine)
	}
	if o.LoadQuarantine != o.ExpectedLoadQuarantine {
		r.fail("Load quarantined %d events, want the %d sent by clocks ahead beyond the tolerance", o.LoadQuarantine, o.ExpectedLoadQuarantine)
	}
	if o.Totals.Rejected != o.ExpectedRejected {
		r.fail("the producer refused %d records, want the %d oversized ones", o.Totals.Rejected, o.ExpectedRejected)
	}
	r.OK = len(r.Violations) == 0
	return r
}

// SourceRows accounts for the rows of the FakeStore API: every user and
// every order of the world in CORE once, nothing else; every product an
// order names in CORE, and no product the world does not have.
type SourceRows struct{}

func (SourceRows) Name() string { return "source_rows" }

func (SourceRows) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "source_rows"}
	rows := func(entity, core string, want []int64, got map[int64]int, exact bool) {
		wantSet := map[int64]bool{}
		var lost, dup, extra []string
		for _, id := range want {
			wantSet[id] = true
			switch n := got[id]; {
			case n == 0:
				lost = append(lost, fmt.Sprint(id))
			case n > 1:
				dup = append(dup, fmt.Sprint(id))
			}
		}
		for id := range got {
			if !wantSet[id] && exact {
				extra = append(extra, fmt.Sprint(id))
			}
		}
		sort.Strings(extra)
		r.count(entity+"_expected", len(want))
		r.count(core+"_core", len(got))
		if len(lost)+len(dup)+len(extra) > 0 {
			r.fail("%s: %d lost, %d duplicated, %d unexpected; first: %s", entity, len(lost), len(dup), len(extra), first(append(append(lost, dup...), extra...)))
		}
	}
	var users, orders, named []int64
	for _, u := range o.World.Users {
		users = append(users, u.ID)
	}
	all := map[int64]bool{}
	for _, p := range o.World.Products {
		all[p.ID] = true
	}
	seen := map[int64]bool{}
	for _, od := range o.World.Orders {
		orders = append(orders, od.ID)
		for _, l := range od.Lines {
			if !seen[l.ProductID] {
				seen[l.ProductID] = true
				named = append(named, l.ProductID)
			}
		}
	}
	rows("users", "users", users, o.CoreUsers, true)
	rows("orders", "orders", orders, o.CoreOrders, true)
	rows("products_ordered", "products", named, o.CoreProducts, false)
	var extra []string
	for id := range o.CoreProducts {
		if !all[id] {
			extra = append(extra, fmt.Sprint(id))
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		r.fail("products: %d in CORE that the world does not have; first: %s", len(extra), first(extra))
	}
	r.OK = len(r.Violations) == 0
	return r
}

// MartsEqualOracle compares every mart with the simulator's oracle on the
// expected world.
type MartsEqualOracle struct{}

func (MartsEqualOracle) Name() string { return "marts_equal_oracle" }

func (MartsEqualOracle) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "marts_equal_oracle"}
	for _, c := range o.MartCounts {
		r.count(c.Mart, c.Rows)
	}
	for _, d := range o.MartDiffs {
		r.fail("%s (%d rows, oracle %d) differs:\n%s", d.Mart, d.Rows, d.OracleRows, strings.TrimRight(d.Diff, "\n"))
	}
	r.OK = len(r.Violations) == 0
	return r
}

// RawNeverOverwritten: the S3 endpoint accepted at most one write of every
// key of the write-once zones, and no delete: RAW, and the zones derived
// from it under keys of their own (STAGING with its manifests, the
// transform's QUARANTINE, CURATED with its export manifests), whose
// objects are written once per key with a conditional put. Deriving an
// object again finds the same bytes there (the put is refused, which is
// not a write). The name stays raw_never_overwritten, as scenario files
// and docs know it; its counts and violations name each zone.
type RawNeverOverwritten struct{}

func (RawNeverOverwritten) Name() string { return "raw_never_overwritten" }

func (RawNeverOverwritten) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "raw_never_overwritten"}
	n := len(writeOnceZones)
	written, twice, deleted := make([]int, n), make([][]string, n), make([][]string, n)
	for k, puts := range o.RawPuts {
		z, ok := writeOnceZone(k)
		if !ok {
			continue
		}
		written[z]++
		if puts > 1 {
			twice[z] = append(twice[z], fmt.Sprintf("%s (%d writes)", k, puts))
		}
	}
	for _, k := range o.RawDeletes {
		if z, ok := writeOnceZone(k); ok {
			deleted[z] = append(deleted[z], k)
		}
	}
	overwritten, deletes := 0, 0
	for z := range writeOnceZones {
		overwritten += len(twice[z])
		deletes += len(deleted[z])
	}
	// RAW's count, then the totals over every zone, as before the derived
	// zones were watched; then the derived zones' counts.
	r.count(writeOnceZones[0].count, written[0])
	r.count("overwritten", overwritten)
	r.count("deleted", deletes)
	for z, zone := range writeOnceZones[1:] {
		r.count(zone.count, written[z+1])
	}
	for z, zone := range writeOnceZones {
		if len(twice[z]) > 0 {
			r.fail("%d %s keys written more than once; first: %s", len(twice[z]), zone.name, first(twice[z]))
		}
		if len(deleted[z]) > 0 {
			r.fail("%d %s keys deleted; first: %s", len(deleted[z]), zone.name, first(deleted[z]))
		}
	}
	r.OK = len(r.Violations) == 0
	return r
}

// RawIntact: every RAW object reads back whole (its checksum matches) and
// parses.
type RawIntact struct{}

func (RawIntact) Name() string { return "raw_intact" }

func (RawIntact) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "raw_intact"}
	r.count("unreadable", len(o.RawUnreadable))
	if o.RawPlanted > 0 {
		r.count("planted", o.RawPlanted)
	}
	if len(o.RawUnreadable) > 0 {
		r.fail("%d RAW objects fail their checksum or do not parse; first: %s", len(o.RawUnreadable), first(o.RawUnreadable))
	}
	r.OK = len(r.Violations) == 0
	return r
}

// CheckpointsForward: no shard's checkpoint ever moved backwards.
type CheckpointsForward struct{}

func (CheckpointsForward) Name() string { return "checkpoints_forward" }

func (CheckpointsForward) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "checkpoints_forward"}
	r.count("checkpoints", o.CheckpointMoves)
	r.count("backwards", len(o.Backwards))
	if len(o.Backwards) > 0 {
		r.fail("%d checkpoints moved backwards; first: %s", len(o.Backwards), first(o.Backwards))
	}
	r.OK = len(r.Violations) == 0
	return r
}

// StepsCaughtUp: steps fail in the fault phase only if a fault can explain
// it, and the heal phase catches everything up without a failure.
type StepsCaughtUp struct{}

func (StepsCaughtUp) Name() string { return "steps_caught_up" }

func (StepsCaughtUp) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "steps_caught_up"}
	var fault, heal []string
	for _, s := range o.Steps {
		line := s.Step + ": " + s.Err
		if s.Phase == "heal" {
			heal = append(heal, line)
		} else {
			fault = append(fault, line)
		}
	}
	r.count("failed_in_fault_phase", len(fault))
	r.count("failed_in_heal_phase", len(heal))
	if len(fault) > 0 && !o.MayFail {
		r.fail("%d steps failed with no fault that could explain it; first: %s", len(fault), first(fault))
	}
	if len(heal) > 0 {
		r.fail("%d steps failed after the faults stopped; first: %s", len(heal), first(heal))
	}
	r.OK = len(r.Violations) == 0
	return r
}

// FaultsFired: every fault of a scenario file fired at least once (a fault
// that never fires proves nothing). Drawn scenarios only report it.
type FaultsFired struct{}

func (FaultsFired) Name() string { return "faults_fired" }

func (FaultsFired) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "faults_fired"}
	for _, f := range o.Scenario.Faults {
		n := o.Fired[f.Kind]
		r.count(string(f.Kind), n)
		if n == 0 && !o.Scenario.Drawn {
			r.fail("%s never fired", f.Kind)
		}
	}
	r.OK = len(r.Violations) == 0
	return r
}

// FaultChecks reports what the faults saw broken as they fired (a stale
// consumer's checkpoint accepted, a full refresh that changed a table, a
// duplicate snapshot that wrote objects).
type FaultChecks struct{}

func (FaultChecks) Name() string { return "fault_checks" }

func (FaultChecks) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "fault_checks", Violations: slices.Clone(o.Broken)}
	r.count("broken", len(o.Broken))
	r.OK = len(r.Violations) == 0
	return r
}

// Expectations checks the scenario's expect: section.
type Expectations struct{}

func (Expectations) Name() string { return "expectations" }

func (Expectations) Check(o *Observation) CheckResult {
	r := CheckResult{Name: "expectations"}
	e := o.Scenario.Expect
	failed := 0
	for _, s := range o.Steps {
		if s.Phase == "fault" {
			failed++
		}
	}
	for _, c := range []struct {
		name string
		rng  *Range
		n    int
	}{
		{"failed_steps", e.FailedSteps, failed},
		{"quarantined", e.Quarantined, o.StreamQuarantine + o.LoadQuarantine},
		{"rejected", e.Rejected, o.Totals.Rejected},
		{"late_events", e.LateEvents, int(o.Late)},
	} {
		if c.rng == nil {
			continue
		}
		r.count(c.name, c.n)
		if !c.rng.Contains(c.n) {
			r.fail("%s: %d, want %s", c.name, c.n, c.rng)
		}
	}
	if e.Alerts != nil {
		for _, a := range o.Alerts {
			want := slices.Contains(e.Alerts, a.Name)
			switch {
			case want && !a.Fired:
				r.fail("alert %s did not fire", a.Name)
			case !want && a.Fired:
				r.fail("alert %s fired, and expect.alerts does not list it: %s (at %s)", a.Name, a.Detail, a.First.Format(time.RFC3339))
			}
		}
	}
	r.OK = len(r.Violations) == 0
	return r
}

// first lists the first five of xs.
func first(xs []string) string {
	sorted := slices.Clone(xs)
	sort.Strings(sorted)
	if len(sorted) > 5 {
		return strings.Join(sorted[:5], ", ") + ", ..."
	}
	return strings.Join(sorted, ", ")
}

// fingerprint is what must not change between two runs of a seed, or
// across a rerun: every CORE and MARTS table's hash, and every object of
// the lake's data zones with its checksum. The runs' history
// (raw/_runs/) is not data: a rerun adds its attempts there.
type fingerprint struct {
	Tables  []warehouse.TableHash
	Objects map[string]string // key -> size and sha256 (listings may lack it)
}

func (x *run) fingerprint(ctx context.Context) (fingerprint, error) {
	fp := fingerprint{Objects: map[string]string{}}
	var err error
	if fp.Tables, err = x.r.Warehouse().TableHashes(ctx); err != nil {
		return fp, err
	}
	for _, prefix := range []string{lake.RawPrefix, lake.QuarantinePrefix} {
		infos, err := x.r.Env.Lake.List(ctx, prefix)
		if err != nil {
			return fp, err
		}
		for _, i := range infos {
			if strings.HasPrefix(i.Key, ingest.RawRunsFakestore) {
				continue
			}
			fp.Objects[i.Key] = fmt.Sprintf("%d %s", i.Size, i.SHA256)
		}
	}
	return fp, nil
}

// digest is one hash of the fingerprint's tables.
func (fp fingerprint) digest() string {
	h := sha256.New()
	for _, t := range fp.Tables {
		fmt.Fprintf(h, "%s %d %s\n", t.Table, t.Rows, t.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// checkSameFingerprint compares two fingerprints.
func checkSameFingerprint(name, what string, a, b fingerprint) CheckResult {
	r := CheckResult{Name: name}
	r.count("tables", len(a.Tables))
	r.count("objects", len(a.Objects))
	if d := diffHashes(a.Tables, b.Tables); d != "" {
		r.fail("%s changed tables: %s", what, d)
	}
	var changed []string
	for k, v := range b.Objects {
		if w, ok := a.Objects[k]; !ok || w != v {
			changed = append(changed, k)
		}
	}
	for k := range a.Objects {
		if _, ok := b.Objects[k]; !ok {
			changed = append(changed, k)
		}
	}
	if len(changed) > 0 {
		r.fail("%s changed %d lake objects; first: %s", what, len(changed), first(changed))
	}
	r.OK = len(r.Violations) == 0
	return r
}

// diffHashes names the tables whose hash differs, "" if none.
func diffHashes(a, b []warehouse.TableHash) string {
	m := map[string]warehouse.TableHash{}
	for _, t := range a {
		m[t.Table] = t
	}
	var diff []string
	for _, t := range b {
		if o, ok := m[t.Table]; !ok || o.SHA256 != t.SHA256 {
			diff = append(diff, fmt.Sprintf("%s (%d rows, was %d)", t.Table, t.Rows, o.Rows))
		}
		delete(m, t.Table)
	}
	for name := range m {
		diff = append(diff, name+" (gone)")
	}
	sort.Strings(diff)
	return strings.Join(diff, ", ")
}

// check gathers the observation, runs every checker, then the rerun, and
// returns the report and the run's fingerprint.
func (x *run) check(ctx context.Context) (*Report, fingerprint, error) {
	o, err := x.observe(ctx)
	if err != nil {
		return nil, fingerprint{}, fmt.Errorf("scenario %s: observe the run: %w", x.sc.Name, err)
	}
	rep := &Report{Scenario: x.sc.Name, Path: x.sc.Path, Seed: x.sc.Seed, Drawn: x.sc.Drawn, Steps: o.Steps, Totals: o.Totals, Metrics: o.Metrics, Alerts: o.Alerts, Anomalies: o.Anomalies}
	rep.Events = eventsReport(o)
	for _, f := range x.sc.Faults {
		rep.Faults = append(rep.Faults, FaultReport{Kind: f.Kind, Fired: o.Fired[f.Kind]})
	}
	for _, c := range Checkers() {
		rep.Checks = append(rep.Checks, c.Check(o))
	}
	before, err := x.fingerprint(ctx)
	if err != nil {
		return nil, fingerprint{}, err
	}
	rep.Hashes = before.digest()
	x.rerun(ctx)
	after, err := x.fingerprint(ctx)
	if err != nil {
		return nil, fingerprint{}, err
	}
	// A source that now serves other bytes than during the faults (a list
	// without its injected duplicates) is recorded under a new
	// content-addressed key, and committed with a new commit of its date;
	// that is not the rerun changing anything.
	added := 0
	newDates := map[string]bool{}
	for k := range after.Objects {
		if _, ok := before.Objects[k]; !ok && strings.HasPrefix(k, lake.RawFakestore) {
			before.Objects[k] = after.Objects[k]
			added++
			d, _ := lake.PartitionDate(k)
			newDates[d] = true
		}
	}
	for k := range after.Objects {
		if _, ok := before.Objects[k]; !ok && strings.HasPrefix(k, lake.RawCommitsFakestore) {
			if d, _ := lake.PartitionDate(k); !newDates[d] {
				continue
			}
			before.Objects[k] = after.Objects[k]
		}
	}
	rerun := checkSameFingerprint("rerun_noop", "a rerun of every step", before, after)
	rerun.count("new_source_objects", added)
	if n := len(x.steps) - len(o.Steps); n > 0 {
		for _, s := range x.steps[len(o.Steps):] {
			rerun.fail("rerun %s: %s", s.Step, s.Err)
		}
		rerun.OK = false
	}
	rep.Checks = append(rep.Checks, rerun)
	return rep, before, nil
}

// rerun runs every step again: every date's ingestion, a drain, a build.
func (x *run) rerun(ctx context.Context) {
	for d := -1; d < x.sc.World.Days; d++ {
		date := x.start.AddDate(0, 0, d)
		_, err := x.r.Ingest(ctx, date)
		x.step("rerun", "ingest "+date.Format(time.DateOnly), err)
	}
	x.drain(ctx, "rerun", x.clock.Now())
	_, _, err := x.r.Build(ctx, warehouse.TransformOptions{AsOf: x.end})
	x.step("rerun", "build", err)
}

// observe reads what every stage holds.
func (x *run) observe(ctx context.Context) (*Observation, error) {
	r := x.r
	o := &Observation{
		Scenario: x.sc, World: r.World, Totals: r.Totals(), Anomalies: r.Anomalies(),
		Late: x.late, Fired: map[Kind]int{},
	}
	x.mu.Lock()
	o.Steps = slices.Clone(x.steps)
	o.Broken = slices.Clone(x.broken)
	o.BuildsCompared, o.BuildDiffs = x.builds, slices.Clone(x.buildDiffs)
	for k, n := range x.fired {
		o.Fired[k] = n
	}
	x.mu.Unlock()
	for _, c := range x.counters {
		o.Fired[c.kind] += c.n()
	}
	for _, f := range x.sc.Faults {
		spec := kinds[f.Kind]
		if spec.fired != nil {
			o.Fired[f.Kind] = spec.fired(x)
		}
		o.MayFail = o.MayFail || spec.mayFail
	}
	x.expect(o)

	store := r.Env.Lake
	var err error
	if o.RawEvents, o.RawRecords, o.RawUnreadable, err = readEvents(ctx, store, lake.RawEvents); err != nil {
		return nil, err
	}
	var payloads map[string]int
	if payloads, o.StreamQuarantineRecords, _, err = readEvents(ctx, store, lake.QuarantineEvents); err != nil {
		return nil, err
	}
	o.StreamQuarantine = len(payloads)
	fs, err := store.List(ctx, lake.RawFakestore)
	if err != nil {
		return nil, err
	}
	for _, info := range fs {
		if _, err := store.Get(ctx, info.Key); err != nil {
			o.RawUnreadable = append(o.RawUnreadable, info.Key+": "+err.Error())
		}
	}
	o.RawUnreadable, o.RawPlanted = x.exceptPlanted(o.RawUnreadable)
	// STAGING and the transform's QUARANTINE, from the lake (staged.go).
	if o.StagingEvents, o.LoadQuarantine, o.StagingUnreadable, err = stagedEvents(ctx, store); err != nil {
		return nil, fmt.Errorf("read STAGING: %w", err)
	}
	db := r.Warehouse().DB()
	if o.CoreEvents, err = countBy[string](ctx, db, `SELECT event_id, count(*) FROM core.events GROUP BY event_id`); err != nil {
		return nil, err
	}
	if o.Warehouse, err = r.Warehouse().Accounting(ctx); err != nil {
		return nil, err
	}
	if o.CoreUsers, err = countBy[int64](ctx, db, `SELECT user_id, count(*) FROM core.users GROUP BY user_id`); err != nil {
		return nil, err
	}
	if o.CoreOrders, err = countBy[int64](ctx, db, `SELECT order_id, count(*) FROM core.orders GROUP BY order_id`); err != nil {
		return nil, err
	}
	if o.CoreProducts, err = countBy[int64](ctx, db, `SELECT product_id, count(*) FROM core.products GROUP BY product_id`); err != nil {
		return nil, err
	}
	x.journal.mu.Lock()
	o.RawPuts = make(map[string]int, len(x.journal.puts))
	for k, v := range x.journal.puts {
		o.RawPuts[k] = v
	}
	o.RawDeletes = slices.Clone(x.journal.deletes)
	x.journal.mu.Unlock()
	x.cps.mu.Lock()
	o.CheckpointMoves, o.Backwards = x.cps.moves, slices.Clone(x.cps.backwards)
	x.cps.mu.Unlock()
	if o.MartCounts, o.MartDiffs, err = CompareMarts(ctx, r.Warehouse(), o.Expected); err != nil {
		return nil, err
	}
	if o.Metrics, err = x.metrics(ctx); err != nil {
		return nil, err
	}
	if o.Alerts, err = x.evaluateAlerts(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

// expect derives from the deliveries what CORE and QUARANTINE must hold.
func (x *run) expect(o *Observation) {
	w, e := x.expectedWorld()
	o.Expected = w
	o.Sent, o.ExpectedLoadQuarantine, o.ExpectedStreamQuarantine, o.ExpectedRejected = e.sent, e.loadQuarantine, e.streamQuarantine, e.rejected
}

// expectation counts what the deliveries so far must leave outside CORE.
type expectation struct {
	sent, loadQuarantine, streamQuarantine, rejected int
}

// expectedWorld is the world as CORE must hold it, given what the fleet
// sent: the world's events, minus those a malformed record replaced or a
// clock ahead beyond the tolerance sends to QUARANTINE, with the kept
// skewed times (ahead or behind). An event sent in several versions
// (conflicting duplicates) or from a clock behind is what RAW's copies of
// it make of it by the warehouse's rules (rawVersions: the earliest
// arrival, a clock far behind its batch quarantined). The orders of a
// date whose carts the source served empty (empty_snapshot) are left out
// until the date is rerun.
func (x *run) expectedWorld() (*sim.World, expectation) {
	l := x.sent
	l.mu.Lock()
	defer l.mu.Unlock()
	e := expectation{sent: l.records}
	w := *x.r.World
	fates := x.rawFates(l, w.Events)
	events := make([]stream.Event, 0, len(w.Events))
	for _, ev := range w.Events {
		if l.replaced[ev.EventID] {
			continue
		}
		if f := fates[ev.EventID]; f != nil && f.copies > 0 {
			if f.rejected {
				e.loadQuarantine++
			}
			if f.kept != nil {
				events = append(events, *f.kept)
			}
			continue
		}
		if skew := l.skew[ev.EventID]; skew != 0 {
			if skew >= futureQuarantinedMin {
				e.loadQuarantine++
				continue
			}
			ev.EventTime = ev.EventTime.Add(skew)
		}
		events = append(events, ev)
	}
	sort.Slice(events, func(i, j int) bool {
		if !events[i].EventTime.Equal(events[j].EventTime) {
			return events[i].EventTime.Before(events[j].EventTime)
		}
		return events[i].EventID < events[j].EventID
	})
	w.Events = events
	w.Orders = x.ordersServed(w.Orders)
	for k, n := range l.malformed {
		if k == sim.MalformedOversized {
			e.rejected += n
		} else {
			e.streamQuarantine += n
		}
	}
	return &w, e
}

// readEvents reads every gzip NDJSON object under prefix and counts the
// event ids of its records; objects that fail their checksum or do not
// decompress are listed as unreadable.
//
// For QUARANTINE, whose records carry the payload as received in "data",
// ids counts the distinct payloads instead (keyed by their bytes): the
// stream may hold one bad record twice (a producer retry), and each copy is
// quarantined at its own sequence number.
func readEvents(ctx context.Context, store lake.Store, prefix string) (map[string]int, int, []string, error) {
	infos, err := store.List(ctx, prefix)
	if err != nil {
		return nil, 0, nil, err
	}
	ids := map[string]int{}
	records := 0
	var bad []string
	for _, info := range infos {
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			if errors.Is(err, lake.ErrChecksum) {
				bad = append(bad, info.Key+": checksum")
				continue
			}
			return nil, 0, nil, err
		}
		lines, err := gunzipLinesErr(body)
		if err != nil {
			bad = append(bad, info.Key+": "+err.Error())
			continue
		}
		for _, line := range lines {
			records++
			var rec struct {
				EventID string  `json:"event_id"`
				Data    *string `json:"data"`
			}
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			switch {
			case rec.Data != nil:
				ids[*rec.Data]++
			case rec.EventID != "":
				ids[rec.EventID]++
			}
		}
	}
	return ids, records, bad, nil
}

// gunzipLinesErr returns the non-blank lines of a gzip NDJSON body.
func gunzipLinesErr(body []byte) ([][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var out [][]byte
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	return out, sc.Err()
}

// gunzipLines is gunzipLinesErr for a body already read once: a damaged
// one gives what it could.
func gunzipLines(body []byte) [][]byte {
	lines, _ := gunzipLinesErr(body)
	return lines
}
