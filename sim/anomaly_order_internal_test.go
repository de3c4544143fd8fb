package sim

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/stream"
)

// TestEventFieldOrder: a malformed record keeps the field order of a valid
// one (eventFieldOrder), so it differs from it only where it is broken:
// the order json.Marshal writes an event with every field set, dimensions
// of contract version 2 included.
func TestEventFieldOrder(t *testing.T) {
	s := func(v string) *string { return &v }
	n := int64(1)
	p := money.Cents(100)
	e := stream.Event{EventID: "e", EventType: stream.Purchase, EventTime: time.Unix(0, 0).UTC(), SessionID: "s",
		UserID: &n, AnonymousID: "a", ProductID: &n, Quantity: &n, Price: &p, OrderID: &n,
		DeviceType: s("mobile"), DeviceOS: s("ios"), DeviceBrowser: s("safari"), Channel: s("direct"),
		UTMSource: s(""), UTMMedium: s(""), UTMCampaign: s(""), Referrer: s(""), PagePath: s("/"), Country: s("ES"),
		SchemaVersion: stream.SchemaVersion}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(keys, eventFieldOrder) {
		t.Fatalf("json.Marshal writes %v,\neventFieldOrder is %v", keys, eventFieldOrder)
	}
}
