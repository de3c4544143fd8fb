package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/stream"
)

// kinesisEvent wraps events as Lambda delivers them from shard of stream
// clicks, one millisecond apart.
func kinesisEvent(tb testing.TB, shard string, evs []stream.Event) events.KinesisEvent {
	tb.Helper()
	var out events.KinesisEvent
	for i := range evs {
		data, err := json.Marshal(evs[i])
		if err != nil {
			tb.Fatal(err)
		}
		seq := fmt.Sprintf("4%055d", 1000+i)
		out.Records = append(out.Records, events.KinesisEventRecord{
			EventID: shard + ":" + seq, EventSource: "aws:kinesis", EventName: "aws:kinesis:record",
			EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks", AwsRegion: "us-east-1",
			Kinesis: events.KinesisRecord{
				SequenceNumber: seq, PartitionKey: evs[i].SessionID, Data: data, KinesisSchemaVersion: "1.0",
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: t0.Add(time.Duration(i) * time.Millisecond)},
			},
		})
	}
	return out
}

func TestLambdaHandler_Handle(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	evs := makeEvents(80, 250)
	ev := kinesisEvent(t, "shardId-000000000001", evs)

	// The lake fails after the first of three batches.
	h := &stream.LambdaHandler{Store: &failingStore{Store: store, allow: 1}, BatchRecords: 100}
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[100].Kinesis.SequenceNumber {
		t.Fatalf("failures %+v, want the first record of the second batch, %s", resp.BatchItemFailures, ev.Records[100].Kinesis.SequenceNumber)
	}
	// Lambda retries from the reported record, in a new execution
	// environment, with the lake back.
	retry := events.KinesisEvent{Records: ev.Records[100:]}
	h2 := &stream.LambdaHandler{Store: store, BatchRecords: 100}
	resp, err = h2.Handle(ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures on retry: %+v", resp.BatchItemFailures)
	}
	assertExactlyOnce(t, store, evs)
	// The whole event delivered again (a retry after a timeout) finds every
	// batch written.
	if _, err := h2.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := len(rawRecords(t, store)); got != 3 {
		t.Fatalf("%d RAW objects after a redelivery, want 3", got)
	}
	assertExactlyOnce(t, store, evs)
}

// TestLambdaHandler_ConflictingDuplicate: the Lambda handler applies the
// consumer's dedup: an exact copy is dropped, a conflicting one is kept.
func TestLambdaHandler_ConflictingDuplicate(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	evs := makeEvents(32, 3)
	changed := evs[2]
	changed.EventTime = changed.EventTime.Add(time.Hour)
	h := &stream.LambdaHandler{Store: store, BatchRecords: 2}
	if _, err := h.Handle(ctx, kinesisEvent(t, "shardId-000000000001", append(evs, evs[0], changed))); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, recs := range rawRecords(t, store) {
		for _, r := range recs {
			n[r.EventID]++
		}
	}
	if got, want := [2]int{n[evs[0].EventID], n[evs[2].EventID]}, [2]int{1, 2}; got != want {
		t.Fatalf("RAW copies of the exact and the conflicting duplicate = %v, want %v", got, want)
	}
}

// TestLambdaHandler_OnStats: every invocation's statistics reach OnStats,
// with the invalid records counted by reason and the newest arrival of
// each shard; a failed batch is counted as Failed, not as written.
func TestLambdaHandler_OnStats(t *testing.T) {
	ctx := context.Background()
	evs := makeEvents(7, 6)
	ev := kinesisEvent(t, "shardId-000000000001", evs[:4])
	ev.Records[1].Kinesis.Data = []byte(`{not json`)
	ev.Records[2].Kinesis.Data = []byte(`{"event_id":"x","event_type":"teleport","event_time":"2026-01-05T10:00:00Z","session_id":"s","schema_version":1}`)
	other := kinesisEvent(t, "shardId-000000000002", evs[4:])
	ev.Records = append(ev.Records, other.Records...)
	ev.Records = append(ev.Records, ev.Records[0]) // an exact copy

	var got []stream.LambdaStats
	h := &stream.LambdaHandler{Store: laketest.NewStore(t), BatchRecords: 100, OnStats: func(s stream.LambdaStats) { got = append(got, s) }}
	if _, err := h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("OnStats called %d times, want 1", len(got))
	}
	s := got[0]
	if s.Stream != "clicks" || s.Records != 7 || s.Valid != 4 || s.Invalid != 2 || s.Duplicates != 1 || s.Failed != 0 {
		t.Fatalf("stats %+v, want stream clicks, 7 records: 4 valid, 2 invalid, 1 duplicate", s)
	}
	if want := map[string]int{stream.ReasonInvalidJSON: 1, stream.ReasonUnknownEventType: 1}; fmt.Sprint(s.InvalidReasons) != fmt.Sprint(want) {
		t.Fatalf("InvalidReasons %v, want %v", s.InvalidReasons, want)
	}
	if len(s.Shards) != 2 {
		t.Fatalf("shards %+v, want 2", s.Shards)
	}
	for i, want := range []struct {
		id      string
		records int
		newest  time.Time
	}{
		{"shardId-000000000001", 5, ev.Records[3].Kinesis.ApproximateArrivalTimestamp.Time},
		{"shardId-000000000002", 2, other.Records[1].Kinesis.ApproximateArrivalTimestamp.Time},
	} {
		sh := s.Shards[i]
		if sh.ShardID != want.id || sh.Stream != "clicks" || sh.Records != want.records || !sh.NewestArrival.Equal(want.newest) {
			t.Fatalf("shard %d = %+v, want %s with %d records, newest arrival %s", i, sh, want.id, want.records, want.newest)
		}
	}

	// A lake that refuses every write: the records are Failed, and OnStats
	// still hears of the invocation.
	got = nil
	h = &stream.LambdaHandler{Store: &failingStore{Store: laketest.NewStore(t)}, OnStats: func(s stream.LambdaStats) { got = append(got, s) }}
	if _, err := h.Handle(ctx, kinesisEvent(t, "shardId-000000000001", evs)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Failed != len(evs) || got[0].Valid != 0 {
		t.Fatalf("stats %+v, want %d failed", got, len(evs))
	}
}
