package dashboard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/shoplake/shoplake/warehouse"
)

// Snapshot is what GET /api/snapshot answers: the marts and the health of
// the pipeline as read at ReadAt. Every mart row is the warehouse reader's
// row as it is (money exact, rates as the four-decimal strings the marts
// hold); JSON names are the marts' columns.
type Snapshot struct {
	// ReadAt is when the data was read; zero before the first good read.
	ReadAt time.Time `json:"read_at"`
	// Stale is set while reads fail: the data is the last good read's.
	Stale *Staleness `json:"stale,omitempty"`
	// Source is Options.Source.
	Source string `json:"source"`
	// RefreshSeconds is how often the page polls.
	RefreshSeconds float64 `json:"refresh_seconds"`
	Marts
	Health Health `json:"health"`
}

// Staleness says why the snapshot is not fresh.
type Staleness struct {
	// Since is the first failed read after the last good one.
	Since time.Time `json:"since"`
	// Reason is the latest failure.
	Reason string `json:"reason"`
	// Busy is set when another process is writing the warehouse (a
	// transform): the next read after it finishes succeeds.
	Busy bool `json:"busy"`
}

// Marts are the marts the page shows, each whole, in its reader's order.
type Marts struct {
	DailyKPIs       []warehouse.DailyKPI           `json:"daily_kpis"`
	RevenueDaily    []warehouse.RevenueDailyRow    `json:"revenue_daily"`
	OrdersDaily     []warehouse.OrdersDailyRow     `json:"orders_daily"`
	SessionFunnel   []warehouse.FunnelStep         `json:"session_funnel"`
	CohortRetention []warehouse.CohortRetentionRow `json:"cohort_retention"`
	CohortLTV       []warehouse.CohortLTVRow       `json:"cohort_ltv"`
	// TopProducts and TopCategories are product_sales and category_sales
	// summed over every date (warehouse.TopProducts), the first TopN.
	TopProducts    []warehouse.ProductTotal      `json:"top_products"`
	TopCategories  []warehouse.CategoryTotal     `json:"top_categories"`
	Reconciliation []warehouse.ReconciliationRow `json:"purchase_reconciliation"`

	CheckoutAbandonment []warehouse.AbandonmentRow `json:"checkout_abandonment"`
	// ActiveUsers is marts.active_users from its first date with an active
	// user (dau > 0) on: the mart opens with the sign-ups of the year
	// before the first session (docs/MARTS.md §17), which EarlierSignups
	// sums. Every row when no date has an active user.
	ActiveUsers    []warehouse.ActiveUsersRow `json:"active_users"`
	EarlierSignups int64                      `json:"earlier_signups"`
	// TrafficChannels is traffic_sources summed over every date by
	// channel (warehouse.TrafficByChannel).
	TrafficChannels []warehouse.ChannelTraffic `json:"traffic_channels"`
	// TrafficHours is traffic_by_hour summed over every date by hour:
	// 24 rows (warehouse.TrafficHours).
	TrafficHours []warehouse.HourTraffic `json:"traffic_hours"`
	// AttributionChannels is order_attribution summed over every date by
	// channel, both models (warehouse.AttributionByChannel).
	AttributionChannels []warehouse.ChannelAttribution `json:"attribution_channels"`
	// TopCustomers are the first TopN rows of customer_ltv by revenue to
	// date (warehouse.TopCustomers), of Customers rows.
	TopCustomers []warehouse.CustomerLTV `json:"top_customers"`
	Customers    int                     `json:"customers"`
	// TopProductConversion and TopCategoryConversion are product_conversion
	// and category_conversion summed over every date, the first TopN by
	// view sessions (warehouse.TopProductConversion), of
	// ConversionProducts products and ConversionCategories categories.
	TopProductConversion  []warehouse.ProductConversionTotal  `json:"top_product_conversion"`
	ConversionProducts    int                                 `json:"conversion_products"`
	TopCategoryConversion []warehouse.CategoryConversionTotal `json:"top_category_conversion"`
	ConversionCategories  int                                 `json:"conversion_categories"`
}

// TopN is how many products, categories and customers the page lists.
const TopN = 10

