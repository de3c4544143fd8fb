package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/shoplake/shoplake/internal/tz"
)

// modelKind says how Transform runs a model and what it counts.
type modelKind int

const (
	// helperModel builds a temporary table that later models read.
	helperModel modelKind = iota
	// mergeModel builds a temporary source table, then MERGEs it into a CORE
	// table (Dialect.Merge counts the actions).
	mergeModel
	// rebuildModel deletes and re-inserts every row of a MARTS table, on
	// every run.
	rebuildModel
	// partitionModel rebuilds the dates of a MARTS table that the run
	// touches: it deletes and re-inserts the rows whose date is in the
	// temporary table affected_days (models/affected_days.sql), which holds
	// every date on a full refresh.
	partitionModel
)

// model is one models/<name>.sql file, rendered for the dialect.
type model struct {
	name   string
	kind   modelKind
	schema string // target table (merge, rebuild and partition models)
	table  string
	temp   string // the temporary table the model creates, dropped after the run
	sql    string
	stmts  []string // sql split into statements
}

// modelOrder is the registry of models, in the fixed dependency order in
// which Transform runs them. A model is registered by one line here and its
// file models/<name>.sql.
var modelOrder = []model{
	{name: "source_versions", kind: helperModel, temp: "new_source_objects"},
	{name: "empty_snapshots", kind: helperModel, temp: "empty_snapshots"},
	{name: "core_products", kind: mergeModel, schema: "core", table: "products", temp: "src_products"},
	{name: "core_product_prices", kind: mergeModel, schema: "core", table: "product_prices", temp: "src_product_prices"},
	{name: "core_users", kind: mergeModel, schema: "core", table: "users", temp: "src_users"},
	{name: "chosen_carts", kind: helperModel, temp: "chosen_carts"},
	{name: "order_lines", kind: helperModel, temp: "order_lines"},
	{name: "order_status_observed", kind: helperModel, temp: "order_status_observed"},
	{name: "core_orders", kind: mergeModel, schema: "core", table: "orders", temp: "src_orders"},
	{name: "core_order_items", kind: mergeModel, schema: "core", table: "order_items", temp: "src_order_items"},
	{name: "core_order_refunds", kind: mergeModel, schema: "core", table: "order_refunds", temp: "src_order_refunds"},
	{name: "core_order_status_history", kind: mergeModel, schema: "core", table: "order_status_history", temp: "src_order_status_history"},
	{name: "core_events", kind: mergeModel, schema: "core", table: "events", temp: "src_events"},
	{name: "core_sessions", kind: mergeModel, schema: "core", table: "sessions", temp: "src_sessions"},
	{name: "core_session_products", kind: mergeModel, schema: "core", table: "session_products", temp: "src_session_products"},
	{name: "affected_days", kind: helperModel, temp: "affected_days"},
	{name: "marts_daily_kpis", kind: partitionModel, schema: "marts", table: "daily_kpis"},
	{name: "marts_session_funnel", kind: partitionModel, schema: "marts", table: "session_funnel"},
	{name: "marts_traffic_sources", kind: partitionModel, schema: "marts", table: "traffic_sources"},
	{name: "marts_checkout_abandonment", kind: partitionModel, schema: "marts", table: "checkout_abandonment"},
	{name: "marts_horizon", kind: helperModel, temp: "run_params"},
	{name: "marts_cohort_retention", kind: rebuildModel, schema: "marts", table: "cohort_retention"},
	{name: "marts_customer_ltv", kind: rebuildModel, schema: "marts", table: "customer_ltv"},
	{name: "marts_cohort_ltv", kind: rebuildModel, schema: "marts", table: "cohort_ltv"},
	{name: "marts_product_conversion", kind: rebuildModel, schema: "marts", table: "product_conversion"},
	{name: "marts_category_conversion", kind: rebuildModel, schema: "marts", table: "category_conversion"},
	{name: "marts_purchase_reconciliation", kind: rebuildModel, schema: "marts", table: "purchase_reconciliation"},
	{name: "marts_revenue_daily", kind: rebuildModel, schema: "marts", table: "revenue_daily"},
	{name: "marts_product_sales", kind: rebuildModel, schema: "marts", table: "product_sales"},
	{name: "marts_category_sales", kind: rebuildModel, schema: "marts", table: "category_sales"},
	// orders_daily reads marts.customer_ltv (first orders) and counts the
	// orders of marts.daily_kpis: after both.
	{name: "marts_orders_daily", kind: rebuildModel, schema: "marts", table: "orders_daily"},
	{name: "marts_order_attribution", kind: rebuildModel, schema: "marts", table: "order_attribution"},
	{name: "marts_traffic_by_hour", kind: rebuildModel, schema: "marts", table: "traffic_by_hour"},
	{name: "marts_active_users", kind: rebuildModel, schema: "marts", table: "active_users"},
}

