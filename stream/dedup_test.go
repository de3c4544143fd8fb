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
			d.Add(fmt.Sprint(i), t0)
		}
		if got, want := d.Len(), 3; got != want {
			t.Fatalf("Len = %d, want %d", got, want)
		}
		for id, want := range map[string]bool{"0": false, "1": false, "2": true, "3": true, "4": true} {
			if got := d.Seen(id); got != want {
				t.Errorf("Seen(%s) = %v, want %v (oldest evicted first)", id, got, want)
			}
		}
	})
	t.Run("BoundedByAge", func(t *testing.T) {
		d := stream.NewDedup(100, time.Minute)
		d.Add("old", t0)
		d.Add("mid", t0.Add(30*time.Second))
		d.Add("new", t0.Add(61*time.Second))
		if d.Seen("old") || !d.Seen("mid") || !d.Seen("new") {
			t.Fatalf("after 61 s: old %v mid %v new %v, want false true true", d.Seen("old"), d.Seen("mid"), d.Seen("new"))
		}
	})
	t.Run("AddTwice", func(t *testing.T) {
		d := stream.NewDedup(2, time.Hour)
		d.Add("a", t0)
		d.Add("a", t0)
		d.Add("b", t0)
		if !d.Seen("a") || d.Len() != 2 {
			t.Fatalf("a repeated add took a slot: Len %d", d.Len())
		}
	})
}
