package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shoplake/shoplake/lake"
)

// RawRunsFakestore is the prefix of the runs' history in the lake.
const RawRunsFakestore = "raw/_runs/fakestore/"

// maxAttempts bounds the runs of one date: an attempt number is three
// digits of the run's id.
const maxAttempts = 999

// LakeLedger is the Ledger kept in the lake, beside the commits, so that
// ingestion needs no warehouse. Each run of a date is a folder
//
//	raw/_runs/fakestore/dt=<date>/attempt=<NNN>/begin.json   written by BeginRun
//	raw/_runs/fakestore/dt=<date>/attempt=<NNN>/end.json     written by FinishRun, or by a later run superseding it
//
// both written once, with conditional puts, which are the ledger's only
// lock: BeginRun claims the date's next attempt number (a run begun at the
// same moment takes the next), and a run's end is written either by its
// own FinishRun or by the later run that supersedes it, never both: the
// loser of that race learns it from the put (ErrSuperseded for a FinishRun
// that comes too late; an end already written for a run that finished in
// time). A run's id is the date and the attempt, YYYYMMDDNNN
// (20260105001): unique without a global counter, and the same for the
// same history.
type LakeLedger struct {
	Store lake.Store
}

var _ Ledger = (*LakeLedger)(nil)

// LedgerFormat is the version of the run records written here.
const LedgerFormat = 1

// runBegin is begin.json.
type runBegin struct {
	Format    int       `json:"format"`
	Run       int64     `json:"run"`
	Date      string    `json:"date"`
	Attempt   int       `json:"attempt"`
	StartedAt time.Time `json:"started_at"`
	// Supersedes are the runs of the date this one closed as failed.
	Supersedes []int64 `json:"supersedes,omitempty"`
}

// runEnd is end.json.
type runEnd struct {
	Format     int       `json:"format"`
	Run        int64     `json:"run"`
	Date       string    `json:"date"`
	Status     Status    `json:"status"`
	FinishedAt time.Time `json:"finished_at"`
	Requests   int       `json:"requests"`
	Retries    int       `json:"retries"`
	Error      string    `json:"error,omitempty"`
	// SupersededBy is the run that closed this one, when it did.
	SupersededBy int64    `json:"superseded_by,omitempty"`
	Objects      []Object `json:"objects,omitempty"`
}

// runID is the id of attempt n of date.
func runID(date time.Time, attempt int) int64 {
	y, m, d := date.Date()
	return (int64(y)*10000+int64(m)*100+int64(d))*1000 + int64(attempt)
}

// runDir is the folder of attempt n of date.
func runDir(date time.Time, attempt int) string {
	return fmt.Sprintf("%sdt=%s/attempt=%03d/", RawRunsFakestore, date.Format(lake.DateFormat), attempt)
}

// attemptsOf lists the runs of date: for each attempt number, whether its
// end is written.
func (l *LakeLedger) attemptsOf(ctx context.Context, date time.Time) (map[int]bool, error) {
	prefix := RawRunsFakestore + "dt=" + date.Format(lake.DateFormat) + "/"
	infos, err := l.Store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := map[int]bool{}
	for _, info := range infos {
		rest := strings.TrimPrefix(info.Key, prefix)
		dir, file, ok := strings.Cut(rest, "/")
		n, err := strconv.Atoi(strings.TrimPrefix(dir, "attempt="))
		if !ok || !strings.HasPrefix(dir, "attempt=") || err != nil || n < 1 || n > maxAttempts {
			continue // not a run record: verify reports it
		}
		switch file {
		case "begin.json":
			if _, seen := out[n]; !seen {
				out[n] = false
			}
		case "end.json":
			out[n] = true
		}
	}
	return out, nil
}

