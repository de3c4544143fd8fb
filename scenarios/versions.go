package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// rawFate is what the warehouse must make of one event from the copies RAW
// holds of it.
type rawFate struct {
	copies   int           // valid copies of a version the fleet sent
	rejected bool          // Load quarantines one of them
	kept     *stream.Event // the version CORE holds: the earliest-arriving copy Load keeps; nil if none
}

// rawCopy is one valid record of an event in a readable RAW object.
type rawCopy struct {
	rec   stream.RawRecord
	key   string
	row   int
	ahead bool // beyond the future tolerance
}

// rawVersions decides, for the events of want (id -> the payload
// event_times the fleet sent for it: its version and, for a conflicting
// duplicate, the re-stamped one), what the warehouse must do with the
// copies RAW holds, by its documented rules, read independently of it:
//
//   - Load quarantines a copy whose event_time is more than the future
//     tolerance after its ingestion_time (a clock ahead), or more than the
//     maximum event age before both its ingestion_time and the newest
//     event_time among the believable records of its object (a clock
//     behind; an object of old events alone is a replay of the past and
//     is kept);
//   - CORE keeps, among the copies Load kept, the earliest arrival:
//     ingestion_time, then shard, then sequence number (as numbers), then
//     object key and row (models/core_events.sql).
//
// Objects that do not read back (a checksum that fails, no sha256: not
// shoplake's) or do not gunzip are skipped: Load sets them aside whole.
// A copy whose payload is not one the fleet sent (another event_time, or
// other fields than the world's) is no version: a pipeline that garbled
// it must not make the oracle expect the garbled event.
func rawVersions(ctx context.Context, raw *rawObjects, want map[string]versionsSent) (map[string]*rawFate, error) {
	objs, err := raw.read(ctx)
	if err != nil {
		return nil, err
	}
	fates := map[string]*rawFate{}
	best := map[string]rawCopy{}
	for _, o := range objs {
		for _, c := range o.copies {
			sent, ok := want[c.rec.EventID]
			if !ok || !sent.has(c.rec.Event) {
				continue
			}
			f := fates[c.rec.EventID]
			if f == nil {
				f = &rawFate{}
				fates[c.rec.EventID] = f
			}
			f.copies++
			age := warehouse.DefaultMaxEventAge
			if c.ahead || (c.rec.IngestionTime.Sub(c.rec.EventTime) > age && o.newest.Sub(c.rec.EventTime) > age) {
				f.rejected = true
				continue
			}
			if b, ok := best[c.rec.EventID]; !ok || arrivesBefore(c, b) {
				best[c.rec.EventID] = c
			}
		}
	}
	for id, c := range best {
		ev := c.rec.Event
		fates[id].kept = &ev
	}
	return fates, nil
}

// rawObject is what rawVersions needs of one readable RAW events object:
// its believable records and the newest event_time among those not ahead.
type rawObject struct {
	copies []rawCopy
	newest time.Time
}

// rawObjects reads RAW's events objects once each: they are immutable
// (written once per key, which raw_never_overwritten checks), and the
// oracle of every build (and of every TUI tick) asks again. An object is
// known by its key and ETag, so one replaced is read again.
type rawObjects struct {
	store lake.Store
	mu    sync.Mutex
	seen  map[string]rawObject // key + "\x00" + ETag
}

func newRawObjects(store lake.Store) *rawObjects {
	return &rawObjects{store: store, seen: map[string]rawObject{}}
}

