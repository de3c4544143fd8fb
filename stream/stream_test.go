package stream_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// newKinesis starts a local Kinesis server with a 4-shard stream and
// returns the SDK client and the clock the server reads.
func newKinesis(tb testing.TB) (*kinesis.Client, *clock.Sim) {
	tb.Helper()
	clk := clock.NewSim(t0)
	srv := httptest.NewServer(kinesislocal.New(clk))
	tb.Cleanup(srv.Close)
	cfg, err := config.DefaultConfig().AWSConfig(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	client := stream.NewKinesisClient(cfg, srv.URL)
	if _, err := stream.EnsureStream(context.Background(), client, clk, "clicks", 4); err != nil {
		tb.Fatal(err)
	}
	return client, clk
}

// makeEvents draws n valid events over 50 sessions.
func makeEvents(seed uint64, n int) []stream.Event {
	r := rng.New(seed, "stream-test")
	sessions := make([]string, 50)
	for i := range sessions {
		sessions[i] = rng.UUID(r)
	}
	out := make([]stream.Event, n)
	for i := range out {
		pid := int64(r.IntN(20) + 1)
		out[i] = stream.Event{
			EventID: rng.UUID(r), EventType: stream.ProductView, EventTime: t0.Add(time.Duration(i) * time.Second),
			SessionID: sessions[r.IntN(len(sessions))], AnonymousID: "dev-1", ProductID: &pid, SchemaVersion: stream.SchemaVersion,
		}
	}
	return out
}

// gzLines reads every gzip NDJSON object under prefix and decodes each
// line into a T, by object key.
func gzLines[T any](tb testing.TB, store lake.Store, prefix string) map[string][]T {
	tb.Helper()
	ctx := context.Background()
	infos, err := store.List(ctx, prefix)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]T{}
	for _, info := range infos {
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			tb.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		ndjson, err := io.ReadAll(zr)
		if err != nil {
			tb.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(ndjson), []byte("\n")) {
			var v T
			if err := json.Unmarshal(line, &v); err != nil {
				tb.Fatalf("%s: %v", info.Key, err)
			}
			out[info.Key] = append(out[info.Key], v)
		}
	}
	return out
}

// rawRecords reads every RAW events object and returns its records by key.
func rawRecords(tb testing.TB, store lake.Store) map[string][]stream.RawRecord {
	tb.Helper()
	return gzLines[stream.RawRecord](tb, store, lake.RawEvents)
}

// newConsumer returns a consumer of "clicks" in group g writing to store,
// with its leases in leases (the real lake: checkpoints are not what the
// tests break) and its clock at t0.
func newConsumer(client stream.KinesisAPI, store lake.Store, leases *lake.S3Store) *stream.Consumer {
	clk := clock.NewSim(t0)
	return &stream.Consumer{
		Client: client, Stream: "clicks", Store: store, BatchRecords: 100, Owner: "c1", Clock: clk,
		Checkpointer: &stream.LakeCheckpointer{Store: leases, Group: "g", Stream: "clicks", Clock: clk},
	}
}

// checkpoint returns the shard's checkpointed sequence number.
func checkpoint(tb testing.TB, cp stream.Checkpointer, shard string) string {
	tb.Helper()
	l, err := cp.Get(context.Background(), shard)
	if err != nil {
		tb.Fatal(err)
	}
	return l.SequenceNumber
}

