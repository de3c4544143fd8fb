package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// SchemaVersion is the version of the event contract this code writes.
// It reads every version from MinSchemaVersion on: version 1 has no
// dimensions (they load as unknown), version 2 adds them.
const (
	SchemaVersion    = 2
	MinSchemaVersion = 1
)

// EventType is the kind of a clickstream event.
type EventType string

// The event types of schema version 1.
const (
	PageView       EventType = "page_view"
	ProductView    EventType = "product_view"
	AddToCart      EventType = "add_to_cart"
	RemoveFromCart EventType = "remove_from_cart"
	BeginCheckout  EventType = "begin_checkout"
	Purchase       EventType = "purchase"
)

// EventTypes lists every valid event type, in funnel order.
var EventTypes = []EventType{PageView, ProductView, AddToCart, RemoveFromCart, BeginCheckout, Purchase}

// Valid reports whether t is one of EventTypes.
func (t EventType) Valid() bool {
	for _, v := range EventTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Event is one clickstream event: the JSON object carried by one Kinesis
// record (DESIGN.md, "Data contracts"). The producer never sets the ingestion
// time; it is the record's arrival time at the stream.
type Event struct {
	EventID     string       `json:"event_id"`
	EventType   EventType    `json:"event_type"`
	EventTime   time.Time    `json:"event_time"`
	SessionID   string       `json:"session_id"`
	UserID      *int64       `json:"user_id"`
	AnonymousID string       `json:"anonymous_id"`
	ProductID   *int64       `json:"product_id"`
	Quantity    *int64       `json:"quantity,omitempty"`
	Price       *money.Cents `json:"price,omitempty"`
	OrderID     *int64       `json:"order_id"`

	// The dimensions of schema version 2, as the client sent them: nil
	// when absent (a version 1 event has none), "" when sent empty (no
	// referrer, no campaign). The warehouse normalises them
	// (internal/clean.Dimension); a value it cannot read becomes
	// "unknown" there, never a rejected event.
	DeviceType    *string `json:"device_type,omitempty"`    // desktop, mobile, tablet
	DeviceOS      *string `json:"device_os,omitempty"`      // windows, macos, ios, android, linux, chromeos, other
	DeviceBrowser *string `json:"device_browser,omitempty"` // chrome, safari, firefox, edge, samsung_internet, other
	Channel       *string `json:"channel,omitempty"`        // direct, organic_search, paid_search, ...
	UTMSource     *string `json:"utm_source,omitempty"`
	UTMMedium     *string `json:"utm_medium,omitempty"`
	UTMCampaign   *string `json:"utm_campaign,omitempty"`
	Referrer      *string `json:"referrer,omitempty"`  // a URL, "" for none
	PagePath      *string `json:"page_path,omitempty"` // the page the event happened on
	Country       *string `json:"country,omitempty"`   // ISO 3166-1 alpha-2

	SchemaVersion int `json:"schema_version"`

	// Extra holds the fields the contract does not name, as sent: a JSON
	// object with sorted keys, or nil. They are kept, not rejected (a
	// producer ahead of this contract loses nothing): encoded after the
	// contract's fields, part of the event's dedup key, and stored in the
	// warehouse's extra column.
	Extra json.RawMessage `json:"-"`
}

// eventFields is Event without its JSON methods: the contract's fields.
type eventFields Event

// Encode returns the bytes json.Marshal(e) returns, faster: encoding/json
// re-reads a Marshaler's output to validate and compact it, which costs
// more than encoding the event (half the time of `shoplake sim events`).
// The producer, the consumer's RAW writer, the dedup key and the simulator
// encode every event through it. An event with Extra takes json.Marshal's
// own path, so that Extra's bytes are escaped and compacted exactly as
// json.Marshal does.
func (e *Event) Encode() ([]byte, error) {
	if len(e.Extra) != 0 {
		return json.Marshal(e)
	}
	return json.Marshal((*eventFields)(e))
}

// MarshalJSON encodes the contract's fields, then Extra's.
func (e Event) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(eventFields(e))
	if err != nil {
		return nil, err
	}
	return withExtra(b, e.Extra), nil
}

// UnmarshalJSON decodes the contract's fields and keeps any other in Extra.
func (e *Event) UnmarshalJSON(data []byte) error {
	var f eventFields
	extra, err := decodeKnown(data, &f, eventNames)
	if err != nil {
		return err
	}
	*e = Event(f)
	e.Extra = extra
	return nil
}

// withExtra appends the members of the JSON object extra to the encoded
// object b. The names never clash: decodeKnown keeps in Extra only the
// names the contract does not have.
func withExtra(b []byte, extra json.RawMessage) []byte {
	if len(extra) <= 2 || len(b) < 2 {
		return b
	}
	out := make([]byte, 0, len(b)+len(extra))
	out = append(out, b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	return append(out, extra[1:]...)
}

// decodeKnown decodes the JSON object data into v and returns, as a JSON
// object with sorted keys, its members whose name matches none of known
// (compared as encoding/json compares them, ignoring case). Most records
// have none: they are decoded once, strictly.
func decodeKnown(data []byte, v any, known []string) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil || !strings.HasPrefix(err.Error(), "json: unknown field ") {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, err
	}
	extra := map[string]json.RawMessage{}
	for name, val := range members {
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, name) }) {
			extra[name] = val
		}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	if len(extra) == 0 {
		return nil, nil
	}
	// Marshal sorts the names and compacts the values: the same fields
	// give the same bytes, whatever their order or spacing.
	return json.Marshal(extra)
}

