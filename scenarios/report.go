package scenarios

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
)

// MarshalJSON encodes the report with its duration in milliseconds
// (duration_ms), as every duration of docs/JSON.md.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(r), r.Duration.Milliseconds()})
}

// Report is what one scenario run found.
type Report struct {
	Scenario string `json:"scenario"`
	Path     string `json:"path,omitempty"`
	Seed     uint64 `json:"seed"`
	Drawn    bool   `json:"drawn,omitempty"`
	// OK: every check passed.
	OK       bool          `json:"ok"`
	Duration time.Duration `json:"-"` // duration_ms in JSON (MarshalJSON)
	Faults   []FaultReport `json:"faults"`
	Checks   []CheckResult `json:"checks"`
	// Steps that failed: in the fault phase (expected of some faults), the
	// heal phase or the rerun (never expected).
	Steps     []StepError       `json:"failed_steps,omitempty"`
	Totals    pipeline.Totals   `json:"totals"`
	Events    EventsReport      `json:"events"`
	Anomalies sim.AnomalyCounts `json:"anomalies"`
	Metrics   Metrics           `json:"metrics"`
	Alerts    []AlertResult     `json:"alerts"`
	// Hashes is a digest of every CORE and MARTS table's hash: the same
	// seed gives the same digest.
	Hashes string `json:"tables_digest"`
	// Replay is the command that runs this scenario again, seed included
	// ("" for a scenario built in code).
	Replay string `json:"replay"`
}

// EventsReport is where the events a run sent ended up, every count read
// where the data is (RAW and QUARANTINE from the lake, the rest from the
// warehouse's tables), and the balance of what was sent.
type EventsReport struct {
	// InRaw counts the records of the RAW events objects; StreamQuarantine
	// the distinct payloads of the QUARANTINE objects; LoadQuarantine the
	// distinct events Load quarantined (Observation's counts).
	InRaw            int `json:"in_raw"`
	StreamQuarantine int `json:"quarantined_at_stream"`
	LoadQuarantine   int `json:"quarantined_at_load"`
	// Conflicting counts the event ids that arrived with more than one
	// payload, Superseded their versions CORE does not keep.
	Conflicting int64 `json:"conflicting_events"`
	Superseded  int64 `json:"superseded_versions"`
	// RejectedRows counts the source rows rejected (meta.rejected_rows),
	// QuarantinedSourceRows those quarantined at load, QuarantinedObjects
	// the RAW objects Load set aside.
	RejectedRows          int64            `json:"rejected_rows"`
	QuarantinedSourceRows int64            `json:"quarantined_source_rows"`
	QuarantinedObjects    int64            `json:"quarantined_objects"`
	Balance               pipeline.Balance `json:"balance"`
}

// eventsReport reads o's counts. The balance counts records: the
// QUARANTINE objects' records (copies of one payload included) and the
// records Load quarantined.
func eventsReport(o *Observation) EventsReport {
	w := o.Warehouse
	return EventsReport{
		InRaw: o.RawRecords, StreamQuarantine: o.StreamQuarantine, LoadQuarantine: o.LoadQuarantine,
		Conflicting: w.Events.Conflicting, Superseded: w.Events.Superseded,
		RejectedRows: w.RejectedRows(), QuarantinedSourceRows: w.QuarantinedSourceRows(), QuarantinedObjects: w.QuarantinedObjects,
		Balance: pipeline.NewBalance(o.Totals, o.StreamQuarantineRecords, w),
	}
}

// FaultReport says how many times a fault fired.
type FaultReport struct {
	Kind  Kind `json:"kind"`
	Fired int  `json:"fired"`
}

// finish sets OK and Replay.
func (r *Report) finish() {
	r.OK = true
	for _, c := range r.Checks {
		r.OK = r.OK && c.OK
	}
	switch {
	case r.Path != "":
		r.Replay = fmt.Sprintf("shoplake scenario run %s --seed %d", r.Path, r.Seed)
	case r.Drawn:
		r.Replay = fmt.Sprintf("shoplake scenario swarm --first-seed %d --seeds 1", r.Seed)
	}
}

// Failed returns the checks that failed.
func (r *Report) Failed() []CheckResult {
	var out []CheckResult
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// WriteText writes the report for a person: the verdict, the faults and how
// often each fired, one line per check with its counts, and for a failure
// the violations and the command that replays it.
func (r *Report) WriteText(w io.Writer) {
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s %s  seed %d  %s\n", verdict, r.Scenario, r.Seed, r.Duration.Round(time.Millisecond))
	if len(r.Faults) > 0 {
		var fs []string
		for _, f := range r.Faults {
			fs = append(fs, fmt.Sprintf("%s×%d", f.Kind, f.Fired))
		}
		fmt.Fprintf(w, "  faults fired: %s\n", strings.Join(fs, ", "))
	}
	e, b := r.Events, r.Events.Balance
	fmt.Fprintf(w, "  events: sent %d, acknowledged %d, in RAW %d, quarantined %d (at the stream %d, at load %d), rejected %d, "+
		"conflicts %d (%d versions superseded), exact duplicates %d (consumer %d, warehouse %d); tables %s\n",
		r.Totals.Sent, r.Totals.Acknowledged, e.InRaw, e.StreamQuarantine+e.LoadQuarantine, e.StreamQuarantine, e.LoadQuarantine,
		r.Totals.Rejected, e.Conflicting, e.Superseded, b.ExactDuplicates(), b.DroppedByConsumer, b.RemovedInWarehouse, r.Hashes)
	fmt.Fprintf(w, "  balance: %s\n", b)
	if !b.OK() {
		fmt.Fprintf(w, "           %s\n", b.Terms())
	}
	if e.RejectedRows+e.QuarantinedSourceRows+e.QuarantinedObjects > 0 {
		fmt.Fprintf(w, "  source rows: rejected %d (meta.rejected_rows), quarantined at load %d; RAW objects set aside %d\n",
			e.RejectedRows, e.QuarantinedSourceRows, e.QuarantinedObjects)
	}
	var fired []string
	for _, a := range r.Alerts {
		if a.Fired {
			fired = append(fired, a.Name+" ("+a.Detail+")")
		}
	}
	if len(fired) > 0 {
		fmt.Fprintf(w, "  alerts: %s\n", strings.Join(fired, "; "))
	}
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
		}
		var cs []string
		for _, n := range c.Counts {
			cs = append(cs, fmt.Sprintf("%s=%d", n.Name, n.N))
		}
		fmt.Fprintf(w, "  %s %-22s %s\n", mark, c.Name, strings.Join(cs, " "))
		for _, v := range c.Violations {
			fmt.Fprintf(w, "       - %s\n", strings.ReplaceAll(v, "\n", "\n         "))
		}
	}
	if !r.OK && r.Replay != "" {
		fmt.Fprintf(w, "  replay: %s\n", r.Replay)
	}
}

// countBy runs query, which returns (key, count) rows, and collects them.
func countBy[K comparable](ctx context.Context, db *sql.DB, query string) (map[K]int, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[K]int{}
	for rows.Next() {
		var k K
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}
