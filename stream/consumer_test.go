package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// newKinesisWith is newKinesis with server options and n shards.
func newKinesisWith(tb testing.TB, n int, opts ...kinesislocal.Option) (*kinesis.Client, *clock.Sim) {
	tb.Helper()
	clk := clock.NewSim(t0)
	srv := httptest.NewServer(kinesislocal.New(clk, opts...))
	tb.Cleanup(srv.Close)
	cfg, err := config.DefaultConfig().AWSConfig(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	client := stream.NewKinesisClient(cfg, srv.URL)
	if _, err := stream.EnsureStream(context.Background(), client, clk, "clicks", n); err != nil {
		tb.Fatal(err)
	}
	return client, clk
}

// consumerOn returns a consumer owned by owner whose waits and leases run
// on clk.
func consumerOn(client stream.KinesisAPI, store *lake.S3Store, owner string, clk clock.Clock) *stream.Consumer {
	return &stream.Consumer{
		Client: client, Stream: "clicks", Store: store, BatchRecords: 100, Owner: owner, Clock: clk,
		Checkpointer: &stream.LakeCheckpointer{Store: store, Group: "g", Stream: "clicks", Clock: clk},
	}
}

// putRaw puts records with the given data and partition keys, failing the
// test on any refusal.
func putRaw(tb testing.TB, client *kinesis.Client, data [][]byte, keys []string) {
	tb.Helper()
	for i := 0; i < len(data); i += 500 {
		var ents []types.PutRecordsRequestEntry
		for j := i; j < min(i+500, len(data)); j++ {
			ents = append(ents, types.PutRecordsRequestEntry{Data: data[j], PartitionKey: aws.String(keys[j])})
		}
		out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("clicks"), Records: ents})
		if err != nil || aws.ToInt32(out.FailedRecordCount) > 0 {
			tb.Fatalf("PutRecords: %v", err)
		}
	}
}

func mustPut(tb testing.TB, client *kinesis.Client, clk clock.Clock, events []stream.Event) {
	tb.Helper()
	st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk}).Put(context.Background(), events)
	if err != nil || st.Acknowledged != len(events) {
		tb.Fatalf("put %d events: %d acknowledged, %v", len(events), st.Acknowledged, err)
	}
}

// quarantined reads every QUARANTINE line, in key order.
func quarantined(tb testing.TB, store lake.Store) []stream.Rejected {
	tb.Helper()
	byKey := gzLines[stream.Rejected](tb, store, lake.QuarantinePrefix)
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []stream.Rejected
	for _, k := range keys {
		out = append(out, byKey[k]...)
	}
	return out
}

func TestConsumer_PoisonNeverBlocks(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 1)
	store := laketest.NewStore(t)
	good := makeEvents(21, 6)
	var data [][]byte
	var keys []string
	add := func(b []byte) { data, keys = append(data, b), append(keys, "one-session") }
	poison := [][]byte{
		[]byte(`{"event_id":`),                  // cut short
		{0xff, 0xfe, 0x00, 0x01},                // not text
		[]byte(`[]`),                            // not an object
		[]byte(`{"event_id":"x","surprise":1}`), // unknown field
		bytes.Repeat([]byte("{"), 1<<20-20),     // a megabyte of junk
	}
	for i, e := range good {
		b, _ := json.Marshal(e)
		add(b)
		if i < len(poison) {
			add(poison[i])
		}
	}
	putRaw(t, client, data, keys)
	c := consumerOn(client, store, "c", clk)
	st, err := c.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Valid != len(good) || st.Invalid != len(poison) {
		t.Fatalf("valid %d invalid %d, want %d and %d", st.Valid, st.Invalid, len(good), len(poison))
	}
	assertExactlyOnce(t, store, good)
	rej := quarantined(t, store)
	if len(rej) != len(poison) {
		t.Fatalf("%d quarantined records, want %d", len(rej), len(poison))
	}
	for _, r := range rej {
		if r.Reason == "" || r.ShardID != "shardId-000000000000" || r.SequenceNumber == "" || r.IngestionTime.IsZero() {
			t.Errorf("quarantined record lacks its reason or position: %+v", r)
		}
	}
	// The checkpoint is past the last record: nothing is read again.
	recs := rawRecords(t, store)
	var last string
	for _, rs := range recs {
		for _, r := range rs {
			last = max(last, r.SequenceNumber)
		}
	}
	if got := checkpoint(t, c.Checkpointer, "shardId-000000000000"); got != last {
		t.Fatalf("checkpoint %s, want the last record %s", got, last)
	}
}

