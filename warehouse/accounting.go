package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// Where the records the warehouse received ended up, counted from the
// tables themselves and never from a process's counters, so that a
// summary a person reads says what the data holds. An event Load read from
// RAW is in exactly one of: staging.events (then, once a promoted run has
// transformed it, CORE, a superseded version in meta.event_conflicts, or
// an exact duplicate that CORE's dedup removed) or staging.quarantine
// (quarantined at load). A RAW object Load set aside is in
// meta.quarantined_objects, and none of its records is counted. Source
// rows (users, products, carts) are in staging, in staging.quarantine, or
// rejected by a model (meta.rejected_rows).

// Count is one named count.
type Count struct {
	Name string `json:"name"`
	N    int64  `json:"n"`
}

// Kinds of staging.quarantine rows (Count.Name of EventAccounting's
// QuarantinedBy and RunAccounting's QuarantinedEventsBy).
const (
	KindClockAhead  = "clock_ahead"  // event_time beyond the FutureTolerance after its arrival
	KindClockBehind = "clock_behind" // event_time beyond the MaxEventAge before its arrival
	KindInvalid     = "invalid"      // did not type, or broke the contract
	KindRepaired    = "repaired"     // stored with a value replaced (not kept out)
)

// EventAccounting is where the events Load read ended up. A stream record
// is one (event_id, shard_id, sequence_number); the same record twice in
// RAW (two consumers, a copied object) is one record.
type EventAccounting struct {
	// StagingRows counts the rows of staging.events; Records the distinct
	// stream records among them; Transformed those a promoted run has
	// transformed (load_seq up to its to_load_seq).
	StagingRows int64 `json:"staging_rows"`
	Records     int64 `json:"stream_records"`
	Transformed int64 `json:"transformed_records"`
	// Versions counts the distinct (event_id, payload) of the transformed
	// records: each is in CORE or superseded.
	Versions int64 `json:"versions"`
	InCore   int64 `json:"in_core"`
	// Conflicting counts the event ids that arrived with more than one
	// payload; Superseded their versions CORE does not keep (both from
	// meta.event_conflicts: earliest arrival wins).
	Conflicting int64 `json:"conflicting"`
	Superseded  int64 `json:"superseded_versions"`
	// ExactDuplicates counts the transformed records that repeat the id
	// and payload of another (sent more than once: a client's resend, a
	// producer's retry), which CORE's dedup removed: Transformed -
	// Versions.
	ExactDuplicates int64 `json:"exact_duplicates"`
	// Pending counts the records loaded that no promoted run has
	// transformed yet: Records - Transformed.
	Pending int64 `json:"pending"`
	// Quarantined counts the distinct records Load quarantined
	// (staging.quarantine, entity events, rejected), QuarantinedRows their
	// rows, QuarantinedBy the records by kind (KindClockAhead, ...).
	Quarantined     int64   `json:"quarantined_at_load"`
	QuarantinedRows int64   `json:"quarantined_at_load_rows"`
	QuarantinedBy   []Count `json:"quarantined_at_load_by_kind"`
	// RawCopies counts the rows, in staging.events and staging.quarantine,
	// that repeat a stream record already loaded: the same record in RAW
	// twice, not a record sent twice.
	RawCopies int64 `json:"raw_copies"`
}

// Stored counts the records the warehouse keeps: in CORE, superseded
// versions (meta.event_conflicts; RAW keeps them) and the records not
// transformed yet.
func (e EventAccounting) Stored() int64 { return e.InCore + e.Superseded + e.Pending }

// Consistent reports whether every version of the transformed records is
// in CORE or superseded (Versions = InCore + Superseded); false means an
// event left CORE, or CORE holds one the staging rows do not.
func (e EventAccounting) Consistent() bool { return e.Versions == e.InCore+e.Superseded }

