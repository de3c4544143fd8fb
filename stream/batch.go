package stream

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shoplake/shoplake/lake"
)

// Micro-batch boundaries.
//
// A batch is a run of consecutive records of one shard. It starts right
// after the previous batch (the checkpoint, or the shard's first record)
// and ends at the first of:
//
//  1. the last sequence number of a RAW or QUARANTINE object that already
//     starts at its first record (a batch written before a crash or by an
//     earlier run: the batch is cut exactly as it was);
//  2. the last record before one that arrived in a later hour (a batch
//     never spans two hr= partitions);
//  3. BatchRecords records;
//  4. the end of the shard, once it is closed (resharding);
//  5. the end of what the stream holds when the reader caught up (the
//     tail).
//
// Rules 2 to 4 depend on nothing but the records from the batch's start, so
// any reader starting there cuts the same batch. Rule 5 depends on when the
// reader ran; rule 1 makes the tail reproducible: a consumer that wrote a
// tail batch and died before checkpointing it restarts at the same first
// record, finds the object whose key starts with that record's position
// (<stream>-<shard>-<first>-, listed once per shard and arrival hour) and
// ends its batch at the same last record. The replay therefore rewrites
// the same key, which the conditional put finds present: RAW gains no
// object and no row. The same holds for a full replay from TRIM_HORIZON
// over an existing lake, and for a Lambda invocation retried after a
// partial batch failure.

// record is one stream record, from GetRecords or from a Lambda event.
type record struct {
	seq     string
	arrival time.Time
	data    []byte
}

// hour returns the start of the arrival hour of r (its hr= partition).
func (r record) hour() time.Time { return r.arrival.UTC().Truncate(time.Hour) }

// cut returns how many of recs, which start a batch, form it, following
// the rules above. existing returns the last sequence number of an object
// that starts at recs[0], if any. final says that no record follows recs
// for now (the reader caught up, the shard ended, or the Lambda event has
// no more). ok is false if more records are needed to decide.
func cut(recs []record, max int, existing func(record) (string, bool), final bool) (n int, ok bool) {
	if len(recs) == 0 {
		return 0, false
	}
	if last, found := existing(recs[0]); found {
		for i, r := range recs {
			if r.seq == last {
				return i + 1, true
			}
		}
		if !final {
			return 0, false
		}
		// The object ends past what the stream holds (trimmed, or written
		// from other records): cut by the ordinary rules.
	}
	h := recs[0].hour()
	limit := min(len(recs), max)
	for i := 1; i < limit; i++ {
		if !recs[i].hour().Equal(h) {
			return i, true
		}
	}
	if len(recs) >= max {
		return max, true
	}
	if final {
		return len(recs), true
	}
	return 0, false
}

// Batch is one micro-batch of a shard: its records, validated and
// deduplicated, and the keys of the objects that hold them.
type Batch struct {
	Stream  string
	ShardID string
	// First and Last are the sequence numbers of its first and last
	// record; the objects' keys are derived from them.
	First, Last string
	// Arrival is the arrival time of the first record: the dt= and hr=
	// partitions of its objects.
	Arrival time.Time
	// Records counts every record of the range; Valid, Invalid and
	// Duplicates (exact copies, dropped) split them.
	Records, Valid, Invalid, Duplicates int
	// InvalidReasons counts the Invalid records by ReasonOf (nil when
	// none is invalid).
	InvalidReasons map[string]int
	// Conflicts counts the Valid records whose event_id the dedup window
	// or the batch already holds with another payload: written to RAW all
	// the same, and ConflictIDs names them (in stream order).
	Conflicts   int
	ConflictIDs []string
	// RawKey and QuarantineKey are the objects the batch writes ("" when
	// it has no valid, or no invalid, record).
	RawKey, QuarantineKey string
	// ShardEnd says that the batch ends a closed shard: its checkpoint
	// finishes the shard, and the shard's children may be read.
	ShardEnd bool
	// Existing counts the batch's objects that Write found already present
	// (a replay); Written the ones it wrote.
	Existing, Written int

	raw, rejected []byte // NDJSON bodies
	keys          []Key  // valid events' keys, for the dedup window
	arrivals      []time.Time
	durable       bool
}

