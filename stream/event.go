package stream

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// SchemaVersion is the version of the event contract this code writes and reads.
const SchemaVersion = 1

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
	EventID       string       `json:"event_id"`
	EventType     EventType    `json:"event_type"`
	EventTime     time.Time    `json:"event_time"`
	SessionID     string       `json:"session_id"`
	UserID        *int64       `json:"user_id"`
	AnonymousID   string       `json:"anonymous_id"`
	ProductID     *int64       `json:"product_id"`
	Quantity      *int64       `json:"quantity,omitempty"`
	Price         *money.Cents `json:"price,omitempty"`
	OrderID       *int64       `json:"order_id"`
	SchemaVersion int          `json:"schema_version"`
}

// Validate checks e against the contract and returns an error naming the
// first rule it breaks.
func (e *Event) Validate() error {
	switch {
	case e.EventID == "":
		return fmt.Errorf("%w: event_id is required", ErrInvalidEvent)
	case !e.EventType.Valid():
		return fmt.Errorf("%w: unknown event_type %q", ErrInvalidEvent, e.EventType)
	case e.EventTime.IsZero():
		return fmt.Errorf("%w: event_time is required", ErrInvalidEvent)
	case e.SessionID == "":
		return fmt.Errorf("%w: session_id is required", ErrInvalidEvent)
	case e.SchemaVersion != SchemaVersion:
		return fmt.Errorf("%w: schema_version %d, want %d", ErrInvalidEvent, e.SchemaVersion, SchemaVersion)
	}
	switch e.EventType {
	case ProductView, AddToCart, RemoveFromCart:
		if e.ProductID == nil {
			return fmt.Errorf("%w: product_id is required for %s", ErrInvalidEvent, e.EventType)
		}
	case Purchase:
		if e.OrderID == nil {
			return fmt.Errorf("%w: order_id is required for purchase", ErrInvalidEvent)
		}
	}
	return nil
}

// ParseEvent decodes one record's data and validates it. Unknown fields are
// rejected, so that a producer's drift is noticed rather than dropped.
func ParseEvent(data []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytesReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: trailing data after the event object", ErrInvalidEvent)
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
