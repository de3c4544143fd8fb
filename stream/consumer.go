package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/lake"
)

// Consumer drains a stream into RAW, as Connect / Read / Write / Ack /
// Close:
//
//   - Connect lists the shards and takes the lease of every shard no other
//     live consumer holds (Checkpointer.Acquire).
//   - Read returns the next micro-batch (batch.go says where batches are
//     cut): records of one shard, validated against the event contract,
//     without the duplicates the dedup window caught. Shards are read in
//     shard-id order, and a shard only once its parents are finished, so
//     after a split or a merge every parent is read to its end before its
//     children. io.EOF means every leased shard is caught up.
//   - Write makes the batch durable: its RAW and QUARANTINE objects, with
//     conditional puts under keys derived from the shard and sequence
//     range. Writing a batch again is harmless.
//   - Ack checkpoints the batch's last sequence number through its lease,
//     only once Write succeeded (ErrNotDurable otherwise), and in order.
//     A consumer whose lease another consumer took gets ErrLeaseLost and
//     moves nothing.
//   - Close releases the leases.
//
// A consumer that dies between Write and Ack re-reads the batch on restart
// from the checkpoint before it, cuts it at the same records and finds its
// objects present: nothing is lost and RAW gains nothing twice.
//
// Drain runs the whole cycle once. A Consumer is not safe for concurrent
// use; run one per process and owner.
type Consumer struct {
	Client       KinesisAPI
	Stream       string
	Store        lake.Store
	Checkpointer Checkpointer
	// Owner names this consumer in leases (default "shoplake").
	Owner string
	// Clock times the waits after throttling (and nothing else).
	Clock clock.Clock
	// BatchRecords is the most records in one batch (default 500).
	BatchRecords int
	// Dedup is the window of event ids already seen (default NewDedup(0,
	// 0)).
	Dedup *Dedup
	// Backoff paces retries of throttled or failed reads (default
	// DefaultBackoff, without jitter); MaxAttempts bounds consecutive failures of one call
	// (default 10).
	Backoff     Backoff
	MaxAttempts int
	Log         *slog.Logger
	// OnBatch, if set, is called by Drain after each batch is durable and
	// checkpointed, on Drain's goroutine: where a caller's metrics read
	// Stats and Shards while a long pass works through a backlog.
	OnBatch func()

	shards   map[string]*shardReader
	order    []string // shard ids, sorted
	existing *existingBatches
	stats    ConsumeStats
}

// shardReader is the consumer's state for one shard.
type shardReader struct {
	shard   types.Shard
	lease   *Lease // nil while another consumer holds the shard
	held    bool
	lost    bool
	iter    *string
	pending []record // read, not yet in a batch
	// lastRead is the sequence number of the last record fetched.
	lastRead string
	// ended: the shard is closed and every record of it is in pending or
	// in a batch. caughtUp: the last read found nothing more for now.
	ended, caughtUp bool
	unacked         []*Batch
	// read counts the records fetched; behind is MillisBehindLatest of the
	// last GetRecords.
	read   int
	behind int64
}

// hasWork reports whether reading r may yield a batch or finish the shard.
func (r *shardReader) hasWork() bool {
	switch {
	case len(r.pending) > 0:
		return true
	case r.ended:
		return len(r.unacked) == 0 // to be marked finished
	default:
		return !r.caughtUp
	}
}

// done reports whether the shard is finished (closed and checkpointed to
// its end), whoever finished it.
func (r *shardReader) done() bool { return r.lease != nil && r.lease.ShardEnd }

