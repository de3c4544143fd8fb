package stream

import (
	"context"
	"fmt"
	"strings"

	"github.com/shoplake/shoplake/lake"
)

// existingBatches finds the batches already in the lake, so that a batch is
// cut where an earlier writer cut it (rule 1 of the batch boundaries, see
// batch.go). It lists each (shard, arrival hour) once: the RAW prefix
// raw/events/dt=/hr=/<stream>-<shard>- and the QUARANTINE prefix
// quarantine/events/dt=/<stream>-<shard>-.
type existingBatches struct {
	store  lake.Store
	stream string
	listed map[string]bool   // prefixes listed
	last   map[string]string // shard + "/" + first seq -> last seq
}

func newExistingBatches(store lake.Store, stream string) *existingBatches {
	return &existingBatches{store: store, stream: stream, listed: map[string]bool{}, last: map[string]string{}}
}

// lookup returns the last sequence number of an object of shard that
// starts at r.
func (e *existingBatches) lookup(ctx context.Context, shard string, r record) (string, bool, error) {
	h := r.hour()
	name := e.stream + "-" + shard + "-"
	for _, prefix := range []string{
		fmt.Sprintf("%sdt=%s/hr=%02d/%s", lake.RawEvents, h.Format(lake.DateFormat), h.Hour(), name),
		fmt.Sprintf("%s%s/dt=%s/%s", lake.QuarantinePrefix, quarantineSource, h.Format(lake.DateFormat), name),
	} {
		if e.listed[prefix] {
			continue
		}
		infos, err := e.store.List(ctx, prefix)
		if err != nil {
			return "", false, fmt.Errorf("list batches under %s: %w", prefix, err)
		}
		for _, info := range infos {
			rng := strings.TrimSuffix(strings.TrimPrefix(info.Key, prefix), ".ndjson.gz")
			first, last, ok := strings.Cut(rng, "-")
			if ok && first != "" && last != "" && !strings.Contains(last, "-") {
				e.last[shard+"/"+first] = last
			}
		}
		e.listed[prefix] = true
	}
	last, ok := e.last[shard+"/"+r.seq]
	return last, ok, nil
}

// add records a batch just written.
func (e *existingBatches) add(b *Batch) { e.last[b.ShardID+"/"+b.First] = b.Last }