func TestConsumer_AnomalousStream(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 4)
	store := laketest.NewStore(t)
	cfg := sim.DefaultAnomalyConfig()
	cfg.DuplicateRate, cfg.DuplicateCopies, cfg.MalformedRate, cfg.LateRate = 0.2, 3, 0.05, 0.1
	a, err := sim.NewAnomalizer(7, cfg)
	if err != nil {
		t.Fatal(err)
	}
	events := makeEvents(22, 3000)
	var data [][]byte
	var keys []string
	oversized := 0
	for d := range a.Deliveries(slices.Values(events)) {
		if d.Malformed == sim.MalformedOversized {
			oversized++ // Kinesis refuses it at the put: it never reaches the consumer
			continue
		}
		data, keys = append(data, d.Data), append(keys, d.PartitionKey)
	}
	counts := a.Counts()
	counts.Deliveries -= oversized
	counts.Malformed -= oversized
	if counts.Duplicates == 0 || counts.Malformed == 0 {
		t.Fatalf("the anomalizer sent no duplicate or no malformed record: %+v", counts)
	}
	putRaw(t, client, data, keys)
	st, err := consumerOn(client, store, "c", clk).Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Records, counts.Deliveries; got != want {
		t.Errorf("read %d records, want %d", got, want)
	}
	if got, want := st.Invalid, counts.Malformed; got != want {
		t.Errorf("quarantined %d, want the %d malformed", got, want)
	}
	if got, want := st.Duplicates, counts.Duplicates; got != want {
		t.Errorf("dropped %d duplicates, want %d", got, want)
	}
	assertExactlyOnce(t, store, events)
}

// orderStore records the order of RAW writes.
type orderStore struct {
	*lake.S3Store
	mu   sync.Mutex
	keys []string
}

func (o *orderStore) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	err := o.S3Store.PutIfAbsent(ctx, key, body)
	if err == nil && strings.HasPrefix(key, lake.RawEvents) {
		o.mu.Lock()
		o.keys = append(o.keys, key)
		o.mu.Unlock()
	}
	return err
}