// ConsumeStats counts what a consumer did.
type ConsumeStats struct {
	Shards      int `json:"shards"`                // shards listed
	Leased      int `json:"shards_leased"`         // shards this consumer holds
	Held        int `json:"shards_held_by_others"` // shards another consumer holds
	Records     int `json:"records"`               // records read from the stream
	Valid       int `json:"records_to_raw"`        // records written to RAW
	Invalid     int `json:"records_quarantined"`   // records written to QUARANTINE
	Duplicates  int `json:"duplicates_dropped"`    // records dropped by the dedup window (exact copies)
	Conflicts   int `json:"conflicting_records"`   // records written to RAW (counted in Valid) whose event_id came before with another payload
	Batches     int `json:"batches"`               // batches written
	Objects     int `json:"objects_written"`       // objects written
	Existing    int `json:"objects_present"`       // objects already present (a replay)
	Checkpoints int `json:"checkpoints"`           // checkpoints moved
	Throttled   int `json:"throttled_calls"`       // calls refused with ProvisionedThroughputExceeded
	// InvalidReasons counts the Invalid records by class (ReasonOf); nil
	// when none was invalid.
	InvalidReasons map[string]int `json:"quarantined_by_reason"`
}

// addReasons adds the counts of from to *to, allocating it if needed.
func addReasons(to *map[string]int, from map[string]int) {
	for k, n := range from {
		if *to == nil {
			*to = map[string]int{}
		}
		(*to)[k] += n
	}
}

func (c *Consumer) owner() string {
	if c.Owner == "" {
		return "shoplake"
	}
	return c.Owner
}

func (c *Consumer) batchRecords() int {
	if c.BatchRecords <= 0 {
		return 500
	}
	return c.BatchRecords
}

func (c *Consumer) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// ShardState is what a consumer knows of one shard, for a person watching
// it (the TUI).
type ShardState struct {
	ShardID string `json:"shard_id"`
	// Parents are the shards it was split or merged from.
	Parents []string `json:"parents,omitempty"`
	// Open: the shard takes records (it was not split or merged since).
	Open bool `json:"open"`
	// Leased: this consumer holds the shard's lease; Checkpoint is the
	// lease's sequence number and Finished whether the shard is read to its
	// end.
	Leased     bool   `json:"leased"`
	Checkpoint string `json:"checkpoint,omitempty"`
	Finished   bool   `json:"finished"`
	// HeldBy names the other consumer whose live lease kept this one from
	// the shard at the last Connect, and HeldUntil is when that lease
	// expires unless its holder renews it (by the holder's clock); both are
	// zero for a shard this consumer leased or a free one.
	HeldBy    string    `json:"held_by,omitempty"`
	HeldUntil time.Time `json:"held_until,omitzero"`
	// Read counts the records this consumer fetched from the shard;
	// MillisBehindLatest is what the last GetRecords answered.
	Read               int   `json:"read"`
	MillisBehindLatest int64 `json:"millis_behind_latest"`
}

// Shards returns the state of every shard the consumer listed, by shard id.
func (c *Consumer) Shards() []ShardState {
	out := make([]ShardState, 0, len(c.order))
	for _, id := range c.order {
		r := c.shards[id]
		st := ShardState{ShardID: id, Read: r.read, MillisBehindLatest: r.behind,
			Open: r.shard.SequenceNumberRange == nil || r.shard.SequenceNumberRange.EndingSequenceNumber == nil}
		for _, p := range []*string{r.shard.ParentShardId, r.shard.AdjacentParentShardId} {
			if p != nil {
				st.Parents = append(st.Parents, *p)
			}
		}
		switch {
		case r.lease != nil && r.held:
			st.HeldBy, st.HeldUntil = r.lease.Owner, r.lease.Expires
		case r.lease != nil && !r.lost:
			st.Leased, st.Checkpoint, st.Finished = true, r.lease.SequenceNumber, r.lease.ShardEnd
		}
		out = append(out, st)
	}
	return out
}

// Stats returns what the consumer did since it was made.
func (c *Consumer) Stats() ConsumeStats {
	s := c.stats
	s.InvalidReasons = maps.Clone(s.InvalidReasons)
	return s
}