// Health is the pipeline's state as the warehouse records it.
type Health struct {
	Freshness warehouse.Freshness `json:"freshness"`
	// LastRun is the latest transform attempt and its check results
	// (RunID 0: none yet).
	LastRun warehouse.CheckRun `json:"last_run"`
	// Accounting is what the warehouse kept out of CORE (quarantined,
	// rejected, set aside); nil before the first run.
	Accounting *warehouse.Accounting `json:"accounting"`
	// KeptOut sums Accounting as the page shows it; nil with Accounting.
	KeptOut *KeptOut `json:"kept_out"`
	Lag     Lag      `json:"consumer_lag"`
}

// KeptOut is what the warehouse kept out of CORE, over every run: the
// totals of warehouse.Accounting.
type KeptOut struct {
	// QuarantinedEvents counts the stream records quarantined at load
	// (Accounting.Events.Quarantined).
	QuarantinedEvents int64 `json:"quarantined_events"`
	// QuarantinedSourceRows counts the source rows (users, products,
	// carts) quarantined at load.
	QuarantinedSourceRows int64 `json:"quarantined_source_rows"`
	// RejectedRows counts the source rows a model rejected.
	RejectedRows int64 `json:"rejected_rows"`
	// ObjectsSetAside counts the RAW objects Load could not read.
	ObjectsSetAside int64 `json:"objects_set_aside"`
	// ConflictingEvents counts the event ids that arrived with more than
	// one payload (CORE keeps the first).
	ConflictingEvents int64 `json:"conflicting_events"`
}

// keptOut sums a.
func keptOut(a warehouse.Accounting) *KeptOut {
	return &KeptOut{QuarantinedEvents: a.Events.Quarantined, QuarantinedSourceRows: a.QuarantinedSourceRows(),
		RejectedRows: a.RejectedRows(), ObjectsSetAside: a.QuarantinedObjects, ConflictingEvents: a.Events.Conflicting}
}

// Lag is the stream consumer's progress, when it can be read.
type Lag struct {
	// Available is false when the dashboard cannot know the lag; Why says
	// why.
	Available bool   `json:"available"`
	Why       string `json:"why,omitempty"`
	// Shards are the consumer's checkpoints, one per shard.
	Shards []ShardLag `json:"shards,omitempty"`
}

// ShardLag is one shard's checkpoint.
type ShardLag struct {
	ShardID string `json:"shard_id"`
	// Checkpoint is the last sequence number durable in RAW ("" : none).
	Checkpoint string `json:"checkpoint"`
	// CheckpointedAt is when the checkpoint was last written.
	CheckpointedAt *time.Time `json:"checkpointed_at"`
	// IteratorAgeSeconds is how far behind the shard's tip the consumer's
	// last read was (its lag); nil when unknown.
	IteratorAgeSeconds *float64 `json:"iterator_age_seconds,omitempty"`
}

// readLag reads the consumer's lag with lag; a failure or no lag reader
// reads as unavailable, saying why.
func readLag(ctx context.Context, lag func(context.Context) (Lag, error)) Lag {
	if lag == nil {
		return Lag{Why: NoLagReason}
	}
	l, err := lag(ctx)
	if err != nil {
		return Lag{Why: "the consumer's lag could not be read: " + err.Error()}
	}
	return l
}

