package ingest

import (
	"context"
	"errors"
	"time"
)

// ErrSuperseded is wrapped by Ledger.FinishRun when the run was closed by a
// later BeginRun of its date ("interrupted: superseded by run N"): its
// process was still running after all, two ingests of one date ran at once,
// which is not supported. The run commits nothing; the later run commits.
var ErrSuperseded = errors.New("run superseded by a later run of its date")

// Ledger is the history of ingestion runs, per logical date: their ids,
// attempts, outcomes and objects (warehouse.IngestLedger is the
// implementation). What is committed is not its word but the lake's: a
// date's objects become visible downstream only through a commit in the
// lake (lake.Commit), which any warehouse reads.
type Ledger interface {
	// BeginRun records a new run of date, status running, started at
	// startedAt, and returns it with its id (from a sequence, never from the
	// wall clock) and its attempt number (1 for the date's first run).
	//
	// A new run of a date supersedes the runs of that date still running:
	// the ledger cannot tell a run whose process died (kill -9, a crash, a
	// lost machine) from one still working, so it takes the new run's
	// word. In the same transaction as the new run, each of them is closed
	// as failed, finished at startedAt, with the error "interrupted:
	// superseded by run N"; their ids are in the returned Run's Superseded.
	// Nothing of theirs was committed (objects are recorded only by
	// FinishRun), so nothing becomes visible or invisible. Two concurrent
	// runs of one date are therefore not supported: the earlier one's
	// FinishRun fails (ErrSuperseded) and it commits nothing, while the
	// later one commits normally. Runs of other dates are untouched.
	BeginRun(ctx context.Context, date, startedAt time.Time) (Run, error)
	// FinishRun records the outcome of a run begun with BeginRun and every
	// object it saw, in one transaction: with status committed its objects
	// are recorded as the run's (the commit in the lake follows and makes
	// them visible); with failed they are recorded as abandoned. It fails,
	// recording nothing, if the run is not running: with an error wrapping
	// ErrSuperseded when a later BeginRun of the date closed it, and the
	// run then commits nothing in the lake either.
	FinishRun(ctx context.Context, rec RunRecord) error
}

// Run identifies one run of one logical date.
type Run struct {
	ID        int64
	Date      time.Time
	Attempt   int // 1-based, among the runs of Date
	StartedAt time.Time
	// Superseded are the ids of the earlier runs of Date that were still
	// running when this one began, which BeginRun closed as failed
	// ("interrupted: superseded by run ID"); empty after a clean history.
	Superseded []int64
}

// Status is the outcome of a run, and of each object in it.
type Status string

// Run and object statuses.
const (
	// StatusRunning: begun, not finished (or the process died: the next
	// run of the date closes it as failed, see Ledger.BeginRun).
	StatusRunning Status = "running"
	// StatusCommitted: the run committed its objects; they are visible.
	StatusCommitted Status = "committed"
	// StatusUnchanged: every object of the run was already committed for
	// the date: nothing new, the date is complete.
	StatusUnchanged Status = "unchanged"
	// StatusFailed: the run stopped; its objects (StatusAbandoned) stay
	// invisible until a later run commits the same keys.
	StatusFailed Status = "failed"
	// StatusAbandoned is the status of an object of a failed run.
	StatusAbandoned Status = "abandoned"
	// StatusWritten: the objects are in RAW, not committed yet (the status
	// of a Result before its commit).
	StatusWritten Status = "written"
)

// Complete reports whether a run with status s leaves its date complete.
func (s Status) Complete() bool { return s == StatusCommitted || s == StatusUnchanged }

// RunRecord is what FinishRun records.
type RunRecord struct {
	Run
	Status     Status // committed, unchanged or failed
	FinishedAt time.Time
	Requests   int    // HTTP requests sent, retries included
	Retries    int    // of which retries
	Error      string // why a failed run failed; never holds response bodies
	Objects    []Object
}