// read returns the readable objects now listed under raw/events/, in key
// order. Objects that do not read back (a checksum that fails, no sha256:
// not shoplake's) or do not gunzip are left out: Load sets them aside
// whole.
func (r *rawObjects) read(ctx context.Context) ([]rawObject, error) {
	infos, err := r.store.List(ctx, lake.RawEvents)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]rawObject, 0, len(infos))
	for _, info := range infos {
		id := info.Key + "\x00" + info.ETag
		if o, ok := r.seen[id]; ok {
			out = append(out, o)
			continue
		}
		body, err := r.store.Get(ctx, info.Key)
		if errors.Is(err, lake.ErrChecksum) {
			continue
		}
		if err != nil {
			return nil, err
		}
		lines, err := gunzipLinesErr(body)
		if err != nil {
			continue
		}
		var o rawObject
		for i, line := range lines {
			rec, ok := believable(line)
			if !ok {
				continue
			}
			ahead := rec.EventTime.Sub(rec.IngestionTime) > warehouse.DefaultFutureTolerance
			if !ahead && rec.EventTime.After(o.newest) {
				o.newest = rec.EventTime
			}
			o.copies = append(o.copies, rawCopy{rec: rec, key: info.Key, row: i + 1, ahead: ahead})
		}
		if info.ETag != "" {
			r.seen[id] = o
		}
		out = append(out, o)
	}
	return out, nil
}

// believable decodes one RAW line as Load does and reports whether it is a
// valid record with its stream position.
func believable(line []byte) (stream.RawRecord, bool) {
	var rec stream.RawRecord
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if dec.Decode(&rec) != nil {
		return rec, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return rec, false
	}
	if rec.Validate() != nil || rec.IngestionTime.IsZero() || rec.ShardID == "" || rec.SequenceNumber == "" {
		return rec, false
	}
	return rec, true
}

// arrivesBefore orders copies as core_events.sql does.
func arrivesBefore(a, b rawCopy) bool {
	switch {
	case !a.rec.IngestionTime.Equal(b.rec.IngestionTime):
		return a.rec.IngestionTime.Before(b.rec.IngestionTime)
	case a.rec.ShardID != b.rec.ShardID:
		return a.rec.ShardID < b.rec.ShardID
	case a.rec.SequenceNumber != b.rec.SequenceNumber:
		return seqLess(a.rec.SequenceNumber, b.rec.SequenceNumber)
	case a.key != b.key:
		return a.key < b.key
	}
	return a.row < b.row
}

// versionsSent is what the fleet sent of one event: the world's event and
// the payload event_times of its versions.
type versionsSent struct {
	event stream.Event
	times []time.Time
}

// has reports whether ev is one of the versions sent: the world's event
// with one of the event_times sent.
func (v versionsSent) has(ev stream.Event) bool {
	for _, t := range v.times {
		if !ev.EventTime.Equal(t) {
			continue
		}
		want := v.event
		want.EventTime = t
		a, err1 := json.Marshal(utc(want))
		b, err2 := json.Marshal(utc(ev))
		if err1 == nil && err2 == nil && bytes.Equal(a, b) {
			return true
		}
	}
	return false
}

func utc(e stream.Event) stream.Event {
	e.EventTime = e.EventTime.UTC()
	return e
}

// rawFates reads, from RAW, what the warehouse must make of the events the
// fleet sent in several versions (conflicting duplicates) or from a clock
// behind (l is held). Nil when there are none. A RAW that cannot be read
// is recorded as broken: the oracle cannot say what CORE must hold.
func (x *run) rawFates(l *deliveryLog, events []stream.Event) map[string]*rawFate {
	want := map[string]versionsSent{}
	for _, ev := range events {
		skew := l.skew[ev.EventID]
		restamp, conflicted := l.restamp[ev.EventID]
		if skew >= 0 && !conflicted {
			continue
		}
		t := ev.EventTime.Add(skew)
		v := versionsSent{event: ev, times: []time.Time{t}}
		if conflicted {
			v.times = append(v.times, t.Add(restamp))
		}
		want[ev.EventID] = v
	}
	if len(want) == 0 {
		return nil
	}
	fates, err := rawVersions(context.Background(), x.raw, want)
	if err != nil {
		x.violate("expected world: read RAW for the events sent in several versions or from a clock behind: %v", err)
		return nil
	}
	return fates
}