func TestConsumer_Drain(t *testing.T) {
	ctx := context.Background()
	client, _ := newKinesis(t)
	store := laketest.NewStore(t)
	events := makeEvents(1, 1200)
	p := &stream.Producer{Client: client, Stream: "clicks", Clock: clock.NewSim(t0)}
	put, err := p.Put(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := put.Acknowledged, len(events); got != want {
		t.Fatalf("acknowledged %d, want %d", got, want)
	}
	if put.Calls != 3 {
		t.Errorf("PutRecords calls = %d, want 3 (batches of 500)", put.Calls)
	}
	c := newConsumer(client, store, store)
	st, err := c.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Valid, len(events); got != want {
		t.Fatalf("valid = %d, want %d", got, want)
	}

	t.Run("EveryEventOnceInRaw", func(t *testing.T) {
		seen := map[string]int{}
		for _, recs := range rawRecords(t, store) {
			for _, r := range recs {
				seen[r.EventID]++
			}
		}
		for _, e := range events {
			if seen[e.EventID] != 1 {
				t.Fatalf("event %s is in RAW %d times", e.EventID, seen[e.EventID])
			}
		}
		if len(seen) != len(events) {
			t.Fatalf("RAW holds %d events, want %d", len(seen), len(events))
		}
	})
	t.Run("KeysFollowShardAndSequence", func(t *testing.T) {
		for key, recs := range rawRecords(t, store) {
			first, last := recs[0], recs[len(recs)-1]
			want, err := lake.RawEventsKey(first.IngestionTime, "clicks", first.ShardID, first.SequenceNumber, last.SequenceNumber)
			if err != nil {
				t.Fatal(err)
			}
			if key != want {
				t.Errorf("key %s, want %s", key, want)
			}
			if !strings.HasPrefix(key, "raw/events/dt=2026-01-05/hr=10/clicks-shardId-") {
				t.Errorf("key %s is not under the arrival hour", key)
			}
			for _, r := range recs {
				if r.ShardID != first.ShardID {
					t.Errorf("%s mixes shards %s and %s", key, first.ShardID, r.ShardID)
				}
			}
		}
	})
	t.Run("CheckpointIsLastDurable", func(t *testing.T) {
		lastByShard := map[string]string{}
		for _, recs := range rawRecords(t, store) {
			for _, r := range recs {
				if r.SequenceNumber > lastByShard[r.ShardID] {
					lastByShard[r.ShardID] = r.SequenceNumber
				}
			}
		}
		for shard, last := range lastByShard {
			if got := checkpoint(t, c.Checkpointer, shard); got != last {
				t.Errorf("shard %s checkpoint %s, last durable %s", shard, got, last)
			}
		}
	})
	t.Run("SecondDrainReadsNothing", func(t *testing.T) {
		st, err := c.Drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != 0 || st.Objects != 0 {
			t.Fatalf("second drain read %d records and wrote %d objects", st.Records, st.Objects)
		}
	})
}

// failingStore fails the RAW write after allow successful ones, like a
// consumer that dies while writing.
type failingStore struct {
	lake.Store
	allow int
}

func (f *failingStore) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	if strings.HasPrefix(key, lake.RawEvents) {
		if f.allow == 0 {
			return errors.New("injected: connection reset")
		}
		f.allow--
	}
	return f.Store.PutIfAbsent(ctx, key, body)
}

// failingCheckpointer fails every Set, like a consumer that dies after the
// RAW write and before the checkpoint.
type failingCheckpointer struct{ stream.Checkpointer }

func (failingCheckpointer) Checkpoint(context.Context, *stream.Lease, string, bool) error {
	return errors.New("injected: crash before checkpoint")
}

func TestConsumer_CheckpointNeverPassesRaw(t *testing.T) {
	ctx := context.Background()
	for allow := 0; allow <= 6; allow += 3 {
		t.Run(fmt.Sprintf("CrashAfter%dWrites", allow), func(t *testing.T) {
			client, _ := newKinesis(t)
			store := laketest.NewStore(t)
			events := makeEvents(uint64(allow)+2, 900)
			if _, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clock.NewSim(t0)}).Put(ctx, events); err != nil {
				t.Fatal(err)
			}
			crashing := newConsumer(client, &failingStore{Store: store, allow: allow}, store)
			if _, err := crashing.Drain(ctx); err == nil {
				t.Fatal("drain with a failing store succeeded")
			}
			// Every checkpoint must point at a record that is in RAW.
			durable := map[string]string{}
			for _, recs := range rawRecords(t, store) {
				for _, r := range recs {
					if r.SequenceNumber > durable[r.ShardID] {
						durable[r.ShardID] = r.SequenceNumber
					}
				}
			}
			for _, shard := range []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003"} {
				if cp := checkpoint(t, crashing.Checkpointer, shard); cp > durable[shard] {
					t.Fatalf("shard %s checkpoint %q passes the last durable record %q", shard, cp, durable[shard])
				}
			}
			// The restarted consumer (same owner: its own leases) completes
			// RAW: nothing lost, nothing twice.
			if _, err := newConsumer(client, store, store).Drain(ctx); err != nil {
				t.Fatal(err)
			}
			assertExactlyOnce(t, store, events)
		})
	}
	t.Run("CrashBeforeCheckpoint", func(t *testing.T) {
		client, _ := newKinesis(t)
		store := laketest.NewStore(t)
		events := makeEvents(9, 300)
		if _, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clock.NewSim(t0)}).Put(ctx, events); err != nil {
			t.Fatal(err)
		}
		crashing := newConsumer(client, store, store)
		crashing.Checkpointer = failingCheckpointer{crashing.Checkpointer}
		if _, err := crashing.Drain(ctx); err == nil {
			t.Fatal("drain with a failing checkpointer succeeded")
		}
		st, err := newConsumer(client, store, store).Drain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Existing == 0 {
			t.Fatal("the restart did not find the batch written before the crash")
		}
		assertExactlyOnce(t, store, events)
	})
}

