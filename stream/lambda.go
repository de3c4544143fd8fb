package stream

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shoplake/shoplake/lake"
)

// LambdaHandler is the consumer for a Lambda Kinesis event source mapping:
// the same batches, validation, dedup window, dead letters and RAW keys as
// Consumer, without leases or checkpoints, which the event source mapping
// keeps. Configure the mapping with FunctionResponseTypes
// ["ReportBatchItemFailures"].
//
// Records are grouped by shard (the shard id is the part of eventID before
// ':') and cut into batches by the rules of batch.go, the end of the
// event's records of a shard being the tail. Invalid records go to
// QUARANTINE and count as processed: a poison record never blocks its
// shard. If a batch cannot be written, its first sequence number is
// reported in batchItemFailures and the shard's later batches are not
// attempted: Lambda retries the shard from the lowest sequence number
// reported, and the retry finds the batches already written (rule 1 of the
// boundaries) and rewrites none of them.
type LambdaHandler struct {
	Store lake.Store
	// Stream names the stream in RAW keys when the records' eventSourceARN
	// does not.
	Stream string
	// BatchRecords is the most records in one RAW object (default 500).
	BatchRecords int
	// Dedup is the window of event ids seen by this execution environment
	// (default NewDedup(0, 0), made on first use).
	Dedup *Dedup
	Log   *slog.Logger
}

// LambdaStats counts one invocation (logged, not returned to Lambda).
type LambdaStats struct {
	Records, Valid, Invalid, Duplicates, Conflicts, Objects, Existing, Failed int
}

// Handle processes one event and returns the partial batch response
// (an empty BatchItemFailures when every record is durable). It returns an
// error only for an event it cannot interpret, which makes Lambda retry
// the whole batch.
func (h *LambdaHandler) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	if h.Dedup == nil {
		h.Dedup = NewDedup(0, 0)
	}
	max := h.BatchRecords
	if max <= 0 {
		max = 500
	}
	type group struct {
		stream, shard string
		recs          []record
	}
	var groups []*group
	byShard := map[string]*group{}
	for _, r := range ev.Records {
		shard, _, ok := strings.Cut(r.EventID, ":")
		if !ok || shard == "" {
			return resp, fmt.Errorf("record %s: eventID %q does not name a shard", r.Kinesis.SequenceNumber, r.EventID)
		}
		stream := h.Stream
		if _, name, ok := strings.Cut(r.EventSourceArn, ":stream/"); ok && name != "" {
			stream = name
		}
		g := byShard[stream+"/"+shard]
		if g == nil {
			g = &group{stream: stream, shard: shard}
			byShard[stream+"/"+shard] = g
			groups = append(groups, g)
		}
		g.recs = append(g.recs, record{seq: r.Kinesis.SequenceNumber, arrival: r.Kinesis.ApproximateArrivalTimestamp.UTC().Round(time.Millisecond), data: r.Kinesis.Data})
	}
	var st LambdaStats
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	existing := map[string]*existingBatches{}
	for _, g := range groups {
		st.Records += len(g.recs)
		ex := existing[g.stream]
		if ex == nil {
			ex = newExistingBatches(h.Store, g.stream)
			existing[g.stream] = ex
		}
		recs := g.recs
		for len(recs) > 0 {
			n, _ := cut(recs, max, func(r record) (string, bool) {
				last, ok, err := ex.lookup(ctx, g.shard, r)
				if err != nil {
					log.Warn("cannot list existing batches; cutting by the other rules", "shard", g.shard, "err", err)
				}
				return last, ok
			}, true)
			b, err := newBatch(g.stream, g.shard, recs[:n], h.Dedup)
			if err == nil {
				err = b.write(ctx, h.Store, h.Dedup)
			}
			if err != nil {
				log.Error("batch not written; reporting it for retry", "shard", g.shard, "first", recs[0].seq, "err", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: recs[0].seq})
				st.Failed += len(recs)
				break
			}
			ex.add(b)
			st.Valid += b.Valid
			st.Invalid += b.Invalid
			st.Duplicates += b.Duplicates
			st.Conflicts += b.Conflicts
			if b.Conflicts > 0 {
				log.Warn(conflictMsg, "shard", g.shard, "first", b.First, "last", b.Last,
					"conflicts", b.Conflicts, "event_ids", conflictSample(b.ConflictIDs))
			}
			st.Objects += b.Written
			st.Existing += b.Existing
			recs = recs[n:]
		}
	}
	log.Info("kinesis batch processed", "records", st.Records, "valid", st.Valid, "invalid", st.Invalid,
		"duplicates", st.Duplicates, "conflicts", st.Conflicts, "objects", st.Objects, "existing", st.Existing, "failed", st.Failed)
	return resp, nil
}
