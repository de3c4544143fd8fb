package stream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoplake/shoplake/stream"
)

func TestDedup(t *testing.T) {
	t.Run("BoundedByCount", func(t *testing.T) {
		d := stream.NewDedup(3, time.Hour)
		for i := range 5 {
			d.Add(stream.Key{ID: fmt.Sprint(i)}, t0)
		}
		if got, want := d.Len(), 3; got != want {
			t.Fatalf("Len = %d, want %d", got, want)
		}
		for id, want := range map[string]bool{"0": false, "1": false, "2": true, "3": true, "4": true} {
			if got := d.Seen(stream.Key{ID: id}); got != want {
				t.Errorf("Seen(%s) = %v, want %v (oldest evicted first)", id, got, want)
			}
		}
	})
	t.Run("BoundedByAge", func(t *testing.T) {
		d := stream.NewDedup(100, time.Minute)
		d.Add(stream.Key{ID: "old"}, t0)
		d.Add(stream.Key{ID: "mid"}, t0.Add(30*time.Second))
		d.Add(stream.Key{ID: "new"}, t0.Add(61*time.Second))
		if d.Known("old") || !d.Known("mid") || !d.Known("new") {
			t.Fatalf("after 61 s: old %v mid %v new %v, want false true true", d.Known("old"), d.Known("mid"), d.Known("new"))
		}
	})
	t.Run("AddTwice", func(t *testing.T) {
		d := stream.NewDedup(2, time.Hour)
		d.Add(stream.Key{ID: "a"}, t0)
		d.Add(stream.Key{ID: "a"}, t0)
		d.Add(stream.Key{ID: "b"}, t0)
		if !d.Known("a") || d.Len() != 2 {
			t.Fatalf("a repeated add took a slot: Len %d", d.Len())
		}
	})
	t.Run("ExactCopyOnly", func(t *testing.T) {
		d := stream.NewDedup(10, time.Hour)
		e := makeEvents(5, 1)[0]
		d.Add(stream.KeyOf(e), t0)
		copied := e
		copied.EventTime = e.EventTime.In(time.FixedZone("CET", 3600))
		if !d.Seen(stream.KeyOf(copied)) {
			t.Errorf("the same event in another time zone is not an exact copy")
		}
		changed := e
		changed.SessionID = "other"
		if d.Seen(stream.KeyOf(changed)) || !d.Known(changed.EventID) {
			t.Errorf("changed payload: Seen %v Known %v, want false true (a conflict)", d.Seen(stream.KeyOf(changed)), d.Known(changed.EventID))
		}
		d.Add(stream.KeyOf(changed), t0)
		if got, want := d.Len(), 2; got != want {
			t.Errorf("Len = %d, want %d: both versions held", got, want)
		}
	})
}
