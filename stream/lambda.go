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
	// OnStats, when set, receives the statistics of every invocation that
	// Handle interpreted (also when some batches failed), after they are
	// logged and before Handle returns. cmd/shoplake-lambda prints them as
	// CloudWatch Embedded Metric Format there: package metrics imports
	// stream, so the metrics cannot be made here.
	OnStats func(LambdaStats)
}

// LambdaStats counts one invocation (logged, handed to OnStats, not
// returned to Lambda). Records counts every record of the event; Valid,
// Invalid and Duplicates split the ones in batches that were written,
// Failed counts the ones in batches reported for retry (and the shard's
// later ones, not attempted).
type LambdaStats struct {
	// Stream names the stream of the event's records (an event source
	// mapping reads one stream; with records of several, the first's).
	Stream                                                                    string
	Records, Valid, Invalid, Duplicates, Conflicts, Objects, Existing, Failed int
	// InvalidReasons counts the Invalid records by class (ReasonOf); nil
	// when none was invalid, as in ConsumeStats.
	InvalidReasons map[string]int
	// Shards lists the shards of the event's records, in the order of
	// their first record.
	Shards []LambdaShard
}

// LambdaShard is what one invocation received of one shard.
type LambdaShard struct {
	Stream, ShardID string
	Records         int
	// NewestArrival is the greatest ApproximateArrivalTimestamp of the
	// shard's records, to the millisecond as Kinesis keeps it: the
	// invocation's time minus it is the age of the newest record handed to
	// the function, which is how AWS defines the function's IteratorAge
	// and how the stream's MillisBehindLatest measures the CLI consumer's
	// lag.
	NewestArrival time.Time
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
	st := LambdaStats{Stream: h.Stream}
	if len(groups) > 0 {
		st.Stream = groups[0].stream
	}
	for _, g := range groups {
		sh := LambdaShard{Stream: g.stream, ShardID: g.shard, Records: len(g.recs)}
		for _, r := range g.recs {
			if r.arrival.After(sh.NewestArrival) {
				sh.NewestArrival = r.arrival
			}
		}
		st.Shards = append(st.Shards, sh)
	}
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
			addReasons(&st.InvalidReasons, b.InvalidReasons)
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
	if h.OnStats != nil {
		h.OnStats(st)
	}
	return resp, nil
}