// Accounting is where every record the warehouse received ended up.
type Accounting struct {
	// ThroughLoadSeq: the staging rows with load_seq up to it are
	// transformed (the last promoted run's to_load_seq; 0 before one).
	ThroughLoadSeq int64           `json:"through_load_seq"`
	Events         EventAccounting `json:"events"`
	// QuarantinedAtLoad counts the rows Load kept out (staging.quarantine,
	// disposition rejected) by entity: events, users, products, carts.
	// Repaired counts those stored with a value replaced.
	QuarantinedAtLoad []Count `json:"quarantined_at_load"`
	Repaired          int64   `json:"repaired"`
	// Rejected counts meta.rejected_rows by entity: versions of a source
	// id kept out of CORE (conflicting versions of one id in one object).
	Rejected []Count `json:"rejected_rows"`
	// QuarantinedObjects counts the RAW objects Load set aside
	// (meta.quarantined_objects); their records are in no count above.
	QuarantinedObjects int64 `json:"quarantined_objects"`
}

// RejectedRows is the sum of Rejected.
func (a Accounting) RejectedRows() int64 { return sum(a.Rejected) }

// QuarantinedSourceRows counts the source rows (not events) quarantined at
// load.
func (a Accounting) QuarantinedSourceRows() int64 { return sourceRows(a.QuarantinedAtLoad) }

// sourceRows adds up the counts of every entity but events.
func sourceRows(byEntity []Count) int64 {
	var n int64
	for _, c := range byEntity {
		if c.Name != entityEvents {
			n += c.N
		}
	}
	return n
}

// RunAccounting is what one Transform run's staging rows (load_seq in its
// range) left out of CORE.
type RunAccounting struct {
	RunID       int64  `json:"run_id"`
	Status      string `json:"status"`
	FromLoadSeq int64  `json:"from_load_seq"`
	ToLoadSeq   int64  `json:"to_load_seq"`
	// QuarantinedAtLoad counts the range's rows Load kept out, by entity
	// (an event record in RAW twice counts once); QuarantinedEventsBy the
	// event records by kind; Repaired the rows stored with a value
	// replaced.
	QuarantinedAtLoad   []Count `json:"quarantined_at_load"`
	QuarantinedEventsBy []Count `json:"quarantined_events_by_kind"`
	Repaired            int64   `json:"repaired"`
	// ConflictingEvents counts the event ids of the range that arrived
	// with more than one payload (meta.event_conflicts).
	ConflictingEvents int64 `json:"conflicting_events"`
	// Rejected counts meta.rejected_rows by entity. Every promoted run
	// rebuilds the table from all of STAGING, so these are the run's own
	// when it was promoted, and the last promoted run's otherwise.
	Rejected []Count `json:"rejected_rows"`
}

// QuarantinedEvents counts the event records of the range quarantined at
// load.
func (r RunAccounting) QuarantinedEvents() int64 { return sum(r.QuarantinedEventsBy) }

// QuarantinedSourceRows counts the source rows of the range quarantined at
// load.
func (r RunAccounting) QuarantinedSourceRows() int64 { return sourceRows(r.QuarantinedAtLoad) }

// RejectedRows is the sum of Rejected.
func (r RunAccounting) RejectedRows() int64 { return sum(r.Rejected) }

// Accounting reads where every record the warehouse received ended up. It
// only reads, and works on a read-only warehouse: one never migrated reads
// as empty; one that lacks migrations is an error wrapping ErrMigration.
func (w *Warehouse) Accounting(ctx context.Context) (Accounting, error) {
	var a Accounting
	if w.schema.unmigrated {
		return a, nil
	}
	if err := w.schema.readable(); err != nil {
		return a, fmt.Errorf("accounting: %w", err)
	}
	q, err := readSQL("queries/accounting_totals.sql")
	if err != nil {
		return a, err
	}
	e := &a.Events
	if err := w.db.QueryRowContext(ctx, q).Scan(&a.ThroughLoadSeq, &e.StagingRows, &e.Records, &e.Transformed,
		&e.Versions, &e.InCore, &e.Conflicting, &e.Superseded, &a.QuarantinedObjects); err != nil {
		return a, fmt.Errorf("accounting: %w", err)
	}
	e.ExactDuplicates = e.Transformed - e.Versions
	e.Pending = e.Records - e.Transformed
	e.RawCopies = e.StagingRows - e.Records
	qs, err := w.quarantineCounts(ctx, -1, math.MaxInt64)
	if err != nil {
		return a, err
	}
	a.QuarantinedAtLoad, a.Repaired = qs.byEntity, qs.repaired
	e.QuarantinedBy, e.Quarantined, e.QuarantinedRows = qs.eventsBy, sum(qs.eventsBy), qs.eventRows
	e.RawCopies += e.QuarantinedRows - e.Quarantined
	if a.Rejected, err = w.rejectedCounts(ctx); err != nil {
		return a, err
	}
	return a, nil
}