// BeginRun claims the date's next attempt and writes its begin record,
// then closes the date's runs still running as failed, superseded by it
// (see Ledger.BeginRun), writing their end records.
func (l *LakeLedger) BeginRun(ctx context.Context, date, startedAt time.Time) (Run, error) {
	day := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	fail := func(err error) (Run, error) {
		return Run{}, fmt.Errorf("ingest ledger: begin run of %s: %w", day.Format(lake.DateFormat), err)
	}
	runs, err := l.attemptsOf(ctx, day)
	if err != nil {
		return fail(err)
	}
	next := 1
	for n := range runs {
		next = max(next, n+1)
	}
	var open []int
	for n, ended := range runs {
		if !ended {
			open = append(open, n)
		}
	}
	sort.Ints(open)
	run := Run{Date: day, StartedAt: startedAt.UTC()}
	for ; ; next++ {
		if next > maxAttempts {
			return fail(fmt.Errorf("the date has %d runs already", maxAttempts))
		}
		run.ID, run.Attempt = runID(day, next), next
		rec := runBegin{Format: LedgerFormat, Run: run.ID, Date: day.Format(lake.DateFormat), Attempt: next, StartedAt: run.StartedAt}
		for _, n := range open {
			rec.Supersedes = append(rec.Supersedes, runID(day, n))
		}
		body, err := encodeRecord(rec)
		if err != nil {
			return fail(err)
		}
		// Two runs begun at the same moment write the same bytes: only the
		// put decides whose attempt it is (a try whose answer was lost
		// leaves an attempt the date's next run closes).
		mine, err := l.put(ctx, runDir(day, next)+"begin.json", body, false)
		if err != nil {
			return fail(err)
		}
		if !mine {
			continue // a run begun at the same moment took it
		}
		break
	}
	reason := fmt.Sprintf("interrupted: superseded by run %d, begun at %s while this run was still running "+
		"(its process ended without finishing it; two concurrent ingests of one date are not supported)",
		run.ID, run.StartedAt.Format(time.RFC3339))
	for _, n := range open {
		end := runEnd{Format: LedgerFormat, Run: runID(day, n), Date: day.Format(lake.DateFormat), Status: StatusFailed,
			FinishedAt: run.StartedAt, Error: reason, SupersededBy: run.ID}
		body, err := encodeRecord(end)
		if err != nil {
			return fail(err)
		}
		mine, err := l.put(ctx, runDir(day, n)+"end.json", body, true)
		if err != nil {
			return fail(err)
		}
		if mine {
			run.Superseded = append(run.Superseded, end.Run)
		} // else it finished in time: not superseded
	}
	return run, nil
}

// FinishRun writes the run's end record with its outcome and objects. It
// fails, writing nothing, when the run's end is written already with
// another record: with ErrSuperseded when a later run closed it. The same
// record again is a retry whose answer was lost, and succeeds.
func (l *LakeLedger) FinishRun(ctx context.Context, rec RunRecord) error {
	switch rec.Status {
	case StatusCommitted, StatusUnchanged, StatusFailed:
	default:
		return fmt.Errorf("ingest ledger: finish run %d: status %q is not a final status", rec.ID, rec.Status)
	}
	day := time.Date(rec.Date.Year(), rec.Date.Month(), rec.Date.Day(), 0, 0, 0, 0, time.UTC)
	if rec.Attempt < 1 || rec.Attempt > maxAttempts || runID(day, rec.Attempt) != rec.ID {
		return fmt.Errorf("ingest ledger: finish run %d: not a run of this ledger (date %s, attempt %d)", rec.ID, day.Format(lake.DateFormat), rec.Attempt)
	}
	end := runEnd{Format: LedgerFormat, Run: rec.ID, Date: day.Format(lake.DateFormat), Status: rec.Status,
		FinishedAt: rec.FinishedAt.UTC(), Requests: rec.Requests, Retries: rec.Retries, Error: rec.Error, Objects: rec.Objects}
	body, err := encodeRecord(end)
	if err != nil {
		return err
	}
	key := runDir(day, rec.Attempt) + "end.json"
	mine, err := l.put(ctx, key, body, true)
	if err != nil {
		return fmt.Errorf("ingest ledger: finish run %d of %s as %s: %w", rec.ID, end.Date, rec.Status, err)
	}
	if mine {
		return nil
	}
	prev, rerr := l.Store.Get(ctx, key)
	if rerr != nil {
		return fmt.Errorf("ingest ledger: finish run %d: it finished already, and its end %s cannot be read: %w", rec.ID, key, rerr)
	}
	var was runEnd
	if err := json.Unmarshal(prev, &was); err == nil && was.SupersededBy != 0 {
		return fmt.Errorf("ingest ledger: finish run %d: run %d is not running: %w: superseded by run %d", rec.ID, rec.ID, ErrSuperseded, was.SupersededBy)
	}
	return fmt.Errorf("ingest ledger: finish run %d: run %d is not running: it finished already (%s)", rec.ID, rec.ID, was.Status)
}