func TestConsumer_SplitAndMerge(t *testing.T) {
	ctx := context.Background()
	for _, drainBetween := range []bool{false, true} {
		t.Run(fmt.Sprintf("DrainBetween=%v", drainBetween), func(t *testing.T) {
			client, clk := newKinesisWith(t, 2)
			lakeStore := laketest.NewStore(t)
			store := &orderStore{S3Store: lakeStore}
			c := consumerOn(client, lakeStore, "c", clk)
			c.Store = store
			all := makeEvents(30, 1500)
			step := func(events []stream.Event) {
				mustPut(t, client, clk, events)
				if drainBetween {
					if _, err := c.Drain(ctx); err != nil {
						t.Fatal(err)
					}
				}
				clk.Advance(time.Second)
			}
			step(all[:500])
			// Split shard 0 at the middle of its range: shards 2 and 3.
			mid := new(big.Int).Lsh(big.NewInt(1), 126).String()
			if _, err := client.SplitShard(ctx, &kinesis.SplitShardInput{StreamName: aws.String("clicks"), ShardToSplit: aws.String("shardId-000000000000"), NewStartingHashKey: aws.String(mid)}); err != nil {
				t.Fatal(err)
			}
			step(all[500:1000])
			// Merge shard 3 (upper half of the old shard 0) with shard 1: shard 4.
			if _, err := client.MergeShards(ctx, &kinesis.MergeShardsInput{StreamName: aws.String("clicks"), ShardToMerge: aws.String("shardId-000000000003"), AdjacentShardToMerge: aws.String("shardId-000000000001")}); err != nil {
				t.Fatal(err)
			}
			step(all[1000:])
			st, err := c.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Shards != 5 {
				t.Errorf("%d shards listed, want 5", st.Shards)
			}
			assertExactlyOnce(t, lakeStore, all)

			// Parents before children: every object of a parent was written
			// before any object of its children.
			pos := map[string][2]int{} // shard -> first and last write index
			for i, k := range store.keys {
				shard := "shardId-" + strings.SplitN(strings.SplitN(k, "clicks-shardId-", 2)[1], "-", 2)[0]
				p, ok := pos[shard]
				if !ok {
					p = [2]int{i, i}
				}
				p[1] = i
				pos[shard] = p
			}
			for child, parents := range map[string][]string{
				"shardId-000000000002": {"shardId-000000000000"},
				"shardId-000000000003": {"shardId-000000000000"},
				"shardId-000000000004": {"shardId-000000000003", "shardId-000000000001"},
			} {
				for _, p := range parents {
					if _, ok := pos[child]; !ok {
						t.Fatalf("no object of %s", child)
					}
					if pos[p][1] > pos[child][0] {
						t.Errorf("%s written (up to write %d) after its child %s (from write %d)", p, pos[p][1], child, pos[child][0])
					}
				}
			}
			for _, shard := range []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000003"} {
				l, err := c.Checkpointer.Get(ctx, shard)
				if err != nil {
					t.Fatal(err)
				}
				if !l.ShardEnd {
					t.Errorf("closed shard %s not checkpointed as finished: %+v", shard, l)
				}
			}
		})
	}
}

func TestConsumer_StaleLeaseCannotMoveCheckpointBack(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 1)
	store := laketest.NewStore(t)
	mustPut(t, client, clk, makeEvents(40, 450))
	const shard = "shardId-000000000000"

	a := consumerOn(client, store, "consumer-a", clk)
	if err := a.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	b1, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(ctx, b1); err != nil {
		t.Fatal(err)
	}
	if err := a.Ack(ctx, b1); err != nil {
		t.Fatal(err)
	}
	b2, err := a.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Write(ctx, b2); err != nil {
		t.Fatal(err)
	}
	// Consumer a stalls (a GC pause, a partition) past its lease.
	clk.Advance(2 * stream.DefaultLeaseDuration)

	b := consumerOn(client, store, "consumer-b", clk)
	st, err := b.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leased != 1 {
		t.Fatalf("b leased %d shards, want the expired one", st.Leased)
	}
	ahead := checkpoint(t, b.Checkpointer, shard)
	if !(b2.Last < ahead) {
		t.Fatalf("b's checkpoint %s is not past a's unacknowledged batch %s", ahead, b2.Last)
	}

	t.Run("ErrLeaseLost", func(t *testing.T) {
		if err := a.Ack(ctx, b2); !errors.Is(err, stream.ErrLeaseLost) {
			t.Fatalf("stale Ack: err = %v, want ErrLeaseLost", err)
		}
		if got := checkpoint(t, b.Checkpointer, shard); got != ahead {
			t.Fatalf("checkpoint moved from %s to %s", ahead, got)
		}
	})
	t.Run("ErrLeaseHeld", func(t *testing.T) {
		if err := a.Connect(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Read(ctx); !errors.Is(err, io.EOF) {
			t.Fatalf("a reads a shard b holds: err = %v", err)
		}
		if got := a.Stats(); got.Held != 1 || got.Leased != 0 {
			t.Fatalf("a holds %d, sees %d held, want 0 and 1", got.Leased, got.Held)
		}
		sh := a.Shards()
		if len(sh) != 1 || sh[0].Leased || sh[0].HeldBy != "consumer-b" || !sh[0].HeldUntil.Equal(clk.Now().Add(stream.DefaultLeaseDuration)) {
			t.Fatalf("a's view of the shard = %+v, want held by consumer-b until %s", sh, clk.Now().Add(stream.DefaultLeaseDuration))
		}
	})
	t.Run("ReleasedLeaseIsTaken", func(t *testing.T) {
		if err := b.Close(ctx); err != nil {
			t.Fatal(err)
		}
		mustPut(t, client, clk, makeEvents(41, 10))
		st, err := a.Drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Leased != 1 || st.Valid != 10 {
			t.Fatalf("after b released: a leased %d, wrote %d, want 1 and 10", st.Leased, st.Valid)
		}
	})
}

