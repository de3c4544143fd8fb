package scenarios

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
)

// Report is what one scenario run found.
type Report struct {
	Scenario string `json:"scenario"`
	Path     string `json:"path,omitempty"`
	Seed     uint64 `json:"seed"`
	Drawn    bool   `json:"drawn,omitempty"`
	// OK: every check passed.
	OK       bool          `json:"ok"`
	Duration time.Duration `json:"duration_ns"`
	Faults   []FaultReport `json:"faults"`
	Checks   []CheckResult `json:"checks"`
	// Steps that failed: in the fault phase (expected of some faults), the
	// heal phase or the rerun (never expected).
	Steps     []StepError       `json:"failed_steps,omitempty"`
	Totals    pipeline.Totals   `json:"totals"`
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
	fmt.Fprintf(w, "  events: sent %d, acknowledged %d, in RAW %d, quarantined %d, rejected %d; tables %s\n",
		r.Totals.Sent, r.Totals.Acknowledged, r.Totals.InRaw, r.Totals.Quarantined, r.Totals.Rejected, r.Hashes)
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