// RunAccounting reads what Transform run runID's staging rows left out of
// CORE. It returns an error wrapping ErrNoRun when no such run is
// recorded, and works on a read-only warehouse as Accounting does.
func (w *Warehouse) RunAccounting(ctx context.Context, runID int64) (RunAccounting, error) {
	r := RunAccounting{RunID: runID}
	if w.schema.unmigrated {
		return r, fmt.Errorf("%w: there is no run %d; no transform run is recorded yet", ErrNoRun, runID)
	}
	if err := w.schema.readable(); err != nil {
		return r, fmt.Errorf("run accounting: %w", err)
	}
	q, err := readSQL("queries/accounting_run.sql")
	if err != nil {
		return r, err
	}
	err = w.db.QueryRowContext(ctx, q, runID).Scan(&r.FromLoadSeq, &r.ToLoadSeq, &r.Status, &r.ConflictingEvents)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return r, w.noRun(ctx, runID)
	case err != nil:
		return r, fmt.Errorf("run accounting: %w", err)
	}
	qs, err := w.quarantineCounts(ctx, r.FromLoadSeq, r.ToLoadSeq)
	if err != nil {
		return r, err
	}
	r.QuarantinedAtLoad, r.QuarantinedEventsBy, r.Repaired = qs.byEntity, qs.eventsBy, qs.repaired
	if r.Rejected, err = w.rejectedCounts(ctx); err != nil {
		return r, err
	}
	return r, nil
}

// quarantineCounts are the rows of staging.quarantine in a load_seq range.
type quarantineCounts struct {
	byEntity  []Count // rejected rows by entity; events counted by record
	eventsBy  []Count // rejected event records by kind
	eventRows int64   // rejected event rows, copies included
	repaired  int64
}

// quarantineCounts reads the rows of staging.quarantine with from <
// load_seq <= to.
func (w *Warehouse) quarantineCounts(ctx context.Context, from, to int64) (quarantineCounts, error) {
	var qc quarantineCounts
	q, err := readSQL("queries/accounting_quarantine.sql")
	if err != nil {
		return qc, err
	}
	rows, err := w.db.QueryContext(ctx, q, from, to)
	if err != nil {
		return qc, fmt.Errorf("accounting: read staging.quarantine: %w", err)
	}
	defer rows.Close()
	entities := map[string]int64{}
	var order []string
	for rows.Next() {
		var entity, kind string
		var n, records int64
		if err := rows.Scan(&entity, &kind, &n, &records); err != nil {
			return qc, fmt.Errorf("accounting: read staging.quarantine: %w", err)
		}
		switch {
		case kind == KindRepaired:
			qc.repaired += n
			continue
		case entity == entityEvents:
			qc.eventsBy = append(qc.eventsBy, Count{kind, records})
			qc.eventRows += n
			n = records
		}
		if _, ok := entities[entity]; !ok {
			order = append(order, entity)
		}
		entities[entity] += n
	}
	if err := rows.Err(); err != nil {
		return qc, fmt.Errorf("accounting: read staging.quarantine: %w", err)
	}
	for _, e := range order {
		qc.byEntity = append(qc.byEntity, Count{e, entities[e]})
	}
	return qc, nil
}

// rejectedCounts reads meta.rejected_rows by entity.
func (w *Warehouse) rejectedCounts(ctx context.Context) ([]Count, error) {
	q, err := readSQL("queries/accounting_rejected.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("accounting: read meta.rejected_rows: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Name, &c.N); err != nil {
			return nil, fmt.Errorf("accounting: read meta.rejected_rows: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// sum adds up counts.
func sum(cs []Count) int64 {
	var n int64
	for _, c := range cs {
		n += c.N
	}
	return n
}

// Of returns the count named name in cs, 0 if none.
func Of(cs []Count, name string) int64 {
	for _, c := range cs {
		if c.Name == name {
			return c.N
		}
	}
	return 0
}
