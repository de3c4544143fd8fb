package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Every Transform attempt is recorded in meta.transform_runs
// (migrations 009 and 011), whatever its outcome, so that a reader
// (shoplake check, monitoring) sees the latest attempt and not the last
// good one:
//
//	promoted  CORE and MARTS moved (phase transform)
//	blocked   a blocking check failed; nothing moved (phase transform)
//	failed    the load (phase load, recorded by the caller with
//	          RecordLoadFailure) or the transform (phase transform,
//	          recorded by Transform) returned an error; nothing moved
//
// A failure is recorded after the run's transaction rolled back, in a
// transaction of its own, with the error text and the time of the
// warehouse's clock. The next run starts from the last promoted run.

// Phase is where a Transform attempt ended.
type Phase string

const (
	// PhaseLoad: loading RAW into STAGING failed; nothing was transformed.
	PhaseLoad Phase = "load"
	// PhaseTransform: the models and checks ran (or failed).
	PhaseTransform Phase = "transform"
)

// Run statuses in meta.transform_runs.
const (
	StatusPromoted = "promoted"
	StatusBlocked  = "blocked"
	StatusFailed   = "failed"
)

// RunRef names one recorded run and when it ended (nil when the warehouse
// had no clock).
type RunRef struct {
	RunID      int64      `json:"run_id"`
	FinishedAt *time.Time `json:"finished_at"`
}

// CheckRun is one recorded Transform attempt and the results of its checks.
type CheckRun struct {
	RunID int64  `json:"run_id"`
	Mode  string `json:"mode"`
	// Status is promoted, blocked or failed.
	Status string `json:"status"`
	// Phase is where the run ended: load or transform.
	Phase string `json:"phase"`
	// Error says why a failed run failed, or which blocking checks blocked
	// the run; empty for a promoted run.
	Error      string     `json:"error,omitempty"`
	FinishedAt *time.Time `json:"finished_at"`
	// Results are the check results; none for a failed run.
	Results []CheckResult `json:"results"`
	// NotPromotedSince is the first run of the streak of runs not promoted
	// that this run ends (this run itself when the one before it was
	// promoted); nil when this run was promoted.
	NotPromotedSince *RunRef `json:"not_promoted_since,omitempty"`
	// LastPromoted is the last promoted run before this one; nil if none.
	LastPromoted *RunRef `json:"last_promoted,omitempty"`
}

// OK reports whether the run was promoted.
func (r CheckRun) OK() bool { return r.Status == StatusPromoted }

// CheckResults returns run runID, or the latest attempt when runID is 0,
// with its check results. It returns a zero CheckRun (RunID 0) when no run
// has been recorded (or, read-only, when the warehouse was never
// migrated), and an error wrapping ErrNoRun when runID names no recorded
// run.
func (w *Warehouse) CheckResults(ctx context.Context, runID int64) (CheckRun, error) {
	if w.schema.unmigrated {
		if runID != 0 {
			return CheckRun{}, fmt.Errorf("%w: there is no run %d; no transform run is recorded yet", ErrNoRun, runID)
		}
		return CheckRun{}, nil
	}
	if err := w.schema.readable(); err != nil {
		return CheckRun{}, fmt.Errorf("check results: %w", err)
	}
	q, err := readSQL("queries/transform_run_read.sql")
	if err != nil {
		return CheckRun{}, err
	}
	var run CheckRun
	var phase, errText sql.NullString
	var finished sql.NullTime
	err = w.db.QueryRowContext(ctx, q, runID).Scan(&run.RunID, &run.Mode, &run.Status, &phase, &errText, &finished)
	switch {
	case errors.Is(err, sql.ErrNoRows) && runID == 0:
		return CheckRun{}, nil
	case errors.Is(err, sql.ErrNoRows):
		return CheckRun{}, w.noRun(ctx, runID)
	case err != nil:
		return CheckRun{}, fmt.Errorf("check results: read run: %w", err)
	}
	run.Phase, run.Error, run.FinishedAt = phase.String, errText.String, optTime(finished)
	if run.Results, err = w.checkResults(ctx, run.RunID); err != nil {
		return CheckRun{}, err
	}
	if run.Results == nil {
		run.Results = []CheckResult{}
	}
	if err := w.streak(ctx, &run); err != nil {
		return CheckRun{}, err
	}
	return run, nil
}

// noRun is the ErrNoRun error for runID, naming the runs that exist.
func (w *Warehouse) noRun(ctx context.Context, runID int64) error {
	q, err := readSQL("queries/transform_run_range.sql")
	if err != nil {
		return err
	}
	var n, lo, hi int64
	if err := w.db.QueryRowContext(ctx, q).Scan(&n, &lo, &hi); err != nil {
		return fmt.Errorf("check results: read runs: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: there is no run %d; no transform run is recorded yet", ErrNoRun, runID)
	}
	return fmt.Errorf("%w: there is no run %d; the runs recorded are %d to %d", ErrNoRun, runID, lo, hi)
}