// Drain connects, reads every leased shard until it is caught up (or, for
// a closed shard, to its end), writing and acknowledging each batch, and
// returns what this call did. It stops at the first error; everything
// checkpointed before it is durable.
func (c *Consumer) Drain(ctx context.Context) (ConsumeStats, error) {
	before := c.stats
	before.InvalidReasons = maps.Clone(c.stats.InvalidReasons) // Write adds to the map
	if err := c.Connect(ctx); err != nil {
		return c.stats.since(before), err
	}
	for {
		b, err := c.Read(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c.stats.since(before), err
		}
		if err := c.Write(ctx, b); err != nil {
			return c.stats.since(before), err
		}
		if err := c.Ack(ctx, b); err != nil {
			return c.stats.since(before), err
		}
		if c.OnBatch != nil {
			c.OnBatch()
		}
	}
	st := c.stats.since(before)
	st.Shards, st.Leased, st.Held = c.stats.Shards, c.stats.Leased, c.stats.Held
	return st, nil
}

func reasonsSince(now, before map[string]int) map[string]int {
	var out map[string]int
	for k, n := range now {
		if d := n - before[k]; d > 0 {
			if out == nil {
				out = map[string]int{}
			}
			out[k] = d
		}
	}
	return out
}

// Since returns what s counts beyond before (an earlier value of the same
// running totals); the shard counts are s's.
func (s ConsumeStats) Since(before ConsumeStats) ConsumeStats { return s.since(before) }

func (s ConsumeStats) since(before ConsumeStats) ConsumeStats {
	return ConsumeStats{
		Shards: s.Shards, Leased: s.Leased, Held: s.Held,
		Records: s.Records - before.Records, Valid: s.Valid - before.Valid, Invalid: s.Invalid - before.Invalid,
		Duplicates: s.Duplicates - before.Duplicates, Conflicts: s.Conflicts - before.Conflicts, Batches: s.Batches - before.Batches,
		Objects: s.Objects - before.Objects, Existing: s.Existing - before.Existing,
		Checkpoints: s.Checkpoints - before.Checkpoints, Throttled: s.Throttled - before.Throttled,
		InvalidReasons: reasonsSince(s.InvalidReasons, before.InvalidReasons),
	}
}

// Connect lists the stream's shards and takes or renews the lease of each
// one that no other live consumer holds. A shard held by another consumer
// is skipped (and counted in Held), not an error. Connect may be called
// again: each call starts a new pass (Read reads until caught up again).
func (c *Consumer) Connect(ctx context.Context) error {
	if c.Clock == nil {
		return errors.New("consumer: no clock")
	}
	if c.shards == nil {
		c.shards = map[string]*shardReader{}
	}
	if c.Dedup == nil {
		c.Dedup = NewDedup(0, 0)
	}
	c.existing = newExistingBatches(c.Store, c.Stream)
	for _, r := range c.shards {
		r.caughtUp, r.iter = false, nil
	}
	return c.refresh(ctx, true)
}

// refresh lists the shards and acquires the leases of new ones (of all,
// with renew).
func (c *Consumer) refresh(ctx context.Context, renew bool) error {
	shards, err := c.listShards(ctx)
	if err != nil {
		return err
	}
	c.order = c.order[:0]
	seen := map[string]bool{}
	for _, sh := range shards {
		id := aws.ToString(sh.ShardId)
		seen[id] = true
		c.order = append(c.order, id)
		r := c.shards[id]
		if r == nil {
			r = &shardReader{shard: sh}
			c.shards[id] = r
		} else if r.lease != nil && !renew && !r.held && !r.lost {
			r.shard = sh
			continue
		}
		r.shard = sh
		if r.lease != nil && r.lease.ShardEnd && !r.held {
			continue // finished: nothing to hold
		}
		if err := c.acquire(ctx, r); err != nil {
			return err
		}
	}
	for id := range c.shards {
		if !seen[id] {
			delete(c.shards, id) // expired: its records are gone
		}
	}
	sort.Strings(c.order)
	c.stats.Shards, c.stats.Leased, c.stats.Held = len(c.order), 0, 0
	for _, id := range c.order {
		switch r := c.shards[id]; {
		case r.held:
			c.stats.Held++
		case r.lease != nil && !r.lost:
			c.stats.Leased++
		}
	}
	return nil
}

