package stream

import (
	"encoding/json"
	"testing"
	"time"
)

// Encode is json.Marshal without encoding/json's second pass: the bytes must
// be the same, hostile strings (HTML, line separators, invalid UTF-8) and
// Extra included, for events and RAW records alike.
func TestEncode_SameBytesAsMarshal(t *testing.T) {
	base := Event{
		EventID: "e-1", EventType: "product_view", SessionID: "s<1>&\u2028\xff",
		EventTime: time.Date(2026, 1, 5, 10, 0, 0, 123456789, time.FixedZone("x", 3600)), SchemaVersion: 2,
	}
	withExtra := base
	withExtra.Extra = json.RawMessage(`{"a<b":"<&>", "z": [1, 2]}`)
	for _, e := range []Event{base, withExtra} {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("Event.Encode:\n got %s\nwant %s", got, want)
		}
		r := RawRecord{Event: e, IngestionTime: e.EventTime.Add(time.Second).UTC(), ShardID: "shardId-000000000001", SequenceNumber: "42"}
		want, err = json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err = r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("RawRecord.Encode:\n got %s\nwant %s", got, want)
		}
	}
}
