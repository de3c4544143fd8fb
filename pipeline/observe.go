package pipeline

import (
	"context"
	"fmt"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// SourceFakeStore names the batch source in the metrics' source label.
const SourceFakeStore = "fakestore"

// Zones are the lake's zones as the metrics name them (the zone label of
// shoplake_lake_objects and shoplake_lake_bytes), with their prefixes.
var Zones = []struct{ Name, Prefix string }{
	{"raw", lake.RawPrefix},
	{"quarantine", lake.QuarantinePrefix},
	{"staging", lake.StagingPrefix},
	{"curated", lake.CuratedPrefix},
	{"checkpoints", lake.CheckpointPrefix},
}

// Lister lists the objects under a prefix (lake.Store's List).
type Lister interface {
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
}

// ZoneUsage lists every zone of the lake and counts its objects and bytes.
func ZoneUsage(ctx context.Context, store Lister) (map[string]metrics.ZoneUsage, error) {
	out := map[string]metrics.ZoneUsage{}
	for _, z := range Zones {
		infos, err := store.List(ctx, z.Prefix)
		if err != nil {
			return nil, fmt.Errorf("list zone %s: %w", z.Name, err)
		}
		var u metrics.ZoneUsage
		for _, i := range infos {
			u.Objects++
			u.Bytes += i.Size
		}
		out[z.Name] = u
	}
	return out, nil
}

// ObserveStores sets the metrics read from where the data is: the size of
// every zone of the lake and, if wh is not nil, where the warehouse's
// records ended up and how fresh CORE is.
func ObserveStores(ctx context.Context, m *metrics.Registry, store Lister, wh *warehouse.Warehouse) error {
	if m == nil {
		return nil
	}
	usage, err := ZoneUsage(ctx, store)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	m.Zones(usage)
	if wh == nil {
		return nil
	}
	return ObserveWarehouse(ctx, m, wh)
}

// ObserveWarehouse sets the metrics read from the warehouse's tables:
// where its records ended up (Accounting) and how fresh CORE is.
func ObserveWarehouse(ctx context.Context, m *metrics.Registry, wh *warehouse.Warehouse) error {
	if m == nil {
		return nil
	}
	acc, err := wh.Accounting(ctx)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	fresh, err := wh.Freshness(ctx)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	m.Warehouse(acc, fresh.NewestEvent)
	return nil
}

// ObserveConsumer makes c tell m what it does batch by batch (its counts
// and each shard's lag and checkpoint), so that a scrape in the middle of
// a long pass sees the backlog shrink. It replaces c.OnBatch. A nil m
// leaves c alone.
func ObserveConsumer(m *metrics.Registry, streamName string, c *stream.Consumer, clk clock.Clock) {
	if m == nil {
		return
	}
	c.OnBatch = func() {
		m.ConsumerTotals(streamName, c.Stats())
		m.Shards(streamName, clk.Now(), c.Shards())
	}
}
