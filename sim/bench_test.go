package sim_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// bigConfig is a day of a shop with a million users.
func bigConfig() sim.Config {
	return sim.Config{Seed: 7, Start: sim.DefaultConfig().Start, Days: 1, Users: 1_000_000, Products: 1000}
}

// BenchmarkGenerator streams a day of a 1,000,000-user shop on one
// goroutine and reports events generated per second (setup excluded).
func BenchmarkGenerator(b *testing.B) {
	g, err := sim.NewGenerator(bigConfig())
	if err != nil {
		b.Fatal(err)
	}
	g.OnOrder = func(sim.Order) {}
	var events int64
	b.ResetTimer()
	for b.Loop() {
		for range g.Events {
			events++
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkNewGenerator measures the setup of a 1,000,000-user run.
func BenchmarkNewGenerator(b *testing.B) {
	for b.Loop() {
		if _, err := sim.NewGenerator(bigConfig()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGenerator_BoundedMemory streams a 1,000,000-user day and checks that
// the heap in use while streaming stays far below what holding the day's
// events would take.
func TestGenerator_BoundedMemory(t *testing.T) {
	g, err := sim.NewGenerator(bigConfig())
	if err != nil {
		t.Fatal(err)
	}
	g.OnOrder = func(sim.Order) {}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	var n, peak uint64
	var last time.Time
	for e := range g.Events {
		if e.EventTime.Before(last) {
			t.Fatalf("event %d at %s before %s", n, e.EventTime, last)
		}
		last = e.EventTime
		n++
		if n%500_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	after := ms.HeapInuse
	const eventBytes = 200 // a stream.Event and its strings, held in a slice
	t.Logf("%d events; heap in use: %d MiB before, %d MiB peak while streaming, %d MiB after GC; holding the events would take ~%d MiB",
		n, before>>20, peak>>20, after>>20, n*eventBytes>>20)
	if n < 1_000_000 {
		t.Fatalf("%d events, want at least 1,000,000 for a 1,000,000-user day", n)
	}
	if peak > before+n*eventBytes/4 {
		t.Fatalf("peak heap %d MiB grows with the day (%d events), started at %d MiB", peak>>20, n, before>>20)
	}
	_ = stream.SchemaVersion
}

// BenchmarkGenerator_TenMillionDay streams a day of about 10,000,000 events:
// 1,000,000 users at Traffic 5.5.
func BenchmarkGenerator_TenMillionDay(b *testing.B) {
	cfg := bigConfig()
	cfg.Traffic = 5.5
	g, err := sim.NewGenerator(cfg)
	if err != nil {
		b.Fatal(err)
	}
	g.OnOrder = func(sim.Order) {}
	var events int64
	var ms runtime.MemStats
	var peak uint64
	for b.Loop() {
		for range g.Events {
			events++
			if events%1_000_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
	b.ReportMetric(float64(peak>>20), "peak-heap-MiB")
}
