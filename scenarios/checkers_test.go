package scenarios_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/scenarios"
)

// small is the world the broken pipelines run on.
func small(seed uint64) scenarios.Scenario {
	return scenarios.Scenario{Name: fmt.Sprintf("broken-%d", seed), Seed: seed, World: scenarios.World{Users: 60, Days: 2, Traffic: 2}}
}

// TestCheckers_CatchBrokenPipeline breaks the pipeline on purpose, in ways
// a bug could, and checks that the checkers say so: each sabotage must fail
// the check named, with a violation that says what broke. The same world
// without sabotage passes (the control), so what fails is the sabotage.
func TestCheckers_CatchBrokenPipeline(t *testing.T) {
	at := scenarios.Moment{Day: 1, Offset: 11 * 3600e9}
	for _, tc := range []struct {
		name   string
		hook   func(ctx context.Context, r *pipeline.Runner) error
		checks map[string]string // check -> text its violation must contain
	}{
		{name: "Control"},
		{
			// The consumer moves its checkpoint past a batch before writing
			// it, then dies: the batch is never read again.
			name: "CheckpointBeforeWrite",
			hook: func(ctx context.Context, r *pipeline.Runner) error {
				c := r.Consumer()
				if err := c.Connect(ctx); err != nil {
					return err
				}
				b, err := c.Read(ctx)
				if err != nil {
					return err
				}
				l, err := c.Checkpointer.Acquire(ctx, b.ShardID, pipeline.ConsumerOwner)
				if err != nil {
					return err
				}
				if err := c.Checkpointer.Checkpoint(ctx, l, b.Last, false); err != nil {
					return err
				}
				r.RestartConsumer() // dies before Write
				return nil
			},
			checks: map[string]string{"event_accounting": "never reached RAW"},
		},
		{
			// A RAW object disappears before the warehouse loads it.
			name: "RawObjectDeleted",
			hook: func(ctx context.Context, r *pipeline.Runner) error {
				infos, err := r.Env.Lake.List(ctx, lake.RawEvents)
				if err != nil || len(infos) == 0 {
					return fmt.Errorf("no RAW object to delete: %v", err)
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodDelete, r.Env.Endpoints["s3"]+"/"+r.Env.Lake.Bucket()+"/"+infos[len(infos)-1].Key, nil)
				if err != nil {
					return err
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					return fmt.Errorf("delete: %s", resp.Status)
				}
				return nil
			},
			checks: map[string]string{"event_accounting": "never reached RAW", "raw_never_overwritten": "RAW keys deleted"},
		},
		{
			// A writer puts over a RAW key instead of a conditional put.
			name: "RawKeyOverwritten",
			hook: func(ctx context.Context, r *pipeline.Runner) error {
				infos, err := r.Env.Lake.List(ctx, lake.RawEvents)
				if err != nil || len(infos) == 0 {
					return fmt.Errorf("no RAW object to overwrite: %v", err)
				}
				body, err := r.Env.Lake.Get(ctx, infos[0].Key)
				if err != nil {
					return err
				}
				return r.Env.Lake.Put(ctx, infos[0].Key, body)
			},
			checks: map[string]string{"raw_never_overwritten": "written more than once"},
		},
		{
			// A bad model writes an event CORE should not hold: the marts
			// built from it no longer equal the oracle.
			name: "CoreEventInvented",
			hook: inventEvents(new(int)),
			// The hook invents events in the first run only (hidden state,
			// as a bug reading the wall clock would): the second run of
			// the determinism check differs from it.
			checks: map[string]string{"event_accounting": "should not be there", "marts_equal_oracle": "differs", "deterministic": "changed tables"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := small(41)
			o := scenarios.RunOptions{NoDeterminism: tc.name != "CoreEventInvented"}
			sc.Expect.Deterministic = !o.NoDeterminism
			if tc.hook != nil {
				o.Hooks = []scenarios.Hook{{At: at, Name: tc.name, Do: tc.hook}}
			}
			if tc.name == "CoreEventInvented" {
				o.Hooks[0].At = scenarios.Moment{Day: 2, Offset: 11 * 3600e9} // after day 1's build
			}
			rep, err := scenarios.Run(context.Background(), sc, o)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			rep.WriteText(&b)
			failed := map[string]scenarios.CheckResult{}
			for _, c := range rep.Failed() {
				failed[c.Name] = c
			}
			if tc.checks == nil {
				if !rep.OK {
					t.Fatalf("the control run failed:\n%s", b.String())
				}
				return
			}
			for name, want := range tc.checks {
				c, ok := failed[name]
				if !ok {
					t.Errorf("%s did not catch it:\n%s", name, b.String())
					continue
				}
				if !strings.Contains(strings.Join(c.Violations, "\n"), want) {
					t.Errorf("%s caught it but does not say %q: %v", name, want, c.Violations)
				}
			}
			if rep.OK || !strings.HasPrefix(b.String(), "FAIL broken-41  seed 41") {
				t.Errorf("the report does not fail with its seed:\n%s", b.String())
			}
		})
	}
}

// inventEvents inserts three events into CORE on its first call only.
func inventEvents(calls *int) func(ctx context.Context, r *pipeline.Runner) error {
	return func(ctx context.Context, r *pipeline.Runner) error {
		if *calls++; *calls > 1 {
			return nil
		}
		_, err := r.Warehouse().DB().ExecContext(ctx, `INSERT INTO core.events (event_id, event_type, event_time, ingestion_time,
			       session_id, user_id, anonymous_id, product_id, quantity, price, order_id, shard_id, sequence_number)
			SELECT 'invented-' || event_id, event_type, event_time, ingestion_time, session_id || '-x', user_id, anonymous_id,
			       product_id, quantity, price, order_id, shard_id, sequence_number
			FROM core.events ORDER BY event_id LIMIT 3`)
		return err
	}
}

// TestMartsEveryBuild_CatchesStaleDays: late events beyond the lateness
// queue several final days in one build (the heal phase's, which gets
// every late event still on its way); with a backfill limit of one, the
// build leaves the others stale in daily_kpis and session_funnel. The
// marts_every_build checker must say so, naming the build, although the
// heal phase's backfill (run on the check backfill_pending) makes the
// final marts equal the oracle. With the default limit the same scenario
// passes (TestScenarios).
func TestMartsEveryBuild_CatchesStaleDays(t *testing.T) {
	sc, err := scenarios.Parse([]byte(`
name: stale_days
seed: 19
world: {users: 60, traffic: 2, days: 5}
faults: [{kind: late_beyond_lateness, rate: 0.2, delay: 70h..100h}]
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{NoDeterminism: true, BackfillLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	failed := map[string]scenarios.CheckResult{}
	for _, c := range rep.Failed() {
		failed[c.Name] = c
	}
	c, ok := failed["marts_every_build"]
	if !ok {
		t.Fatalf("marts_every_build did not catch the stale days:\n%s", b.String())
	}
	if v := strings.Join(c.Violations, "\n"); !strings.Contains(v, "after ") || !strings.Contains(v, "daily_kpis") {
		t.Errorf("marts_every_build does not name the build and the stale mart: %v", c.Violations)
	}
	if _, bad := failed["marts_equal_oracle"]; bad {
		t.Errorf("the heal phase's backfill did not repair the marts:\n%s", b.String())
	}
}