// runTemps are temporary tables of a run that no model declares as its
// temp: transform_run (transform.go), source_object_order
// (source_versions.sql), changed_events and changed_sessions
// (core_events.sql), changed_order_days (core_orders.sql), backfill_days
// (affected_days.sql).
var runTemps = []string{"transform_run", "source_object_order", "changed_events", "changed_sessions", "changed_order_days", "backfill_days"}

// loadModels reads and renders every model in modelOrder with d's template
// functions and zone's, and splits it into statements.
func loadModels(d Dialect, zone *tz.Zone) ([]model, error) {
	out := make([]model, 0, len(modelOrder))
	for _, m := range modelOrder {
		text, err := renderSQL(d, zone, "models/"+m.name+".sql")
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.name, err)
		}
		m.sql = text
		m.stmts = splitStatements(text)
		out = append(out, m)
	}
	return out, nil
}

// renderSQL reads an embedded SQL file and executes it as a template with
// d's functions and the business time zone's:
//
//	{{local_date "expr"}}  the date in zone of the TIMESTAMP (UTC) expr
//	{{local_ts "expr"}}    its wall-clock time in zone (for hours, weeks, months)
//
// In UTC they are CAST(expr AS DATE) and expr.
func renderSQL(d Dialect, zone *tz.Zone, name string) (string, error) {
	text, err := readSQL(name)
	if err != nil {
		return "", err
	}
	funcs := d.Funcs()
	funcs["local_date"] = zone.SQLDate
	funcs["local_ts"] = zone.SQLLocal
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

// MergeStats counts what one MERGE did to a CORE table. Unchanged rows are
// source rows that matched a target row with equal values: they are not
// rewritten and not counted as updated.
type MergeStats struct {
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Deleted   int64 `json:"deleted"`
}

// TransformMode says what a Transform run processes.
type TransformMode string

const (
	// Incremental (the default) merges the staging rows loaded since the
	// last promoted run and rebuilds the mart partitions (dates) they touch.
	// Final dates (before the previous watermark's date) that late events
	// touch are queued for backfill, and the run rebuilds the oldest
	// TransformOptions.BackfillLimit queued dates: the marts are consistent
	// after the run unless more dates wait than the limit.
	Incremental TransformMode = "incremental"
	// Backfill is an incremental run that rebuilds every queued date,
	// whatever the limit, and marks the queue done.
	Backfill TransformMode = "backfill"
	// FullRefresh empties CORE and MARTS and rebuilds them from all of
	// STAGING; it gives the same tables as the incremental runs (after their
	// backfills) and clears the queue.
	FullRefresh TransformMode = "full_refresh"
)

// DefaultAllowedLateness is the allowed lateness when TransformOptions
// leaves it zero: a day stays open for events until the latest event time
// seen is a day past its end.
const DefaultAllowedLateness = 24 * time.Hour

// DefaultBackfillLimit is how many queued dates an incremental run rebuilds
// when TransformOptions leaves BackfillLimit zero: a month of days, so that
// a run after late data from a long outage stays bounded.
const DefaultBackfillLimit = 31

// TransformOptions are the parameters of one Transform run.
type TransformOptions struct {
	// AsOf is the exclusive end of the observed range: the instant up to
	// which the sources are complete (the end of the last ingested day).
	// Marts whose definitions need a horizon (docs/MARTS.md, "as_of") use
	// it; it must come from the run, never from max(event_time).
	AsOf time.Time
	// Mode is Incremental when empty.
	Mode TransformMode
	// AllowedLateness sets the watermark: max(event_time) - AllowedLateness.
	// Zero means DefaultAllowedLateness.
	AllowedLateness time.Duration
	// AcceptEmpty names the entities (users, products, carts) whose latest
	// snapshot may be empty after one with rows: the snapshots_not_empty
	// check passes them instead of blocking the run (carts_not_empty
	// instead of warning). The acceptance is recorded with the run
	// (meta.transform_runs.accepted_empty) and covers the snapshots loaded
	// up to it, in later runs and full refreshes too. An accepted empty
	// products snapshot withdraws every product (is_active false).
	AcceptEmpty []string
	// BackfillLimit is how many queued dates (meta.backfill_queue), oldest
	// first, an Incremental run rebuilds; the rest wait for the next run or
	// a Backfill, and the warning check backfill_pending names them. Zero
	// means DefaultBackfillLimit; negative is refused.
	BackfillLimit int
}

// VolumeEntities are the FakeStore entities whose snapshots the volume
// checks compare, and that TransformOptions.AcceptEmpty may name.
var VolumeEntities = []string{"users", "products", "carts"}

// acceptedEmpty is AcceptEmpty sorted, without repeats, joined by commas;
// "" when empty.
func (o TransformOptions) acceptedEmpty() string {
	seen := map[string]bool{}
	var out []string
	for _, e := range VolumeEntities {
		for _, a := range o.AcceptEmpty {
			if a == e && !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// withDefaults fills the options left zero: Mode Incremental,
// AllowedLateness DefaultAllowedLateness, BackfillLimit
// DefaultBackfillLimit.
func (o TransformOptions) withDefaults() TransformOptions {
	if o.Mode == "" {
		o.Mode = Incremental
	}
	if o.AllowedLateness == 0 {
		o.AllowedLateness = DefaultAllowedLateness
	}
	if o.BackfillLimit == 0 {
		o.BackfillLimit = DefaultBackfillLimit
	}
	return o
}

// TransformStats counts what one Transform did.
type TransformStats struct {
	RunID int64         `json:"run_id"`
	Mode  TransformMode `json:"mode"`
	// Status is "promoted", "blocked" when a blocking check failed, or
	// "failed" when the run returned another error (Error says which).
	Status string `json:"status"`
	// Error is why a failed run failed; empty otherwise.
	Error string                `json:"error,omitempty"`
	Core  map[string]MergeStats `json:"core"`  // "core.users" -> counts
	Marts map[string]int64      `json:"marts"` // "marts.daily_kpis" -> rows after the run
	// FromLoadSeq, ToLoadSeq: staging rows with From < load_seq <= To were
	// processed.
	FromLoadSeq int64 `json:"from_load_seq"`
	ToLoadSeq   int64 `json:"to_load_seq"`
	// EventsIn counts the events inserted or replaced in CORE; LateEvents
	// those of them whose day was already final.
	EventsIn   int64 `json:"events_in"`
	LateEvents int64 `json:"late_events"`
	// DaysRebuilt counts the dates whose partitions were rebuilt;
	// DaysQueued the final dates queued for backfill by this run;
	// DaysBackfilled the queued dates (of this run or earlier ones) it
	// rebuilt; DaysPending the dates still queued after it (stale in
	// daily_kpis and session_funnel until a run rebuilds them).
	DaysRebuilt    int64 `json:"days_rebuilt"`
	DaysQueued     int64 `json:"days_queued"`
	DaysBackfilled int64 `json:"days_backfilled"`
	DaysPending    int64 `json:"days_pending"`
	// Watermark is max(event_time) - allowed lateness after the run (nil
	// before any event); dates before its date are final.
	Watermark *time.Time    `json:"watermark"`
	Checks    []CheckResult `json:"checks"`
}

// errBlocked stops the transaction of a run whose blocking check failed.
var errBlocked = errors.New("blocked")

// Transform promotes STAGING to CORE and rebuilds MARTS, in one
// transaction: either every table moves or none does.
//
// Incremental (TransformOptions.Mode): events are merged from the staging
// rows loaded since the last promoted run, deduplicated inside the batch
// and against CORE (models/core_events.sql); FakeStore entities, which are
// small snapshots, are recomputed from all of STAGING and MERGEd so that
// only rows whose values differ are written. Partition marts rebuild only
// the dates the run touches (models/affected_days.sql); the other marts are
// rebuilt in full. A watermark (max event time - allowed lateness) marks
// days final: late events for a final day are kept in CORE, flagged in
// meta.late_events, and the day is queued in meta.backfill_queue; the run
// rebuilds the oldest TransformOptions.BackfillLimit queued days (a Backfill
// all of them), so the marts are consistent after the run unless the queue
// is longer. A FullRefresh rebuilds everything and gives the same tables.
//
// Between the models and the commit, the data-quality checks run
// (checks.go). If a blocking check fails, the transaction is rolled back:
// nothing is promoted, STAGING keeps every row, the next run retries them;
// the run and the check results are recorded (meta.transform_runs,
// meta.check_results) and the error wraps ErrCheckFailed and names each
// failing check and why.
//
// If the run fails otherwise (a model's error, a cancelled ctx), the
// transaction is rolled back too, and the run is recorded as failed, phase
// transform, with the error text and the clock's time, in a transaction of
// its own (runs.go); the returned stats have Status "failed". Only a
// failure to read the warehouse's state, before the run has an id, is not
// recorded.
//
// Impossible options are refused before anything runs, with an error
// wrapping ErrInvalidOption that says what a valid value is: a negative
// AllowedLateness, an AsOf at or before the earliest data loaded.
//
// Transform is idempotent: a second run with no new staging rows changes no
// table (same TableHashes).
func (w *Warehouse) Transform(ctx context.Context, opts TransformOptions) (TransformStats, error) {
	switch opts.Mode {
	case "", Incremental, Backfill, FullRefresh:
	default:
		return TransformStats{}, fmt.Errorf("transform: %w: unknown mode %q (want %s, %s or %s)",
			ErrInvalidOption, opts.Mode, Incremental, Backfill, FullRefresh)
	}
	opts = opts.withDefaults()
	stats := TransformStats{Mode: opts.Mode, Core: map[string]MergeStats{}, Marts: map[string]int64{}}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return stats, fmt.Errorf("transform: %w", err)
	}
	defer conn.Close()
	if err := w.checkOptions(ctx, conn, opts); err != nil {
		return stats, fmt.Errorf("transform: %w", err)
	}
	if err := w.checkTimeZone(ctx, conn, opts); err != nil {
		return stats, fmt.Errorf("transform: %w", err)
	}

	st, err := w.transformState(ctx, conn)
	if err != nil {
		return stats, err
	}
	stats.RunID, stats.ToLoadSeq = st.nextRun, st.maxLoadSeq
	prevMax, prevWM := st.maxEventTime, st.watermark
	if opts.Mode == FullRefresh {
		prevMax, prevWM = nil, nil
	} else {
		stats.FromLoadSeq = st.promotedLoadSeq
	}
	var rec runRecord
	err = inTx(ctx, conn, func() error {
		if err := w.setRunParams(ctx, conn, opts); err != nil {
			return err
		}
		if err := w.setTransformRun(ctx, conn, stats, opts, prevWM); err != nil {
			return err
		}
		if err := w.recordTimeZone(ctx, conn); err != nil {
			return err
		}
		if opts.Mode == FullRefresh {
			if err := w.emptyTargets(ctx, conn); err != nil {
				return err
			}
		}
		for _, m := range w.models {
			if err := w.runModel(ctx, conn, m, &stats); err != nil {
				return w.explainOutOfMemory(fmt.Errorf("model %s: %w", m.name, err))
			}
		}
		if rec, err = w.runStats(ctx, conn, &stats, opts, prevMax, prevWM); err != nil {
			return err
		}
		if stats.Checks, err = w.runChecks(ctx, conn, stats.RunID); err != nil {
			return err
		}
		if failed(stats.Checks) {
			return errBlocked
		}
		stats.Status = StatusPromoted
		rec.status, rec.finishedAt = stats.Status, w.now()
		if err := w.recordRun(ctx, conn, rec, stats.Checks); err != nil {
			return err
		}
		return w.dropTemps(ctx, conn)
	})
	if errors.Is(err, errBlocked) {
		stats.Status = StatusBlocked
		rec.status, rec.errText, rec.finishedAt = stats.Status, blockingSummary(stats.Checks), w.now()
		// The run's own transaction is rolled back; its record is written
		// in a transaction of its own.
		if err := inTx(ctx, conn, func() error { return w.recordRun(ctx, conn, rec, stats.Checks) }); err != nil {
			return stats, fmt.Errorf("transform: record blocked run %d: %w", stats.RunID, err)
		}
		_ = w.dropTemps(ctx, conn)
		return stats, fmt.Errorf("transform: run %d not promoted: %w: %s", stats.RunID, ErrCheckFailed, blockingSummary(stats.Checks))
	}
	if err != nil {
		// Rolled back. The failure is recorded even when ctx is what
		// failed.
		rctx := context.WithoutCancel(ctx)
		_ = w.dropTemps(rctx, conn)
		out := TransformStats{RunID: stats.RunID, Mode: opts.Mode, Status: StatusFailed, Error: err.Error(),
			FromLoadSeq: stats.FromLoadSeq, ToLoadSeq: stats.ToLoadSeq}
		fail := w.failedRecord(stats.RunID, opts, stats.FromLoadSeq, stats.ToLoadSeq, PhaseTransform, err)
		if rerr := inTx(rctx, conn, func() error { return w.recordRun(rctx, conn, fail, nil) }); rerr != nil {
			err = errors.Join(err, fmt.Errorf("record failed run %d: %w", stats.RunID, rerr))
		}
		return out, fmt.Errorf("transform: run %d failed: %w", stats.RunID, err)
	}
	return stats, nil
}

// transformState is what a run starts from.
type transformState struct {
	nextRun, maxLoadSeq, promotedLoadSeq int64
	maxEventTime, watermark              *time.Time
}

func (w *Warehouse) transformState(ctx context.Context, conn *sql.Conn) (transformState, error) {
	var st transformState
	q, err := readSQL("queries/transform_state.sql")
	if err != nil {
		return st, err
	}
	var promoted sql.NullInt64
	var maxEv, wm sql.NullTime
	if err := conn.QueryRowContext(ctx, q).Scan(&st.nextRun, &st.maxLoadSeq, &promoted, &maxEv, &wm); err != nil {
		return st, fmt.Errorf("transform: read state: %w", err)
	}
	st.promotedLoadSeq = promoted.Int64
	st.maxEventTime, st.watermark = optTime(maxEv), optTime(wm)
	return st, nil
}

// setTransformRun creates the temporary table transform_run with the run's
// parameters (bound, never formatted).
func (w *Warehouse) setTransformRun(ctx context.Context, conn *sql.Conn, stats TransformStats, opts TransformOptions, prevWM *time.Time) error {
	create, err := readSQL("queries/transform_run_create.sql")
	if err != nil {
		return err
	}
	insert, err := readSQL("queries/transform_run_insert.sql")
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.dialect.QuoteIdent("transform_run")); err != nil {
		return fmt.Errorf("transform run: %w", err)
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("transform run: %w", err)
	}
	if _, err := conn.ExecContext(ctx, insert, stats.RunID, string(opts.Mode), nullTime(opts.AsOf), stats.FromLoadSeq,
		stats.ToLoadSeq, timeOrNil(prevWM), int64(opts.AllowedLateness/time.Second), opts.acceptedEmpty(), int64(opts.BackfillLimit),
		w.localDateOrNil(prevWM)); err != nil {
		return fmt.Errorf("transform run: %w", err)
	}
	return nil
}

// emptyTargets deletes every row of every table a model maintains, for a
// full refresh.
func (w *Warehouse) emptyTargets(ctx context.Context, conn *sql.Conn) error {
	for _, m := range w.models {
		if m.kind == helperModel {
			continue
		}
		if _, err := conn.ExecContext(ctx, "DELETE FROM "+qualified(w.dialect, m.schema, m.table)); err != nil {
			return fmt.Errorf("full refresh: empty %s.%s: %w", m.schema, m.table, err)
		}
	}
	return nil
}

// runModel runs one model and adds its counts to stats.
func (w *Warehouse) runModel(ctx context.Context, conn *sql.Conn, m model, stats *TransformStats) error {
	var s MergeStats
	merged := false
	for _, stmt := range m.stmts {
		if statementKind(stmt) == "MERGE" {
			ms, err := w.dialect.Merge(ctx, conn, stmt)
			if err != nil {
				return err
			}
			s.Inserted += ms.Inserted
			s.Updated += ms.Updated
			s.Deleted += ms.Deleted
			merged = true
			continue
		}
		for _, a := range w.dialect.Adapt(stmt) {
			if _, err := conn.ExecContext(ctx, a); err != nil {
				return err
			}
		}
	}
	switch m.kind {
	case rebuildModel, partitionModel:
		n, err := countRows(ctx, conn, qualified(w.dialect, m.schema, m.table))
		if err != nil {
			return err
		}
		stats.Marts[m.schema+"."+m.table] = n
	case mergeModel:
		if !merged {
			return errors.New("merge model without a MERGE statement")
		}
		src, err := countRows(ctx, conn, w.dialect.QuoteIdent(m.temp))
		if err != nil {
			return err
		}
		s.Unchanged = src - s.Inserted - s.Updated
		stats.Core[m.schema+"."+m.table] = s
	}
	return nil
}

// runRecord is one row of meta.transform_runs.
type runRecord struct {
	runID                                        int64
	mode, status                                 string
	asOf                                         any
	from, to, latenessS                          int64
	maxEventTime, watermark                      any
	eventsIn, lateEvents, daysRebuilt, daysQueed int64
	phase                                        Phase
	errText                                      string // "" is NULL
	finishedAt                                   any    // time.Time or nil
	acceptedEmpty                                string // "" is NULL
}

// runStats reads what the models did and computes the new watermark.
func (w *Warehouse) runStats(ctx context.Context, conn *sql.Conn, stats *TransformStats, opts TransformOptions, prevMax, prevWM *time.Time) (runRecord, error) {
	q, err := readSQL("queries/transform_run_stats.sql")
	if err != nil {
		return runRecord{}, err
	}
	var batchMax sql.NullTime
	if err := conn.QueryRowContext(ctx, q).Scan(&stats.EventsIn, &batchMax, &stats.LateEvents, &stats.DaysRebuilt, &stats.DaysQueued,
		&stats.DaysBackfilled, &stats.DaysPending); err != nil {
		return runRecord{}, fmt.Errorf("run stats: %w", err)
	}
	maxEv := prevMax
	if bm := optTime(batchMax); bm != nil && (maxEv == nil || bm.After(*maxEv)) {
		maxEv = bm
	}
	wm := prevWM
	if maxEv != nil {
		if c := maxEv.Add(-opts.AllowedLateness); wm == nil || c.After(*wm) {
			wm = &c
		}
	}
	stats.Watermark = wm
	return runRecord{
		runID: stats.RunID, mode: string(stats.Mode), asOf: nullTime(opts.AsOf),
		from: stats.FromLoadSeq, to: stats.ToLoadSeq, latenessS: int64(opts.AllowedLateness / time.Second),
		maxEventTime: timeOrNil(maxEv), watermark: timeOrNil(wm),
		eventsIn: stats.EventsIn, lateEvents: stats.LateEvents, daysRebuilt: stats.DaysRebuilt, daysQueed: stats.DaysQueued,
		phase: PhaseTransform, acceptedEmpty: opts.acceptedEmpty(),
	}, nil
}

// recordRun writes the run's row and its check results.
func (w *Warehouse) recordRun(ctx context.Context, conn *sql.Conn, r runRecord, checks []CheckResult) error {
	q, err := readSQL("queries/transform_run_record.sql")
	if err != nil {
		return err
	}
	var errText, accepted any
	if r.errText != "" {
		errText = r.errText
	}
	if r.acceptedEmpty != "" {
		accepted = r.acceptedEmpty
	}
	if _, err := conn.ExecContext(ctx, q, r.runID, r.mode, r.status, r.asOf, r.from, r.to, r.latenessS,
		r.maxEventTime, r.watermark, r.eventsIn, r.lateEvents, r.daysRebuilt, r.daysQueed,
		string(r.phase), errText, r.finishedAt, accepted); err != nil {
		return fmt.Errorf("record run %d: %w", r.runID, err)
	}
	rows := make([][]any, 0, len(checks))
	for _, c := range checks {
		rows = append(rows, []any{r.runID, c.Name, string(c.Severity), c.Status, c.Failures, c.Detail})
	}
	return w.dialect.Insert(ctx, conn, "meta", "check_results",
		[]string{"run_id", "check_name", "severity", "status", "failures", "detail"}, rows)
}

// dropTemps drops the run's temporary tables.
func (w *Warehouse) dropTemps(ctx context.Context, conn *sql.Conn) error {
	names := append([]string(nil), runTemps...)
	for _, m := range w.models {
		if m.temp != "" {
			names = append(names, m.temp)
		}
	}
	for _, n := range names {
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.dialect.QuoteIdent(n)); err != nil {
			return fmt.Errorf("drop %s: %w", n, err)
		}
	}
	return nil
}

// countRows returns count(*) of a table whose name is already quoted.
func countRows(ctx context.Context, conn *sql.Conn, quotedTable string) (int64, error) {
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+quotedTable).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", quotedTable, err)
	}
	return n, nil
}

// nullTime is t in UTC, or nil (SQL NULL) when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// localDateOrNil is the date of t in the business time zone, as text
// (YYYY-MM-DD), or nil.
func (w *Warehouse) localDateOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return w.opts.TimeZone.Date(*t).Format(time.DateOnly)
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func optTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
