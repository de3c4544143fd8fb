// Package tui is `shoplake tui`: a bubbletea program that replays a
// scenario tick by tick on the simulated clock and shows what every stage
// of the pipeline does. It drives a scenarios.Replay, the same runner as
// `shoplake scenario run`, and adds no second way to drive the pipeline.
package tui

import (
	"time"

	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// view is what the panels show: a copy of the replay's state, read in a
// command after each tick. Panels render it and do no I/O.
type view struct {
	st    scenarios.Status
	live  []scenarios.CheckResult // the invariants checked as the replay goes
	marts martsData
}

// martsData is the marts as the warehouse has them after the last build,
// and the oracle's as of the same day (nil slices before the first build).
type martsData struct {
	AsOf            time.Time
	KPIs            []warehouse.DailyKPI
	OracleKPIs      []sim.DailyKPI
	Funnel          []warehouse.FunnelStep
	OracleFunnel    []sim.FunnelStep
	Retention       []warehouse.CohortRetentionRow
	OracleRetention []sim.CohortRetentionRow
	LTV             []warehouse.CohortLTVRow
	OracleLTV       []sim.CohortLTVRow
	Revenue         []warehouse.RevenueDailyRow
	OracleRevenue   []sim.RevenueDailyRow
	Traffic         []warehouse.TrafficSourceRow
	OracleTraffic   []sim.TrafficSourceRow
	Products        []warehouse.ProductSalesRow
	OracleProducts  []sim.ProductSalesRow
}