func TestLakeCheckpointer(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	clk := clock.NewSim(t0)
	cp := &stream.LakeCheckpointer{Store: store, Group: "g", Stream: "s", Clock: clk, LeaseDuration: time.Minute}
	a, err := cp.Acquire(ctx, "shard", "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Checkpoint(ctx, a, "200", false); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrLeaseHeld", func(t *testing.T) {
		if _, err := cp.Acquire(ctx, "shard", "b"); !errors.Is(err, stream.ErrLeaseHeld) {
			t.Fatalf("err = %v, want ErrLeaseHeld", err)
		}
	})
	t.Run("RenewByOwner", func(t *testing.T) {
		again, err := cp.Acquire(ctx, "shard", "a")
		if err != nil {
			t.Fatal(err)
		}
		if again.SequenceNumber != "200" {
			t.Fatalf("renewed lease lost its checkpoint: %+v", again)
		}
		a = again
	})
	t.Run("BackwardsRefused", func(t *testing.T) {
		if err := cp.Checkpoint(ctx, a, "199", false); err == nil {
			t.Fatal("checkpoint moved backwards")
		}
	})
	t.Run("ErrLeaseLost", func(t *testing.T) {
		clk.Advance(2 * time.Minute)
		b, err := cp.Acquire(ctx, "shard", "b")
		if err != nil {
			t.Fatal(err)
		}
		if err := cp.Checkpoint(ctx, b, "300", false); err != nil {
			t.Fatal(err)
		}
		stale := *a
		for _, seq := range []string{"250", "400"} {
			if err := cp.Checkpoint(ctx, &stale, seq, false); !errors.Is(err, stream.ErrLeaseLost) {
				t.Fatalf("stale checkpoint at %s: err = %v, want ErrLeaseLost", seq, err)
			}
		}
		if err := cp.Release(ctx, &stale); !errors.Is(err, stream.ErrLeaseLost) {
			t.Fatalf("stale release: err = %v, want ErrLeaseLost", err)
		}
		got, err := cp.Get(ctx, "shard")
		if err != nil {
			t.Fatal(err)
		}
		if got.SequenceNumber != "300" || got.Owner != "b" {
			t.Fatalf("lease = %+v, want b's at 300", got)
		}
	})
}

