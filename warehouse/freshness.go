package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Freshness is how recent CORE is, read from its tables: what a
// dashboard's health strip and a freshness alert look at. Every time is
// UTC; a nil pointer is a value the warehouse does not have yet.
type Freshness struct {
	// NewestEvent is the latest event_time in core.events: the newest
	// thing that happened that the marts can show.
	NewestEvent *time.Time `json:"newest_event_time"`
	// NewestArrival is the latest ingestion_time in core.events: when the
	// newest event CORE holds reached the stream.
	NewestArrival *time.Time `json:"newest_ingestion_time"`
	// LastPromoted is the last promoted Transform run (nil before the
	// first): the marts are as of that run.
	LastPromoted *RunRef `json:"last_promoted,omitempty"`
	// Watermark is the last promoted run's watermark: days before its
	// date are final.
	Watermark *time.Time `json:"watermark"`
}

// Freshness reads how recent CORE is. An unmigrated warehouse (opened
// read-only before any transform) has a zero Freshness; one that lacks
// migrations is an error wrapping ErrMigration.
func (w *Warehouse) Freshness(ctx context.Context) (Freshness, error) {
	if w.schema.unmigrated {
		return Freshness{}, nil
	}
	if err := w.schema.readable(); err != nil {
		return Freshness{}, fmt.Errorf("freshness: %w", err)
	}
	q, err := readSQL("queries/read_freshness.sql")
	if err != nil {
		return Freshness{}, err
	}
	var event, arrival, watermark, finished sql.NullTime
	var run sql.NullInt64
	if err := w.db.QueryRowContext(ctx, q).Scan(&event, &arrival, &run, &watermark, &finished); err != nil {
		return Freshness{}, fmt.Errorf("freshness: %w", err)
	}
	f := Freshness{NewestEvent: optTime(event), NewestArrival: optTime(arrival), Watermark: optTime(watermark)}
	if run.Valid {
		f.LastPromoted = &RunRef{RunID: run.Int64, FinishedAt: optTime(finished)}
	}
	return f, nil
}
