package scenarios

import (
	"context"
	"fmt"

	"github.com/shoplake/shoplake/internal/rng"
)

// Draw returns the scenario the swarm runs for seed, as TigerBeetle's VOPR
// draws a fault mix from each seed: a small world, a stream of one to four
// shards, and one to four fault kinds at random with random parameters
// (never two that set the same knob). Everything comes from
// rng.New(seed, "scenarios/swarm"): the same seed draws the same scenario.
func Draw(seed uint64) Scenario {
	r := rng.New(seed, "scenarios/swarm")
	sc := Scenario{
		Name: fmt.Sprintf("swarm-%d", seed), Seed: seed, Drawn: true,
		World:  World{Users: 30 + r.IntN(50), Days: 2 + r.IntN(2), Traffic: 1 + float64(r.IntN(3)), Realistic: r.IntN(2) == 0},
		Stream: Stream{Shards: 1 + r.IntN(4)},
	}
	var pool []Kind
	for _, k := range Kinds() {
		if kinds[k].draw != nil {
			pool = append(pool, k)
		}
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	want := 1 + r.IntN(4)
	groups := map[string]bool{}
	for _, k := range pool {
		if len(sc.Faults) == want {
			break
		}
		spec := kinds[k]
		if spec.group != "" && groups[spec.group] {
			continue
		}
		f, ok := spec.draw(r, sc.World.Days)
		if !ok {
			continue
		}
		groups[spec.group] = true
		sc.Faults = append(sc.Faults, f)
	}
	sc.Description = fmt.Sprintf("drawn by the swarm from seed %d", seed)
	return sc
}

// SwarmOptions are how a swarm runs.
type SwarmOptions struct {
	// FirstSeed and Seeds: the swarm runs seeds FirstSeed, FirstSeed+1, ...
	FirstSeed uint64
	Seeds     int
	// Run is passed to every scenario run (Dir must be empty).
	Run RunOptions
	// Done, if set, is called after each seed with its report.
	Done func(*Report)
}

// Swarm draws and runs a scenario for each seed, one after the other, and
// returns their reports. An error is a run that could not be set up.
func Swarm(ctx context.Context, o SwarmOptions) ([]*Report, error) {
	if o.Seeds < 1 {
		return nil, fmt.Errorf("%w: swarm of %d seeds", ErrInvalidScenario, o.Seeds)
	}
	if o.Run.Dir != "" {
		return nil, fmt.Errorf("%w: a swarm runs each seed in its own directory", ErrInvalidScenario)
	}
	var reps []*Report
	for i := 0; i < o.Seeds; i++ {
		sc := Draw(o.FirstSeed + uint64(i))
		rep, err := Run(ctx, sc, o.Run)
		if err != nil {
			return reps, fmt.Errorf("seed %d: %w", sc.Seed, err)
		}
		reps = append(reps, rep)
		if o.Done != nil {
			o.Done(rep)
		}
	}
	return reps, nil
}