// jsonNames lists the JSON names of the fields of struct type t, embedded
// structs flattened.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			names = append(names, jsonNames(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// eventNames and rawRecordNames are the names the contract knows.
var (
	eventNames     = jsonNames(reflect.TypeFor[eventFields]())
	rawRecordNames = jsonNames(reflect.TypeFor[rawRecordFields]())
)

// Validate checks e against the contract and returns an error naming the
// first rule it breaks.
func (e *Event) Validate() error {
	switch {
	case e.EventID == "":
		return invalid(ReasonMissingField, "event_id is required")
	case !e.EventType.Valid():
		return invalid(ReasonUnknownEventType, "unknown event_type %q", e.EventType)
	case e.EventTime.IsZero():
		return invalid(ReasonMissingField, "event_time is required")
	case e.SessionID == "":
		return invalid(ReasonMissingField, "session_id is required")
	case e.SchemaVersion < MinSchemaVersion || e.SchemaVersion > SchemaVersion:
		return invalid(ReasonSchemaVersion, "schema_version %d, want %d to %d", e.SchemaVersion, MinSchemaVersion, SchemaVersion)
	}
	switch e.EventType {
	case ProductView, AddToCart, RemoveFromCart:
		if e.ProductID == nil {
			return invalid(ReasonMissingField, "product_id is required for %s", e.EventType)
		}
	case Purchase:
		if e.OrderID == nil {
			return invalid(ReasonMissingField, "order_id is required for purchase")
		}
	}
	return nil
}

// ParseEvent decodes one record's data and validates it. Fields the
// contract does not name are kept in Extra; a field of the contract with a
// value of the wrong type is rejected.
func ParseEvent(data []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytesReader(data))
	if err := dec.Decode(&e); err != nil {
		reason := ReasonInvalidJSON
		if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			reason = ReasonWrongType
		}
		return Event{}, invalid(reason, "%v", err)
	}
	if dec.More() {
		return Event{}, invalid(ReasonInvalidJSON, "trailing data after the event object")
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	e.EventTime = e.EventTime.UTC()
	return e, nil
}

// RawRecord is one line of a RAW events object (raw/events/...ndjson.gz): the
// event as the producer sent it, flattened, plus where and when the stream
// received it.
type RawRecord struct {
	Event
	IngestionTime  time.Time `json:"ingestion_time"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
}

// rawRecordFields is RawRecord without JSON methods.
type rawRecordFields struct {
	eventFields
	IngestionTime  time.Time `json:"ingestion_time"`
	ShardID        string    `json:"shard_id"`
	SequenceNumber string    `json:"sequence_number"`
}

// Encode returns the bytes json.Marshal(r) returns, faster, as
// Event.Encode does.
func (r *RawRecord) Encode() ([]byte, error) {
	if len(r.Extra) != 0 {
		return json.Marshal(r)
	}
	return json.Marshal(&rawRecordFields{eventFields(r.Event), r.IngestionTime, r.ShardID, r.SequenceNumber})
}

// MarshalJSON encodes the record's fields, then its event's Extra.
func (r RawRecord) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(rawRecordFields{eventFields(r.Event), r.IngestionTime, r.ShardID, r.SequenceNumber})
	if err != nil {
		return nil, err
	}
	return withExtra(b, r.Extra), nil
}

// UnmarshalJSON decodes the record's fields and keeps any other in its
// event's Extra.
func (r *RawRecord) UnmarshalJSON(data []byte) error {
	var f rawRecordFields
	extra, err := decodeKnown(data, &f, rawRecordNames)
	if err != nil {
		return err
	}
	*r = RawRecord{Event: Event(f.eventFields), IngestionTime: f.IngestionTime, ShardID: f.ShardID, SequenceNumber: f.SequenceNumber}
	r.Extra = extra
	return nil
}

// The reasons a record is quarantined, by class: the metrics count
// quarantined records by these (ReasonOf), the message says the rest.
const (
	ReasonInvalidJSON      = "invalid_json"       // not one JSON object
	ReasonWrongType        = "wrong_type"         // a field of the contract with a value of the wrong type
	ReasonMissingField     = "missing_field"      // a required field absent or empty
	ReasonUnknownEventType = "unknown_event_type" // event_type not in the contract
	ReasonSchemaVersion    = "schema_version"     // a schema_version this build does not read
	ReasonOther            = "other"              // any other error
)

// reasonError is an ErrInvalidEvent with its class.
type reasonError struct {
	reason string
	err    error
}

func (e *reasonError) Error() string { return e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

func invalid(reason, format string, args ...any) error {
	return &reasonError{reason: reason, err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidEvent}, args...)...)}
}

// ReasonOf returns the class of a ParseEvent error (one of the Reason*
// constants): a bounded set, fit for a metric's label.
func ReasonOf(err error) string {
	if re, ok := errors.AsType[*reasonError](err); ok {
		return re.reason
	}
	return ReasonOther
}