// putAttempts is how many times a run record's put is tried.
const putAttempts = 3

// put writes a run record with a conditional put. A put that fails (a body
// refused in transit, a dropped connection: S3 writes nothing then) is
// tried again, up to putAttempts times: the history must not fail a date
// whose data is written. mine is true when this put wrote the record, or,
// with same, when the record there is this body (an earlier try whose
// answer was lost); false when another record is there.
func (l *LakeLedger) put(ctx context.Context, key string, body []byte, same bool) (mine bool, err error) {
	for try := 1; ; try++ {
		err := l.Store.PutIfAbsent(ctx, key, body)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, lake.ErrExists):
			if !same {
				return false, nil
			}
			got, gerr := l.Store.Get(ctx, key)
			return gerr == nil && bytes.Equal(got, body), nil
		case ctx.Err() != nil || try >= putAttempts:
			return false, fmt.Errorf("write %s (%d tries): %w", key, try, err)
		}
	}
}

// encodeRecord is a run record's bytes: indented JSON.
func encodeRecord(v any) ([]byte, error) {
	b, err := lake.EncodeDocument(v)
	if err != nil {
		return nil, fmt.Errorf("encode run record: %w", err)
	}
	return b, nil
}

// RunHistory is one run of a date as the lake records it.
type RunHistory struct {
	ID         int64
	Attempt    int
	StartedAt  time.Time
	Supersedes []int64
	// Status is running until the run's end is written.
	Status       Status
	FinishedAt   time.Time
	Requests     int
	Retries      int
	Error        string
	SupersededBy int64
	Objects      []Object
}

// Runs returns the runs of date, by attempt. A record that cannot be read
// or is not a run record is an error naming its key.
func (l *LakeLedger) Runs(ctx context.Context, date time.Time) ([]RunHistory, error) {
	day := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	attempts, err := l.attemptsOf(ctx, day)
	if err != nil {
		return nil, fmt.Errorf("ingest ledger: %w", err)
	}
	ns := make([]int, 0, len(attempts))
	for n := range attempts {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	read := func(key string, v any) error {
		body, err := l.Store.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("ingest ledger: %w", err)
		}
		if err := lake.DecodeDocument(body, v); err != nil {
			return fmt.Errorf("ingest ledger: %s is not a run record: %w", key, err)
		}
		return nil
	}
	var out []RunHistory
	for _, n := range ns {
		var b runBegin
		if err := read(runDir(day, n)+"begin.json", &b); err != nil {
			return nil, err
		}
		h := RunHistory{ID: b.Run, Attempt: b.Attempt, StartedAt: b.StartedAt, Supersedes: b.Supersedes, Status: StatusRunning}
		if attempts[n] {
			var e runEnd
			if err := read(runDir(day, n)+"end.json", &e); err != nil {
				return nil, err
			}
			h.Status, h.FinishedAt, h.Requests, h.Retries, h.Error, h.SupersededBy, h.Objects =
				e.Status, e.FinishedAt, e.Requests, e.Retries, e.Error, e.SupersededBy, e.Objects
		}
		out = append(out, h)
	}
	return out, nil
}
