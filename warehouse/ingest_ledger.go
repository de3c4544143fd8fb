package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shoplake/shoplake/ingest"
)

// IngestLedger is the ingestion ledger in the warehouse's meta schema
// (meta.ingest_runs, meta.ingest_objects): the ingest.Ledger that decides
// which FakeStore RAW objects Load may read. It shares the warehouse's
// database, so a commit is one transaction of that database.
type IngestLedger struct{ w *Warehouse }

var _ ingest.Ledger = (*IngestLedger)(nil)

// IngestLedger returns the warehouse's ingestion ledger.
func (w *Warehouse) IngestLedger() *IngestLedger { return &IngestLedger{w: w} }

// BeginRun records a new running run of date. Its id comes from the
// sequence meta.ingest_run_id. In the same transaction it closes the runs
// of date still running as failed, superseded by the new run (see
// ingest.Ledger.BeginRun), and returns their ids in Run.Superseded.
func (l *IngestLedger) BeginRun(ctx context.Context, date, startedAt time.Time) (ingest.Run, error) {
	begin, err := readSQL("queries/ingest_begin_run.sql")
	if err != nil {
		return ingest.Run{}, err
	}
	supersede, err := readSQL("queries/ingest_supersede_runs.sql")
	if err != nil {
		return ingest.Run{}, err
	}
	day := dateOf(date)
	run := ingest.Run{Date: day, StartedAt: startedAt.UTC()}
	conn, err := l.w.db.Conn(ctx)
	if err != nil {
		return ingest.Run{}, fmt.Errorf("ingest ledger: %w", err)
	}
	defer conn.Close()
	err = inTx(ctx, conn, func() error {
		var attempt int64
		if err := conn.QueryRowContext(ctx, begin, day, run.StartedAt).Scan(&run.ID, &attempt); err != nil {
			return err
		}
		run.Attempt = int(attempt)
		reason := fmt.Sprintf("interrupted: superseded by run %d, begun at %s while this run was still running "+
			"(its process ended without finishing it; two concurrent ingests of one date are not supported)",
			run.ID, run.StartedAt.Format(time.RFC3339))
		rows, err := conn.QueryContext(ctx, supersede, day, run.ID, run.StartedAt, reason)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			run.Superseded = append(run.Superseded, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Slice(run.Superseded, func(i, j int) bool { return run.Superseded[i] < run.Superseded[j] })
		return rows.Close()
	})
	if err != nil {
		return ingest.Run{}, fmt.Errorf("ingest ledger: begin run of %s: %w", day.Format(time.DateOnly), err)
	}
	return run, nil
}

// CommittedKeys returns the keys committed for date.
func (l *IngestLedger) CommittedKeys(ctx context.Context, date time.Time) (map[string]bool, error) {
	q, err := readSQL("queries/ingest_committed_keys.sql")
	if err != nil {
		return nil, err
	}
	return l.w.keys(ctx, q, dateOf(date))
}

// FinishRun records rec's outcome and objects in one transaction. Objects of
// a committed run are recorded committed, of an unchanged run unchanged, of a
// failed run abandoned. It returns an error, and records nothing, if the run
// is not running (finished already, superseded: ingest.ErrSuperseded, or
// unknown) or the status is not one of committed, unchanged, failed.
func (l *IngestLedger) FinishRun(ctx context.Context, rec ingest.RunRecord) error {
	objStatus := map[ingest.Status]ingest.Status{
		ingest.StatusCommitted: ingest.StatusCommitted,
		ingest.StatusUnchanged: ingest.StatusUnchanged,
		ingest.StatusFailed:    ingest.StatusAbandoned,
	}[rec.Status]
	if objStatus == "" {
		return fmt.Errorf("ingest ledger: finish run %d: status %q is not a final status", rec.ID, rec.Status)
	}
	q, err := readSQL("queries/ingest_finish_run.sql")
	if err != nil {
		return err
	}
	conn, err := l.w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("ingest ledger: %w", err)
	}
	defer conn.Close()
	day := dateOf(rec.Date)
	err = inTx(ctx, conn, func() error {
		var errText any
		if rec.Error != "" {
			errText = rec.Error
		}
		r, err := conn.ExecContext(ctx, q, rec.ID, string(rec.Status), rec.FinishedAt.UTC(), int64(rec.Requests), int64(rec.Retries), errText)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return l.notRunning(ctx, conn, rec.ID)
		}
		rows := make([][]any, 0, len(rec.Objects))
		for _, o := range rec.Objects {
			rows = append(rows, []any{rec.ID, o.Key, o.SHA256, int64(o.Bytes), int64(o.Rows), int64(o.DuplicateIDs),
				int64(o.OutsideDate), o.Entity, day, string(objStatus)})
		}
		return l.w.dialect.Insert(ctx, conn, "meta", "ingest_objects",
			[]string{"run_id", "object_key", "sha256", "size_bytes", "row_count", "duplicate_ids", "outside_date", "entity", "logical_date", "status"}, rows)
	})
	if err != nil {
		return fmt.Errorf("ingest ledger: finish run %d of %s as %s: %w", rec.ID, day.Format(time.DateOnly), rec.Status, err)
	}
	return nil
}