// newBatch validates recs, drops the exact copies of events the dedup
// window has seen (or that repeat within the batch), counts the conflicting
// versions it keeps, and builds the bodies of its objects.
func newBatch(stream, shardID string, recs []record, dedup *Dedup) (*Batch, error) {
	b := &Batch{
		Stream: stream, ShardID: shardID, Records: len(recs),
		First: recs[0].seq, Last: recs[len(recs)-1].seq, Arrival: recs[0].arrival.UTC(),
	}
	var good, bad bytes.Buffer
	inBatch, idsInBatch := map[Key]bool{}, map[string]bool{}
	for _, r := range recs {
		ev, err := ParseEvent(r.data)
		if err != nil {
			b.Invalid++
			if b.InvalidReasons == nil {
				b.InvalidReasons = map[string]int{}
			}
			b.InvalidReasons[ReasonOf(err)]++
			line, _ := json.Marshal(Rejected{
				Reason: err.Error(), ShardID: shardID, SequenceNumber: r.seq,
				IngestionTime: r.arrival.UTC(), Data: string(r.data),
			})
			bad.Write(line)
			bad.WriteByte('\n')
			continue
		}
		k := KeyOf(ev)
		if inBatch[k] || (dedup != nil && dedup.Seen(k)) {
			b.Duplicates++
			continue
		}
		if idsInBatch[k.ID] || (dedup != nil && dedup.Known(k.ID)) {
			b.Conflicts++
			b.ConflictIDs = append(b.ConflictIDs, k.ID)
		}
		inBatch[k], idsInBatch[k.ID] = true, true
		rec := RawRecord{Event: ev, IngestionTime: r.arrival.UTC(), ShardID: shardID, SequenceNumber: r.seq}
		line, err := rec.Encode()
		if err != nil {
			return nil, fmt.Errorf("encode record %s of %s: %w", r.seq, shardID, err)
		}
		good.Write(line)
		good.WriteByte('\n')
		b.Valid++
		b.keys = append(b.keys, k)
		b.arrivals = append(b.arrivals, r.arrival)
	}
	var err error
	if b.Valid > 0 {
		if b.RawKey, err = lake.RawEventsKey(b.Arrival, stream, shardID, b.First, b.Last); err != nil {
			return nil, err
		}
		b.raw = good.Bytes()
	}
	if b.Invalid > 0 {
		if b.QuarantineKey, err = QuarantineKey(b.Arrival, stream, shardID, b.First, b.Last); err != nil {
			return nil, err
		}
		b.rejected = bad.Bytes()
	}
	return b, nil
}

// write puts the batch's objects with conditional puts, the QUARANTINE one
// first, and then adds its events to the dedup window. An object already
// present is a replay of this very range: it is left as it is and counted
// in Existing. write is idempotent.
func (b *Batch) write(ctx context.Context, store lake.Store, dedup *Dedup) error {
	for _, o := range []struct {
		key  string
		body []byte
	}{{b.QuarantineKey, b.rejected}, {b.RawKey, b.raw}} {
		if o.key == "" {
			continue
		}
		existed, err := putGzip(ctx, store, o.key, o.body)
		if err != nil {
			return fmt.Errorf("write batch %s-%s of %s: %w", b.First, b.Last, b.ShardID, err)
		}
		if existed {
			b.Existing++
		} else {
			b.Written++
		}
	}
	b.durable = true
	if dedup != nil {
		for i, k := range b.keys {
			dedup.Add(k, b.arrivals[i])
		}
	}
	return nil
}

// putGzip gzips ndjson (a zero header: same input, same bytes) and writes
// it at key if absent. existed reports that the key was already written.
func putGzip(ctx context.Context, store lake.Store, key string, ndjson []byte) (existed bool, err error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(ndjson); err != nil {
		return false, err
	}
	if err := zw.Close(); err != nil {
		return false, err
	}
	switch err := store.PutIfAbsent(ctx, key, buf.Bytes()); {
	case errors.Is(err, lake.ErrExists):
		return true, nil
	case err != nil:
		return false, err
	}
	return false, nil
}
