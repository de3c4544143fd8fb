package scenarios_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoplake/shoplake/scenarios"
)

// TestScenarios runs every scenario file of testdata/ and checks that it
// passes; then, over the whole suite, that every fault kind fired at least
// once (a "sometimes" check: a fault that never fires proves nothing).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	var mu sync.Mutex
	fired := map[scenarios.Kind]int{}
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".yaml")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				sc, err := scenarios.Load(f)
				if err != nil {
					t.Fatal(err)
				}
				rep := mustPass(t, sc)
				mu.Lock()
				defer mu.Unlock()
				for _, fr := range rep.Faults {
					fired[fr.Kind] += fr.Fired
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, k := range scenarios.Kinds() {
		if fired[k] == 0 {
			t.Errorf("fault kind %s never fired over the suite: add or fix its scenario file", k)
		}
	}
}

// TestSwarm draws and runs the scenarios of seeds 1 to 20 (make soak runs
// more): every one must pass, and at least scenarios.MinFiredRate of the
// faults drawn must fire, since the swarm draws each only where it can
// strike. A failure names the seed and the command that replays it.
func TestSwarm(t *testing.T) {
	const first, seeds = 1, 20
	// The swarm itself runs the seeds, two at a time, as shoplake scenario
	// swarm does: the reports come back in seed order.
	var lines []uint64
	reps, err := scenarios.Swarm(context.Background(), scenarios.SwarmOptions{
		FirstSeed: first, Seeds: seeds, Parallel: 2,
		Done: func(rep *scenarios.Report) { lines = append(lines, rep.Seed) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, rep := range reps {
		if want := uint64(first + i); rep.Seed != want || lines[i] != want {
			t.Fatalf("report %d is seed %d (Done saw %d), want seed %d: out of order", i, rep.Seed, lines[i], want)
		}
		t.Logf("seed=%d ok=%v (%s)", rep.Seed, rep.OK, rep.Duration.Round(time.Millisecond))
		if !rep.OK {
			var b bytes.Buffer
			rep.WriteText(&b)
			t.Errorf("%s (seed %d) failed:\n%s", rep.Scenario, rep.Seed, b.String())
		}
	}
	sum := scenarios.Summarize(reps)
	t.Logf("swarm: seeds %d..%d, faults drawn %d, fired %d (%.1f%%), %d kinds; not fired: %s",
		first, first+seeds-1, sum.Drawn, sum.Fired, 100*sum.FiredRate, len(sum.Kinds), sum.NotFiredText())
	if len(reps) == seeds && sum.FiredRate < scenarios.MinFiredRate {
		t.Errorf("%d of %d faults drawn fired, fewer than %.0f%%: a fault drawn where it cannot strike proves nothing; not fired: %s",
			sum.Fired, sum.Drawn, 100*scenarios.MinFiredRate, sum.NotFiredText())
	}
	// Seeds run side by side report what they report alone.
	for _, i := range []int{0, 7} {
		alone := mustPass(t, scenarios.Draw(uint64(first+i)))
		if a, b := reportJSON(t, alone), reportJSON(t, reps[i]); a != b {
			t.Errorf("seed %d run alone reports\n%s\nin the swarm\n%s", first+i, a, b)
		}
	}
}

// reportJSON is rep as JSON without its wall-clock duration.
func reportJSON(t *testing.T, rep *scenarios.Report) string {
	r := *rep
	r.Duration = 0
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDraw: the same seed draws the same scenario, every drawn scenario is
// valid and survives a round trip through YAML, and different seeds draw
// different mixes.
func TestDraw(t *testing.T) {
	mixes := map[string]bool{}
	for s := uint64(1); s <= 200; s++ {
		a, b := scenarios.Draw(s), scenarios.Draw(s)
		ya, err := scenarios.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		yb, _ := scenarios.Marshal(b)
		if !bytes.Equal(ya, yb) {
			t.Fatalf("seed %d drew two scenarios", s)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("seed %d drew an invalid scenario: %v\n%s", s, err, ya)
		}
		back, err := scenarios.Parse(ya)
		if err != nil {
			t.Fatalf("seed %d: the saved scenario does not parse: %v\n%s", s, err, ya)
		}
		yback, _ := scenarios.Marshal(back)
		if !bytes.Equal(ya, yback) {
			t.Fatalf("seed %d: YAML round trip differs:\n%s\n---\n%s", s, ya, yback)
		}
		var kinds []string
		for _, f := range a.Faults {
			kinds = append(kinds, string(f.Kind))
		}
		mixes[strings.Join(kinds, ",")] = true
	}
	if len(mixes) < 100 {
		t.Fatalf("200 seeds drew only %d fault mixes", len(mixes))
	}
}

// mustPass runs sc and fails the test with the report if a check failed.
func mustPass(t *testing.T, sc scenarios.Scenario) *scenarios.Report {
	t.Helper()
	rep, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Errorf("%s (seed %d) failed:\n%s", sc.Name, sc.Seed, b.String())
	}
	return rep
}