// read opens the warehouse with open, reads a snapshot through its readers
// and closes it. A missing DuckDB file reads as an error saying so.
func read(ctx context.Context, open func(context.Context) (*warehouse.Warehouse, error), lag func(context.Context) (Lag, error)) (snap Snapshot, err error) {
	wh, err := open(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return Snapshot{}, fmt.Errorf("no warehouse yet (%w): run shoplake demo or shoplake transform", err)
	}
	if err != nil {
		return Snapshot{}, err
	}
	defer func() {
		if cerr := wh.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close warehouse: %w", cerr)
		}
	}()
	h := &snap.Health
	if h.LastRun, err = wh.CheckResults(ctx, 0); err != nil {
		return Snapshot{}, err
	}
	if h.Freshness, err = wh.Freshness(ctx); err != nil {
		return Snapshot{}, err
	}
	h.Lag = readLag(ctx, lag)
	if h.LastRun.RunID == 0 {
		return snap, nil // no run: no marts, nothing kept out
	}
	acc, err := wh.Accounting(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	h.Accounting, h.KeptOut = &acc, keptOut(acc)
	m := &snap.Marts
	var products []warehouse.ProductSalesRow
	var categories []warehouse.CategorySalesRow
	var traffic []warehouse.TrafficSourceRow
	var hours []warehouse.TrafficHourRow
	var attribution []warehouse.OrderAttributionRow
	var customers []warehouse.CustomerLTV
	var productConversion []warehouse.ProductConversionRow
	var categoryConversion []warehouse.CategoryConversionRow
	for _, r := range []func() error{
		func() (err error) { m.DailyKPIs, err = wh.DailyKPIs(ctx); return err },
		func() (err error) { m.RevenueDaily, err = wh.RevenueDaily(ctx); return err },
		func() (err error) { m.OrdersDaily, err = wh.OrdersDaily(ctx); return err },
		func() (err error) { m.SessionFunnel, err = wh.SessionFunnel(ctx); return err },
		func() (err error) { m.CohortRetention, err = wh.CohortRetention(ctx); return err },
		func() (err error) { m.CohortLTV, err = wh.CohortLTV(ctx); return err },
		func() (err error) { products, err = wh.ProductSales(ctx); return err },
		func() (err error) { categories, err = wh.CategorySales(ctx); return err },
		func() (err error) { m.Reconciliation, err = wh.PurchaseReconciliation(ctx); return err },
		func() (err error) { m.CheckoutAbandonment, err = wh.CheckoutAbandonment(ctx); return err },
		func() (err error) { m.ActiveUsers, err = wh.ActiveUsers(ctx); return err },
		func() (err error) { traffic, err = wh.TrafficSources(ctx); return err },
		func() (err error) { hours, err = wh.TrafficByHour(ctx); return err },
		func() (err error) { attribution, err = wh.OrderAttribution(ctx); return err },
		func() (err error) { customers, err = wh.CustomerLTV(ctx); return err },
		func() (err error) { productConversion, err = wh.ProductConversion(ctx); return err },
		func() (err error) { categoryConversion, err = wh.CategoryConversion(ctx); return err },
	} {
		if err := r(); err != nil {
			return Snapshot{}, err
		}
	}
	m.TopProducts = warehouse.TopProducts(products, TopN)
	m.TopCategories = warehouse.TopCategories(categories, TopN)
	m.ActiveUsers, m.EarlierSignups = sinceFirstActive(m.ActiveUsers)
	m.TrafficChannels = warehouse.TrafficByChannel(traffic)
	if m.TrafficHours, err = warehouse.TrafficHours(hours); err != nil {
		return Snapshot{}, err
	}
	if m.AttributionChannels, err = warehouse.AttributionByChannel(attribution); err != nil {
		return Snapshot{}, err
	}
	m.Customers = len(customers)
	m.TopCustomers = warehouse.TopCustomers(customers, TopN)
	allProducts := warehouse.TopProductConversion(productConversion, 0)
	m.ConversionProducts, m.TopProductConversion = len(allProducts), allProducts[:min(TopN, len(allProducts))]
	allCategories := warehouse.TopCategoryConversion(categoryConversion, 0)
	m.ConversionCategories, m.TopCategoryConversion = len(allCategories), allCategories[:min(TopN, len(allCategories))]
	return snap, nil
}

// sinceFirstActive returns the rows of marts.active_users from the first
// with an active user on, and the sign-ups of the rows before it; every
// row (and no earlier sign-up) when none has an active user.
func sinceFirstActive(rows []warehouse.ActiveUsersRow) ([]warehouse.ActiveUsersRow, int64) {
	var earlier int64
	for i, r := range rows {
		if r.DAU > 0 {
			return rows[i:], earlier
		}
		earlier += r.Signups
	}
	return rows, 0
}

// FileVersion returns an Options.Version for a DuckDB file at path: its
// size and modification time and those of its write-ahead log
// (path.wal), which change whenever a writer commits.
func FileVersion(path string) func() (string, error) {
	return func() (string, error) {
		var v string
		for _, p := range []string{path, path + ".wal"} {
			fi, err := os.Stat(p)
			switch {
			case errors.Is(err, os.ErrNotExist):
				v += "-;"
			case err != nil:
				return "", err
			default:
				v += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
			}
		}
		return v, nil
	}
}