// checkResults reads the check results of runID, in checkOrder.
func (w *Warehouse) checkResults(ctx context.Context, runID int64) ([]CheckResult, error) {
	q, err := readSQL("queries/check_results.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q, runID)
	if err != nil {
		return nil, fmt.Errorf("read check results: %w", err)
	}
	defer rows.Close()
	var out []CheckResult
	for rows.Next() {
		r := CheckResult{RunID: runID}
		var sev string
		if err := rows.Scan(&r.Name, &sev, &r.Status, &r.Failures, &r.Detail); err != nil {
			return nil, fmt.Errorf("read check results: %w", err)
		}
		r.Severity = Severity(sev)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read check results: %w", err)
	}
	pos := map[string]int{}
	for i, c := range checkOrder {
		pos[c.name] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return pos[out[i].Name] < pos[out[j].Name] })
	return out, nil
}

// streak fills run's LastPromoted and, when run was not promoted,
// NotPromotedSince.
func (w *Warehouse) streak(ctx context.Context, run *CheckRun) error {
	q, err := readSQL("queries/transform_run_streak.sql")
	if err != nil {
		return err
	}
	var lastID, firstID sql.NullInt64
	var lastAt, firstAt sql.NullTime
	if err := w.db.QueryRowContext(ctx, q, run.RunID).Scan(&lastID, &lastAt, &firstID, &firstAt); err != nil {
		return fmt.Errorf("check results: read earlier runs: %w", err)
	}
	if lastID.Valid {
		run.LastPromoted = &RunRef{RunID: lastID.Int64, FinishedAt: optTime(lastAt)}
	}
	if !run.OK() && firstID.Valid {
		run.NotPromotedSince = &RunRef{RunID: firstID.Int64, FinishedAt: optTime(firstAt)}
	}
	return nil
}

// RecordLoadFailure records a Transform attempt that loading RAW stopped
// before it began: the caller's Load returned cause. The run is recorded
// failed, phase load, with cause's text and the clock's time, in a
// transaction of its own; opts are the options the Transform would have
// had. It returns the run's id. Nothing else changes: the next run starts
// from the last promoted run.
func (w *Warehouse) RecordLoadFailure(ctx context.Context, opts TransformOptions, cause error) (int64, error) {
	if cause == nil {
		return 0, errors.New("record load failure: no error to record")
	}
	opts = opts.withDefaults()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("record load failure: %w", err)
	}
	defer conn.Close()
	st, err := w.transformState(ctx, conn)
	if err != nil {
		return 0, fmt.Errorf("record load failure: %w", err)
	}
	rec := w.failedRecord(st.nextRun, opts, st.promotedLoadSeq, st.maxLoadSeq, PhaseLoad, cause)
	if err := inTx(ctx, conn, func() error { return w.recordRun(ctx, conn, rec, nil) }); err != nil {
		return 0, fmt.Errorf("record load failure: %w", err)
	}
	return rec.runID, nil
}

// failedRecord is the meta.transform_runs row of a failed attempt: no
// counts, no watermark.
func (w *Warehouse) failedRecord(runID int64, opts TransformOptions, from, to int64, phase Phase, cause error) runRecord {
	if opts.Mode == FullRefresh {
		from = 0
	}
	return runRecord{
		runID: runID, mode: string(opts.Mode), status: StatusFailed, asOf: nullTime(opts.AsOf),
		from: from, to: to, latenessS: int64(opts.AllowedLateness / time.Second),
		phase: phase, errText: cause.Error(), finishedAt: w.now(), acceptedEmpty: opts.acceptedEmpty(),
	}
}

// now is the clock's time, or nil (SQL NULL) without a clock.
func (w *Warehouse) now() any {
	if w.opts.Clock == nil {
		return nil
	}
	return w.opts.Clock.Now().UTC()
}

// checkOptions refuses impossible options, before anything runs: a
// negative lateness, and an as-of at or before the earliest data the
// warehouse holds (every day would be in the future).
func (w *Warehouse) checkOptions(ctx context.Context, conn *sql.Conn, opts TransformOptions) error {
	if opts.AllowedLateness < 0 {
		return fmt.Errorf("%w: the allowed lateness %s is negative: give a positive duration, such as %s (the default)",
			ErrInvalidOption, opts.AllowedLateness, DefaultAllowedLateness)
	}
	if opts.BackfillLimit < 0 {
		return fmt.Errorf("%w: the backfill limit %d is negative: give how many queued days an incremental run may rebuild, such as %d (the default)",
			ErrInvalidOption, opts.BackfillLimit, DefaultBackfillLimit)
	}
	for _, e := range opts.AcceptEmpty {
		if !slices.Contains(VolumeEntities, e) {
			return fmt.Errorf("%w: cannot accept an empty %q: the entities with snapshots are %s",
				ErrInvalidOption, e, strings.Join(VolumeEntities, ", "))
		}
	}
	if opts.AsOf.IsZero() {
		return nil
	}
	q, err := readSQL("queries/transform_data_start.sql")
	if err != nil {
		return err
	}
	var start sql.NullTime
	if err := conn.QueryRowContext(ctx, q).Scan(&start); err != nil {
		return fmt.Errorf("read the earliest data: %w", err)
	}
	if !start.Valid || opts.AsOf.After(start.Time) {
		return nil
	}
	first := start.Time.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	return fmt.Errorf("%w: as-of %s precedes everything loaded (the earliest data is of %s): every day would be in the future; "+
		"give an as-of after it, a date from %s on, or none", ErrInvalidOption, formatInstant(opts.AsOf),
		formatInstant(start.Time), first.Format(time.DateOnly))
}

// formatInstant renders t as a date when it is a midnight, else in RFC 3339.
func formatInstant(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}