func assertExactlyOnce(tb testing.TB, store lake.Store, events []stream.Event) {
	tb.Helper()
	seen := map[string]int{}
	for _, recs := range rawRecords(tb, store) {
		for _, r := range recs {
			seen[r.EventID]++
		}
	}
	var missing, twice []string
	for _, e := range events {
		switch seen[e.EventID] {
		case 0:
			missing = append(missing, e.EventID)
		case 1:
		default:
			twice = append(twice, e.EventID)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(twice) > 0 {
		tb.Fatalf("%d events missing from RAW, %d duplicated (first missing: %v)", len(missing), len(twice), missing[:min(3, len(missing))])
	}
}

func TestConsumer_Quarantine(t *testing.T) {
	ctx := context.Background()
	client, _ := newKinesis(t)
	store := laketest.NewStore(t)
	good := makeEvents(3, 1)
	data, _ := json.Marshal(good[0])
	recs := []types.PutRecordsRequestEntry{
		{Data: data, PartitionKey: aws.String("s")},
		{Data: []byte(`{"event_id":`), PartitionKey: aws.String("s")},
		{Data: []byte(`{"event_id":"x","event_type":"teleport","event_time":"2026-01-05T10:00:00Z","session_id":"s","schema_version":1}`), PartitionKey: aws.String("s")},
	}
	if _, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("clicks"), Records: recs}); err != nil {
		t.Fatal(err)
	}
	st, err := newConsumer(client, store, store).Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Valid != 1 || st.Invalid != 2 {
		t.Fatalf("valid %d invalid %d, want 1 and 2", st.Valid, st.Invalid)
	}
	infos, err := store.List(ctx, lake.QuarantinePrefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 {
		t.Fatalf("%d quarantine objects, want 1", len(infos))
	}
	body, err := store.Get(ctx, infos[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(bytes.NewReader(body))
	text, _ := io.ReadAll(zr)
	for _, want := range []string{"unknown event_type", "teleport", `"sequence_number"`, "invalid event"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("quarantine lacks %q:\n%s", want, text)
		}
	}
}

func TestParseEvent(t *testing.T) {
	good := makeEvents(4, 1)[0]
	data, _ := json.Marshal(good)
	t.Run("OK", func(t *testing.T) {
		got, err := stream.ParseEvent(data)
		if err != nil {
			t.Fatal(err)
		}
		if got.EventID != good.EventID || !got.EventTime.Equal(good.EventTime) {
			t.Fatalf("round trip changed the event: %+v", got)
		}
	})
	for name, in := range map[string]string{
		"ErrNotJSON":       `nope`,
		"ErrMissingID":     strings.Replace(string(data), good.EventID, "", 1),
		"ErrWrongType":     strings.Replace(string(data), `"user_id":`, `"user_id":"abc","u":`, 1),
		"ErrVersion0":      strings.Replace(string(data), fmt.Sprintf(`"schema_version":%d`, stream.SchemaVersion), `"schema_version":0`, 1),
		"ErrVersionAhead":  strings.Replace(string(data), fmt.Sprintf(`"schema_version":%d`, stream.SchemaVersion), fmt.Sprintf(`"schema_version":%d`, stream.SchemaVersion+1), 1),
		"ErrDimensionType": strings.Replace(string(data), `"event_id"`, `"channel":7,"event_id"`, 1),
		"ErrNoProductID":   strings.Replace(string(data), fmt.Sprintf(`"product_id":%d`, *good.ProductID), `"product_id":null`, 1),
		"ErrTrailingBytes": string(data) + `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			if in == string(data) {
				t.Fatal("the case changed nothing in the event")
			}
			if _, err := stream.ParseEvent([]byte(in)); !errors.Is(err, stream.ErrInvalidEvent) {
				t.Fatalf("err = %v, want ErrInvalidEvent", err)
			}
		})
	}
}

// TestParseEvent_Versions: a version 1 event (no dimensions) and a version
// 2 event with every dimension both parse; the dimensions survive a round
// trip through a RAW line, an empty one stays empty (not absent).
func TestParseEvent_Versions(t *testing.T) {
	good := makeEvents(4, 1)[0]
	v1 := good
	v1.SchemaVersion = 1
	v1.DeviceType, v1.DeviceOS, v1.DeviceBrowser, v1.Channel, v1.UTMSource, v1.UTMMedium, v1.UTMCampaign, v1.Referrer, v1.PagePath, v1.Country = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	b1, _ := json.Marshal(v1)
	if strings.Contains(string(b1), "device_type") {
		t.Fatalf("a version 1 event encodes dimensions: %s", b1)
	}
	if _, err := stream.ParseEvent(b1); err != nil {
		t.Fatalf("version 1: %v", err)
	}
	str := func(s string) *string { return &s }
	v2 := good
	v2.SchemaVersion = 2
	v2.DeviceType, v2.DeviceOS, v2.DeviceBrowser = str("mobile"), str("ios"), str("safari")
	v2.Channel, v2.UTMSource, v2.UTMMedium, v2.UTMCampaign = str("paid_social"), str("instagram"), str("cpc"), str("")
	v2.Referrer, v2.PagePath, v2.Country = str("https://l.instagram.com/"), str("/products/3"), str("ES")
	b2, _ := json.Marshal(stream.RawRecord{Event: v2, IngestionTime: good.EventTime, ShardID: "shardId-000000000000", SequenceNumber: "1"})
	var back stream.RawRecord
	if err := json.Unmarshal(b2, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Event, v2) {
		t.Fatalf("round trip through a RAW line:\n got %+v\nwant %+v", back.Event, v2)
	}
	if back.UTMCampaign == nil || *back.UTMCampaign != "" {
		t.Fatalf("an empty utm_campaign came back as %v", back.UTMCampaign)
	}
}

// TestParseEvent_ExtraFields: fields the contract does not name are kept,
// whatever their order and spacing, encoded after the contract's, part of
// the dedup key, and carried through a RAW line; a name that differs from
// the contract's only in case is the contract's field, as encoding/json
// reads it.
func TestParseEvent_ExtraFields(t *testing.T) {
	good := makeEvents(4, 1)[0]
	data, _ := json.Marshal(good)
	in := strings.Replace(string(data), `"event_id"`, `"zeta": [1, 2],"surprise":{"b":1, "a":"x"},"event_id"`, 1)
	e, err := stream.ParseEvent([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"surprise":{"b":1,"a":"x"},"zeta":[1,2]}`; string(e.Extra) != want {
		t.Fatalf("Extra = %s, want %s", e.Extra, want)
	}
	out, _ := json.Marshal(e)
	if !strings.HasSuffix(string(out), `,"surprise":{"b":1,"a":"x"},"zeta":[1,2]}`) {
		t.Fatalf("encoded without its extra fields at the end: %s", out)
	}
	if stream.KeyOf(e) == stream.KeyOf(good) {
		t.Fatal("an event with extra fields has the dedup key of the one without")
	}
	again, err := stream.ParseEvent(out)
	if err != nil || string(again.Extra) != string(e.Extra) || stream.KeyOf(again) != stream.KeyOf(e) {
		t.Fatalf("re-parsed: %v, extra %s, same key %v", err, again.Extra, stream.KeyOf(again) == stream.KeyOf(e))
	}
	line, _ := json.Marshal(stream.RawRecord{Event: e, IngestionTime: good.EventTime, ShardID: "shardId-000000000000", SequenceNumber: "7"})
	var r stream.RawRecord
	if err := json.Unmarshal(line, &r); err != nil || string(r.Extra) != string(e.Extra) || r.SequenceNumber != "7" {
		t.Fatalf("RAW line %s read back: %v, extra %s, sequence %q", line, err, r.Extra, r.SequenceNumber)
	}
	folded := strings.Replace(string(data), `"event_id"`, `"EVENT_ID"`, 1)
	f, err := stream.ParseEvent([]byte(folded))
	if err != nil || f.Extra != nil || f.EventID != good.EventID {
		t.Fatalf("EVENT_ID: %v, extra %s, id %q", err, f.Extra, f.EventID)
	}
}