func TestConsumer_ReplayRewritesSameKeys(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 2)
	store := laketest.NewStore(t)
	first := makeEvents(50, 230) // tails of fewer than 100 records per shard
	mustPut(t, client, clk, first)
	crashing := consumerOn(client, store, "c", clk)
	crashing.Checkpointer = failingCheckpointer{crashing.Checkpointer}
	if _, err := crashing.Drain(ctx); err == nil {
		t.Fatal("drain with a failing checkpointer succeeded")
	}
	before := rawRecords(t, store)
	// More records arrive in the same hour before the restart: the tail
	// batch, cut again, would now be longer.
	more := makeEvents(51, 120)
	mustPut(t, client, clk, more)
	st, err := consumerOn(client, store, "c", clk).Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Existing == 0 {
		t.Fatal("the restart wrote the crashed batch under a new key")
	}
	after := rawRecords(t, store)
	for k := range before {
		if _, ok := after[k]; !ok {
			t.Errorf("key %s vanished", k)
		}
	}
	assertExactlyOnce(t, store, append(first, more...))

	t.Run("FullReplay", func(t *testing.T) {
		// Forget every checkpoint and read the stream again from the start,
		// in one pass: every batch is cut where the earlier passes cut it.
		cp := &stream.LakeCheckpointer{Store: store, Group: "g", Stream: "clicks", Clock: clk}
		if err := cp.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := consumerOn(client, store, "other", clk).Drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Objects != 0 || st.Existing != len(after) {
			t.Fatalf("replay wrote %d objects, found %d present, want 0 and %d", st.Objects, st.Existing, len(after))
		}
	})
}

func TestConsumer_ExpiredIterator(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 1)
	store := laketest.NewStore(t)
	events := makeEvents(60, 2500)
	mustPut(t, client, clk, events)
	c := consumerOn(client, store, "c", clock.NewSim(t0))
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		b, err := c.Read(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := c.Ack(ctx, b); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// The consumer idles past the iterator's five minutes (by the
			// stream's clock) with records in hand and more to fetch.
			clk.Advance(6 * time.Minute)
		}
	}
	assertExactlyOnce(t, store, events)
}

func TestConsumer_ReadThrottled(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 1, kinesislocal.WithShardLimits(kinesislocal.ShardLimits{ReadCallsPerSecond: 2}))
	store := laketest.NewStore(t)
	events := makeEvents(61, 4000)
	mustPut(t, client, clk, events)
	start := clk.Now()
	st, err := consumerOn(client, store, "c", clk).Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Throttled == 0 {
		t.Fatal("no GetRecords call was throttled")
	}
	if clk.Now().Equal(start) {
		t.Fatal("the consumer did not wait on the clock")
	}
	assertExactlyOnce(t, store, events)
}

// TestConsumer_ConflictingDuplicate: a second event with an event_id already
// seen but a different payload is not a duplicate. Both versions reach RAW
// (the warehouse resolves them) and the conflict is counted; an exact copy
// is still dropped, whether it repeats in the batch or across batches.
func TestConsumer_ConflictingDuplicate(t *testing.T) {
	ctx := context.Background()
	client, clk := newKinesisWith(t, 1)
	store := laketest.NewStore(t)
	evs := makeEvents(31, 4)
	changed := evs[1]
	changed.EventType = stream.AddToCart
	q := int64(2)
	changed.Quantity = &q
	mustPut(t, client, clk, append(slices.Clone(evs), evs[0], changed))
	c := consumerOn(client, store, "c", clk)
	st, err := c.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := [3]int{st.Valid, st.Duplicates, st.Conflicts}, [3]int{5, 1, 1}; got != want {
		t.Errorf("valid, duplicates, conflicts = %v, want %v", got, want)
	}
	// The same again in a later batch: the window knows both versions now.
	mustPut(t, client, clk, []stream.Event{evs[2], changed, evs[1]})
	st2, err := c.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := [3]int{st2.Valid, st2.Duplicates, st2.Conflicts}, [3]int{0, 3, 0}; got != want {
		t.Errorf("second pass: valid, duplicates, conflicts = %v, want %v", got, want)
	}
	types := map[string][]stream.EventType{}
	for _, recs := range rawRecords(t, store) {
		for _, r := range recs {
			types[r.EventID] = append(types[r.EventID], r.EventType)
		}
	}
	if got := types[evs[1].EventID]; len(got) != 2 {
		t.Errorf("RAW holds %v for the conflicting id, want both versions", got)
	}
	if got := types[evs[0].EventID]; len(got) != 1 {
		t.Errorf("RAW holds %d copies of the exact duplicate, want 1", len(got))
	}
}