// acquire takes r's lease, or notes who holds it.
func (c *Consumer) acquire(ctx context.Context, r *shardReader) error {
	id := aws.ToString(r.shard.ShardId)
	prev := r.lease
	l, err := c.Checkpointer.Acquire(ctx, id, c.owner())
	switch {
	case errors.Is(err, ErrLeaseHeld) || errors.Is(err, ErrLeaseLost):
		cur, gerr := c.Checkpointer.Get(ctx, id)
		if gerr != nil {
			return gerr
		}
		*r = shardReader{shard: r.shard, lease: cur, held: true}
		c.logger().Info("shard leased by another consumer", "shard", id, "owner", cur.Owner, "until", cur.Expires)
		return nil
	case err != nil:
		return err
	}
	if prev == nil || r.held || r.lost || l.Version != prev.Version+1 {
		// Someone else wrote the lease since we last did (or we never
		// held it): start over from its checkpoint.
		*r = shardReader{shard: r.shard}
	}
	r.lease = l
	return nil
}

func (c *Consumer) listShards(ctx context.Context) ([]types.Shard, error) {
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: aws.String(c.Stream)}
	for {
		var out *kinesis.ListShardsOutput
		err := c.retry(ctx, func() error {
			var err error
			out, err = c.Client.ListShards(ctx, in, noSDKRetries)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list shards of %s: %w", c.Stream, err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
	return shards, nil
}

// ready reports whether r may be read: leased, not finished, and its
// parents finished (a parent no longer listed has expired with its
// records).
func (c *Consumer) ready(r *shardReader) bool {
	if r.lease == nil || r.held || r.lost || r.done() {
		return false
	}
	for _, p := range []*string{r.shard.ParentShardId, r.shard.AdjacentParentShardId} {
		if pr := c.shards[aws.ToString(p)]; p != nil && pr != nil && !pr.done() {
			return false
		}
	}
	return true
}

// Read returns the next batch of the lowest shard id that is ready and not
// caught up, or io.EOF when there is none. The batch is not durable until
// Write returns.
func (c *Consumer) Read(ctx context.Context) (*Batch, error) {
	if c.existing == nil {
		return nil, errors.New("consumer: Read before Connect")
	}
	for {
		var r *shardReader
		for _, id := range c.order {
			cand := c.shards[id]
			if c.ready(cand) && cand.hasWork() {
				r = cand
				break
			}
		}
		if r == nil {
			return nil, io.EOF
		}
		b, err := c.readShard(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("read shard %s: %w", aws.ToString(r.shard.ShardId), err)
		}
		if b != nil {
			return b, nil
		}
	}
}

// readShard returns r's next batch, or nil if r has none for now (caught
// up, or finished and checkpointed as such).
func (c *Consumer) readShard(ctx context.Context, r *shardReader) (*Batch, error) {
	id := aws.ToString(r.shard.ShardId)
	lookup := func(rec record) (string, bool) {
		last, ok, err := c.existing.lookup(ctx, id, rec)
		if err != nil {
			c.logger().Warn("cannot list existing batches; cutting by the other rules", "shard", id, "err", err)
		}
		return last, ok
	}
	for {
		if len(r.pending) > 0 {
			if n, ok := cut(r.pending, c.batchRecords(), lookup, r.ended || r.caughtUp); ok {
				recs := r.pending[:n]
				r.pending = r.pending[n:]
				b, err := newBatch(c.Stream, id, recs, c.Dedup)
				if err != nil {
					return nil, err
				}
				b.ShardEnd = r.ended && len(r.pending) == 0
				r.unacked = append(r.unacked, b)
				return b, nil
			}
		}
		switch {
		case r.ended && len(r.pending) == 0:
			if len(r.unacked) > 0 {
				return nil, nil // the last batch's Ack finishes the shard
			}
			// A closed shard read to its end with nothing left to write.
			if err := c.finish(ctx, r, r.lease.SequenceNumber); err != nil {
				return nil, err
			}
			return nil, nil
		case r.caughtUp && len(r.pending) == 0:
			return nil, nil
		}
		if err := c.fetch(ctx, r); err != nil {
			return nil, err
		}
	}
}

// fetch reads r's next records into pending.
func (c *Consumer) fetch(ctx context.Context, r *shardReader) error {
	id := aws.ToString(r.shard.ShardId)
	if r.iter == nil {
		in := &kinesis.GetShardIteratorInput{StreamName: aws.String(c.Stream), ShardId: aws.String(id), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		if from := max2(r.lastRead, r.lease.SequenceNumber); from != "" {
			in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(from)
		}
		err := c.retry(ctx, func() error {
			out, err := c.Client.GetShardIterator(ctx, in, noSDKRetries)
			if err == nil {
				r.iter = out.ShardIterator
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("get iterator: %w", err)
		}
	}
	limit := int32(min(10000, max(c.batchRecords(), 1000)))
	var out *kinesis.GetRecordsOutput
	err := c.retry(ctx, func() error {
		var err error
		out, err = c.Client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: r.iter, Limit: aws.Int32(limit)}, noSDKRetries)
		if errorCode(err) == "ExpiredIteratorException" {
			// Idle longer than five minutes: a fresh iterator after the
			// last record read, at once.
			r.iter = nil
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("get records: %w", err)
	}
	if r.iter == nil {
		return nil // expired: the next fetch gets a new iterator
	}
	for _, rec := range out.Records {
		r.pending = append(r.pending, record{seq: aws.ToString(rec.SequenceNumber), arrival: aws.ToTime(rec.ApproximateArrivalTimestamp), data: rec.Data})
	}
	c.stats.Records += len(out.Records)
	r.read += len(out.Records)
	r.behind = aws.ToInt64(out.MillisBehindLatest)
	if n := len(out.Records); n > 0 {
		r.lastRead = aws.ToString(out.Records[n-1].SequenceNumber)
	}
	r.iter = out.NextShardIterator
	switch {
	case r.iter == nil:
		r.ended = true
	case aws.ToInt64(out.MillisBehindLatest) == 0 && len(out.Records) < int(limit):
		r.caughtUp = true
	}
	return nil
}

// max2 returns the later of two sequence numbers.
func max2(a, b string) string {
	if seqLess(a, b) {
		return b
	}
	return a
}

// retry runs f until it succeeds, fails for good, or fails MaxAttempts
// times in a row, waiting on the clock between attempts.
func (c *Consumer) retry(ctx context.Context, f func() error) error {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	bo := c.Backoff.withDefaults()
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			return nil
		}
		if isThrottled(err) {
			c.stats.Throttled++
		}
		if !IsRetryable(err) || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		wait = bo.next(wait, false)
		if err := c.Clock.Sleep(ctx, bo.wait(wait)); err != nil {
			return err
		}
	}
}

// Write makes b durable in RAW (and QUARANTINE). It is idempotent: the
// objects of a batch already written are found present and left alone.
func (c *Consumer) Write(ctx context.Context, b *Batch) error {
	if err := b.write(ctx, c.Store, c.Dedup); err != nil {
		return err
	}
	c.existing.add(b)
	c.stats.Batches++
	c.stats.Valid += b.Valid
	c.stats.Invalid += b.Invalid
	addReasons(&c.stats.InvalidReasons, b.InvalidReasons)
	c.stats.Duplicates += b.Duplicates
	c.stats.Conflicts += b.Conflicts
	c.stats.Objects += b.Written
	c.stats.Existing += b.Existing
	if b.Conflicts > 0 {
		c.logger().Warn(conflictMsg, "shard", b.ShardID, "first", b.First, "last", b.Last,
			"conflicts", b.Conflicts, "event_ids", conflictSample(b.ConflictIDs))
	}
	if b.Existing > 0 {
		c.logger().Info("batch already in the lake (replay), not rewritten", "shard", b.ShardID, "first", b.First, "last", b.Last)
	}
	return nil
}

// Ack checkpoints b, which Write made durable, through its shard's lease.
// Batches of a shard must be acknowledged in the order Read returned them.
// It returns ErrNotDurable for a batch not written and ErrLeaseLost if
// another consumer took the lease: the checkpoint is then left as that
// consumer wrote it, and this consumer drops the shard.
func (c *Consumer) Ack(ctx context.Context, b *Batch) error {
	if !b.durable {
		return fmt.Errorf("ack %s %s-%s: %w", b.ShardID, b.First, b.Last, ErrNotDurable)
	}
	r := c.shards[b.ShardID]
	if r != nil && (r.lease == nil || r.held || r.lost) {
		return fmt.Errorf("ack %s %s-%s: %w", b.ShardID, b.First, b.Last, ErrLeaseLost)
	}
	if r == nil || len(r.unacked) == 0 || r.unacked[0] != b {
		return fmt.Errorf("ack %s %s-%s: not the shard's oldest batch read", b.ShardID, b.First, b.Last)
	}
	if err := c.Checkpointer.Checkpoint(ctx, r.lease, b.Last, b.ShardEnd); err != nil {
		if errors.Is(err, ErrLeaseLost) {
			*r = shardReader{shard: r.shard, lost: true}
		}
		return err
	}
	r.unacked = r.unacked[1:]
	c.stats.Checkpoints++
	c.logger().Debug("batch durable, checkpoint moved", "shard", b.ShardID, "first", b.First, "last", b.Last, "valid", b.Valid, "invalid", b.Invalid, "duplicates", b.Duplicates, "conflicts", b.Conflicts)
	if b.ShardEnd {
		return c.finished(ctx, r)
	}
	return nil
}

// finish marks r finished at seq (the closed shard had nothing after it).
func (c *Consumer) finish(ctx context.Context, r *shardReader, seq string) error {
	if err := c.Checkpointer.Checkpoint(ctx, r.lease, seq, true); err != nil {
		if errors.Is(err, ErrLeaseLost) {
			*r = shardReader{shard: r.shard, lost: true}
		}
		return err
	}
	c.stats.Checkpoints++
	return c.finished(ctx, r)
}

// finished lists the shards again after a parent ended, so that children
// created since the last listing are leased and read.
func (c *Consumer) finished(ctx context.Context, r *shardReader) error {
	c.logger().Info("shard finished", "shard", aws.ToString(r.shard.ShardId))
	return c.refresh(ctx, false)
}

// Close releases the consumer's leases (keeping their checkpoints), so that
// another consumer can take the shards at once. Unacknowledged batches are
// re-read by whoever takes the shard next.
func (c *Consumer) Close(ctx context.Context) error {
	var errs []error
	for _, id := range c.order {
		r := c.shards[id]
		if r.lease == nil || r.held || r.lost || r.lease.Owner != c.owner() {
			continue
		}
		if err := c.Checkpointer.Release(ctx, r.lease); err != nil && !errors.Is(err, ErrLeaseLost) {
			errs = append(errs, err)
		}
	}
	c.shards, c.order, c.existing = nil, nil, nil
	return errors.Join(errs...)
}

// Add accumulates b into s: counts add up, while Shards, Leased and Held
// describe the latest pass and are taken from b.
func (s *ConsumeStats) Add(b ConsumeStats) {
	s.Shards, s.Leased, s.Held = b.Shards, b.Leased, b.Held
	s.Records += b.Records
	s.Valid += b.Valid
	s.Invalid += b.Invalid
	addReasons(&s.InvalidReasons, b.InvalidReasons)
	s.Duplicates += b.Duplicates
	s.Conflicts += b.Conflicts
	s.Batches += b.Batches
	s.Objects += b.Objects
	s.Existing += b.Existing
	s.Checkpoints += b.Checkpoints
	s.Throttled += b.Throttled
}

// conflictMsg is the warning logged for a batch that holds conflicting
// versions of an event (see Dedup).
const conflictMsg = "event_id seen before with a different payload: both versions kept in RAW; the warehouse keeps the earliest arrival and records the conflict (meta.event_conflicts)"

// conflictSample returns up to five of ids, for a log line.
func conflictSample(ids []string) []string {
	return ids[:min(len(ids), 5)]
}
