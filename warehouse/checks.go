package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/shoplake/shoplake/internal/tz"
)

// Severity says what a failing check does to a Transform run.
type Severity string

const (
	// Blocking: the run is not promoted (ErrCheckFailed).
	Blocking Severity = "blocking"
	// Warning: the run is promoted; the result says what was found.
	Warning Severity = "warning"
)

// check is one checks/<name>.sql file: one SELECT returning one row of
// (failures BIGINT, examples VARCHAR, skipped VARCHAR): how many rows
// offend, up to five of them in a stable order, and why the check does not
// apply to this run (NULL when it does). Checks run inside Transform's
// transaction, after the models and before the commit, so they see CORE
// as it would be promoted; they may read transform_run, changed_events (the
// events the run inserts or replaces), affected_days and any table.
type check struct {
	name     string
	severity Severity
	about    string // what a failure means, for the result's detail
}

// checkOrder is the registry of data-quality checks, in the order they run
// and are shown.
var checkOrder = []check{
	{"events_not_null", Blocking, "events lack a required value"},
	{"events_unique_id", Blocking, "event ids written by this run are in core.events more than once"},
	{"events_accepted_types", Blocking, "events have an unknown event_type"},
	{"orders_accepted_status", Blocking, "orders have a status not in (completed, cancelled, refunded, pending)"},
	{"products_price_valid", Blocking, "products have a negative price"},
	{"order_items_orders_ri", Blocking, "order lines belong to no order"},
	{"sessions_cover_events", Blocking, "core.sessions does not count every event of core.events (CORE written outside the models?): run shoplake transform --full-refresh"},
	{"order_items_products_ri", Warning, "order lines name no known product (no price)"},
	{"events_products_ri", Warning, "events name no known product"},
	{"snapshots_not_empty", Blocking, "snapshots came back empty after one with rows (an upstream outage answering []?); nothing is promoted"},
	{"carts_not_empty", Warning, "the latest date's carts came back empty after a date with carts"},
	{"products_unique_in_snapshot", Warning, "products listed twice in one snapshot"},
	{"events_unique_payload", Warning, "event ids arrived with different payloads: CORE keeps the earliest arrival, RAW keeps every version (see meta.event_conflicts)"},
	{"events_freshness", Warning, "the newest event arrived more than a day before as_of"},
	{"events_volume", Warning, "the run's event volume is outside half to twice the recent norm"},
	{"purchases_orphan", Warning, "purchase events name no order"},
	{"orders_untracked", Warning, "orders have no purchase event (tracking loss)"},
	{"backfill_pending", Warning, "days touched by late events are not rebuilt in daily_kpis and session_funnel (more than the run's backfill limit): run shoplake transform --backfill"},
	{"raw_objects_quarantined", Warning, "RAW objects set aside by the load, not loaded: replace or remove each (see meta.quarantined_objects, shoplake verify)"},
}

// CheckResult is one check's outcome in one run (a row of
// meta.check_results).
type CheckResult struct {
	RunID    int64    `json:"run_id"`
	Name     string   `json:"check"`
	Severity Severity `json:"severity"`
	// Status is pass, warn (a warning check found rows), fail (a blocking
	// check found rows) or skipped.
	Status   string `json:"status"`
	Failures int64  `json:"failures"`
	Detail   string `json:"detail"`
}

// loadChecks renders every check of checkOrder for d in zone.
func loadChecks(d Dialect, zone *tz.Zone) (map[string]string, error) {
	out := map[string]string{}
	for _, c := range checkOrder {
		text, err := renderSQL(d, zone, "checks/"+c.name+".sql")
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", c.name, err)
		}
		// A check is one SELECT; the dialect adapts it as it adapts a
		// model's statement (Redshift: string_agg, DISTINCT FROM).
		stmts := d.Adapt(text)
		if len(stmts) != 1 {
			return nil, fmt.Errorf("check %s: the %s dialect makes %d statements of it, want 1", c.name, d.Name(), len(stmts))
		}
		out[c.name] = stmts[0]
	}
	return out, nil
}

// runChecks runs every check on conn and returns their results.
func (w *Warehouse) runChecks(ctx context.Context, conn *sql.Conn, runID int64) ([]CheckResult, error) {
	out := make([]CheckResult, 0, len(checkOrder))
	for _, c := range checkOrder {
		var failures int64
		var examples, skipped sql.NullString
		if err := conn.QueryRowContext(ctx, w.checks[c.name]).Scan(&failures, &examples, &skipped); err != nil {
			return nil, fmt.Errorf("check %s: %w", c.name, err)
		}
		r := CheckResult{RunID: runID, Name: c.name, Severity: c.severity, Failures: failures}
		switch {
		case skipped.Valid:
			r.Status, r.Detail = "skipped", skipped.String
		case failures == 0:
			r.Status, r.Detail = "pass", examples.String
		default:
			r.Status = "warn"
			if c.severity == Blocking {
				r.Status = "fail"
			}
			r.Detail = fmt.Sprintf("%d: %s", failures, c.about)
			if examples.Valid && examples.String != "" {
				r.Detail += " (e.g. " + examples.String + ")"
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// failed reports whether a blocking check failed.
func failed(rs []CheckResult) bool {
	for _, r := range rs {
		if r.Status == "fail" {
			return true
		}
	}
	return false
}

// blockingSummary names each failing blocking check and why.
func blockingSummary(rs []CheckResult) string {
	var parts []string
	for _, r := range rs {
		if r.Status == "fail" {
			parts = append(parts, fmt.Sprintf("check %s: %s", r.Name, r.Detail))
		}
	}
	return strings.Join(parts, "; ")
}