// notRunning says why run id could not finish: superseded (wrapping
// ingest.ErrSuperseded), finished already, or unknown.
func (l *IngestLedger) notRunning(ctx context.Context, conn *sql.Conn, id int64) error {
	q, err := readSQL("queries/ingest_run_status.sql")
	if err != nil {
		return err
	}
	var status string
	var errText sql.NullString
	switch err := conn.QueryRowContext(ctx, q, id).Scan(&status, &errText); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("run %d is not running: no such run", id)
	case err != nil:
		return fmt.Errorf("run %d is not running: %w", id, err)
	}
	if strings.HasPrefix(errText.String, "interrupted: superseded") {
		reason, _, _ := strings.Cut(errText.String, ", begun at")
		return fmt.Errorf("run %d is not running: %w: %s", id, ingest.ErrSuperseded, reason)
	}
	return fmt.Errorf("run %d is not running: it finished already (%s)", id, status)
}

// IngestRun is one row of meta.ingest_runs.
type IngestRun struct {
	RunID       int64      `json:"run_id"`
	LogicalDate time.Time  `json:"logical_date"`
	Attempt     int64      `json:"attempt"`
	Status      string     `json:"status"`
	Requests    *int64     `json:"requests"`
	Retries     *int64     `json:"retries"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	Error       *string    `json:"error"`
	// OutsideDate counts the carts the source served outside the date and
	// the run dropped (--filter-carts-by-date), over its objects.
	OutsideDate int64 `json:"outside_date"`
}

// Runs returns every run of date, oldest first.
func (l *IngestLedger) Runs(ctx context.Context, date time.Time) ([]IngestRun, error) {
	q, err := readSQL("queries/ingest_runs.sql")
	if err != nil {
		return nil, err
	}
	rows, err := l.w.db.QueryContext(ctx, q, dateOf(date))
	if err != nil {
		return nil, fmt.Errorf("ingest ledger: read runs: %w", err)
	}
	defer rows.Close()
	var out []IngestRun
	for rows.Next() {
		var r IngestRun
		if err := rows.Scan(&r.RunID, &r.LogicalDate, &r.Attempt, &r.Status, &r.Requests, &r.Retries, &r.StartedAt, &r.FinishedAt, &r.Error, &r.OutsideDate); err != nil {
			return nil, fmt.Errorf("ingest ledger: read runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestDate returns the latest logical date that a run committed (or found
// unchanged); ok is false when no date has been ingested.
func (l *IngestLedger) LatestDate(ctx context.Context) (date time.Time, ok bool, err error) {
	q, err := readSQL("queries/ingest_latest_date.sql")
	if err != nil {
		return time.Time{}, false, err
	}
	var d sql.NullTime
	if err := l.w.db.QueryRowContext(ctx, q).Scan(&d); err != nil {
		return time.Time{}, false, fmt.Errorf("ingest ledger: latest date: %w", err)
	}
	if !d.Valid {
		return time.Time{}, false, nil
	}
	return dateOf(d.Time), true, nil
}

// dateOf is the UTC midnight of t.
func dateOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// keys runs a one-column query of keys with args.
func (w *Warehouse) keys(ctx context.Context, q string, args ...any) (map[string]bool, error) {
	rs, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	defer rs.Close()
	out := map[string]bool{}
	for rs.Next() {
		var k string
		if err := rs.Scan(&k); err != nil {
			return nil, fmt.Errorf("read keys: %w", err)
		}
		out[k] = true
	}
	return out, rs.Err()
}
