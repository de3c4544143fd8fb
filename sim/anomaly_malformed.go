package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shoplake/shoplake/stream"
)

// eventFieldOrder is the order json.Marshal writes stream.Event's fields in;
// malformed records keep it, so that they differ from a valid record only
// where they are broken. Fields not listed (a newer schema) follow, sorted.
var eventFieldOrder = []string{
	"event_id", "event_type", "event_time", "session_id", "user_id", "anonymous_id",
	"product_id", "quantity", "price", "order_id",
	"device_type", "device_os", "device_browser", "channel", "utm_source", "utm_medium",
	"utm_campaign", "referrer", "page_path", "country", "schema_version",
}

// unknownEventTypes are the event_type values of MalformedUnknownEventType:
// typos, other casings, other naming styles, types of another schema, blank.
var unknownEventTypes = []string{
	"page_veiw", "PageView", "PURCHASE", "add-to-cart", "refund", "checkout",
	"", "page_view ", "purchase\x00", "product_view_v2",
}

// junk builds a malformed record from e, sent at t, carrying id as its
// event_id (unless its kind removes it).
func (p *anomalyPass) junk(e stream.Event, t time.Time, id string) (Delivery, error) {
	r := p.junkR
	kind := p.cfg.MalformedKinds[r.IntN(len(p.cfg.MalformedKinds))]
	d := Delivery{
		SendAt:        t,
		PartitionKey:  e.SessionID,
		EventID:       id,
		SourceEventID: e.EventID,
		EventTime:     e.EventTime,
		Anomalies:     AnomalyMalformed,
		Malformed:     kind,
	}
	ev := e
	ev.EventID = id
	base, err := ev.Encode()
	if err != nil {
		return Delivery{}, fmt.Errorf("anomalies: encode event %s: %w", e.EventID, err)
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(base, &fields); err != nil {
		return Delivery{}, fmt.Errorf("anomalies: decode event %s: %w", e.EventID, err)
	}
	quote := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }

	switch kind {
	case MalformedInvalidJSON:
		switch r.IntN(5) {
		case 0: // truncated: never ends its object
			cut := len(base)/2 + r.IntN(len(base)-1-len(base)/2)
			d.Data = slices.Clone(base[:cut])
		case 1: // single quotes
			d.Data = bytes.ReplaceAll(base, []byte(`"`), []byte(`'`))
		case 2: // trailing comma
			d.Data = append(slices.Clone(base[:len(base)-1]), ",}"...)
		case 3: // UTF-8 byte order mark
			d.Data = append([]byte("\xef\xbb\xbf"), base...)
		default: // two records glued together
			d.Data = append(slices.Clone(base), base...)
		}
		return d, nil

	case MalformedMissingField:
		names := []string{"event_id", "event_time", "session_id", "schema_version"}
		switch e.EventType {
		case stream.ProductView, stream.AddToCart, stream.RemoveFromCart:
			names = append(names, "product_id")
		case stream.Purchase:
			names = append(names, "order_id")
		}
		name := names[r.IntN(len(names))]
		delete(fields, name)
		if name == "event_id" {
			d.EventID = ""
		}

	case MalformedWrongType:
		type change struct {
			name string
			v    json.RawMessage
		}
		changes := []change{
			{"user_id", quote("abc")},
			{"event_time", json.RawMessage(strconv.FormatInt(e.EventTime.UnixMilli(), 10))},
			{"schema_version", quote(strconv.Itoa(stream.SchemaVersion))},
			{"session_id", json.RawMessage(strconv.FormatUint(r.Uint64()>>11, 10))},
		}
		if e.UserID != nil {
			changes = append(changes, change{"user_id", quote(strconv.FormatInt(*e.UserID, 10))})
		}
		if e.ProductID != nil {
			changes = append(changes, change{"product_id", quote(strconv.FormatInt(*e.ProductID, 10))})
		}
		if e.Quantity != nil {
			changes = append(changes, change{"quantity", quote(strconv.FormatInt(*e.Quantity, 10))})
		}
		if e.Price != nil {
			changes = append(changes, change{"price", quote(e.Price.String())})
		}
		if e.OrderID != nil {
			changes = append(changes, change{"order_id", quote(strconv.FormatInt(*e.OrderID, 10))})
		}
		c := changes[r.IntN(len(changes))]
		fields[c.name] = c.v

	case MalformedUnknownEventType:
		fields["event_type"] = quote(unknownEventTypes[r.IntN(len(unknownEventTypes))])

	case MalformedOversized:
		n := stream.MaxRecordBytes + 1 + r.IntN(1024)
		pad := make([]byte, n+2)
		for i := range pad {
			pad[i] = 'x'
		}
		pad[0], pad[n+1] = '"', '"'
		fields["anonymous_id"] = pad
	}
	d.Data = writeOrdered(fields)
	return d, nil
}

// writeOrdered writes fields as one JSON object, in eventFieldOrder.
func writeOrdered(fields map[string]json.RawMessage) []byte {
	size := 2
	for k, v := range fields {
		size += len(k) + len(v) + 4
	}
	buf := make([]byte, 0, size)
	buf = append(buf, '{')
	write := func(k string) {
		v, ok := fields[k]
		if !ok {
			return
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		key, _ := json.Marshal(k)
		buf = append(buf, key...)
		buf = append(buf, ':')
		buf = append(buf, v...)
		delete(fields, k)
	}
	for _, k := range eventFieldOrder {
		write(k)
	}
	rest := make([]string, 0, len(fields))
	for k := range fields {
		rest = append(rest, k)
	}
	slices.Sort(rest)
	for _, k := range rest {
		write(k)
	}
	return append(buf, '}')
}
