package scenarios

import (
	"time"

	"github.com/shoplake/shoplake/pipeline"
)

// Injection is a fault a person injects into a replay while watching it
// (the TUI's menu). Apply turns it into the scenario that replays it: the
// fault at the moment it was injected, so that the run restarted from its
// seed with that scenario reaches the same point and goes on with the
// fault, exactly as a saved file will replay it.
type Injection string

// The injections of the menu.
const (
	InjectAPIDown        Injection = "API down until the next batch is over"
	InjectConsumerCrash  Injection = "consumer crash before its next checkpoint"
	InjectDuplicateBurst Injection = "duplicate burst: an hour of PutRecords answers lost"
	InjectLateBurst      Injection = "late burst: the fleet offline for 6 hours"
	InjectTrafficSpike   Injection = "traffic spike: 10× for 2 hours"
)

// Injections lists the injections in menu order.
func Injections() []Injection {
	return []Injection{InjectAPIDown, InjectConsumerCrash, InjectDuplicateBurst, InjectLateBurst, InjectTrafficSpike}
}

// MomentOf is the moment of t in a world that starts at start, to the
// minute.
func MomentOf(t, start time.Time) Moment {
	d := t.Sub(start)
	day := int(d / (24 * time.Hour))
	return Moment{Day: day + 1, Offset: (d - time.Duration(day)*24*time.Hour).Truncate(time.Minute)}
}

// Apply returns sc with inj added at now, a time of the replay (the start
// of the hour it is about to replay). It is a new scenario; sc is not
// changed.
func (inj Injection) Apply(sc Scenario, now time.Time, start time.Time) Scenario {
	out := sc
	out.Faults = append([]Fault(nil), sc.Faults...)
	out.World.Spikes = append([]Spike(nil), sc.World.Spikes...)
	at := MomentOf(now, start)
	switch inj {
	case InjectAPIDown:
		// The next batch runs at the next midnight plus IngestDelay.
		next := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
		f := Fault{Kind: APIDown, At: &at, For: Duration(next.Add(pipeline.IngestDelay + time.Hour).Sub(now))}
		out.Faults = append(out.Faults, f)
	case InjectConsumerCrash:
		out.Faults = append(out.Faults, Fault{Kind: ConsumerCrash, At: &at, For: Duration(time.Hour), Every: 1, Count: 1})
	case InjectDuplicateBurst:
		out.Faults = append(out.Faults, Fault{Kind: ProducerRetryDups, At: &at, For: Duration(time.Hour), Rate: 1})
	case InjectLateBurst:
		out.Faults = append(out.Faults, Fault{Kind: LateBurst, At: &at, For: Duration(6 * time.Hour)})
	case InjectTrafficSpike:
		out.World.Spikes = append(out.World.Spikes, Spike{At: at, For: Duration(2 * time.Hour), Multiplier: 10})
	}
	return out
}

// LiveChecks are the invariants a replay can check as it goes, from what
// it records in memory: RAW never overwritten, checkpoints forward, and
// what the faults saw broken. The other checkers run at the check tick.
func (p *Replay) LiveChecks() []CheckResult {
	x := p.x
	o := &Observation{}
	x.journal.mu.Lock()
	o.RawPuts = make(map[string]int, len(x.journal.puts))
	for k, v := range x.journal.puts {
		o.RawPuts[k] = v
	}
	o.RawDeletes = append([]string(nil), x.journal.deletes...)
	x.journal.mu.Unlock()
	x.cps.mu.Lock()
	o.CheckpointMoves, o.Backwards = x.cps.moves, append([]string(nil), x.cps.backwards...)
	x.cps.mu.Unlock()
	x.mu.Lock()
	o.Broken = append([]string(nil), x.broken...)
	x.mu.Unlock()
	return []CheckResult{RawNeverOverwritten{}.Check(o), CheckpointsForward{}.Check(o), FaultChecks{}.Check(o)}
}
