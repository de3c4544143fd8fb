package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoplake/shoplake/sim"
)

// progressEvery is how many events sim events writes between progress lines.
const progressEvery = 1_000_000

func newSimEventsCmd(g *globalFlags) *cobra.Command {
	var (
		world worldFlags
		an    sim.AnomalyConfig
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Stream the simulated clickstream to stdout as NDJSON",
		Long: `events streams every event of the simulated world to stdout, one record per
line, in the order a client fleet sends them: the payload a producer puts on
the stream (event contract, schema version 1). The world is generated as a
stream, so a day of millions of events needs little memory.

With anomaly rates, the output is what a faulty fleet sends: duplicates (same
event_id), late and out-of-order sends, client clocks in the future and
malformed records, each counted in the summary on stderr.`,
		Example: "  shoplake sim events --users 100 --days 1 | head\n" +
			"  shoplake sim events --users 1000000 --days 1 --realistic > day.ndjson\n" +
			"  shoplake sim events --duplicates 0.01 --late 0.02 --malformed 0.001 > faulty.ndjson",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, wcfg, err := g.loadWorld(cmd, &world)
			if err != nil {
				return err
			}
			gen, err := sim.NewGenerator(wcfg)
			if err != nil {
				return err
			}
			return writeEvents(cmd.OutOrStdout(), cmd.ErrOrStderr(), gen, an, cfg.Seed)
		},
	}
	world.register(cmd.Flags())
	registerAnomalyFlags(cmd.Flags(), &an)
	return cmd
}

// registerAnomalyFlags defines the flags that make the simulated clickstream
// what a faulty client fleet sends (sim events, produce).
func registerAnomalyFlags(f *pflag.FlagSet, an *sim.AnomalyConfig) {
	shareVar(f, &an.DuplicateRate, "duplicates", "share of events sent more than once (same event_id)")
	shareVar(f, &an.LateRate, "late", "share of events sent late (delay: exponential, mean 1h, up to 3 days)")
	shareVar(f, &an.OutOfOrderRate, "out-of-order", "share of events sent after a later event of their session")
	shareVar(f, &an.FutureClockRate, "future", "share of events from a client clock in the future")
	shareVar(f, &an.MalformedRate, "malformed", "share of events followed by a malformed record")
	shareVar(f, &an.PastClockRate, "past", "share of events from a client clock behind (some far enough for the warehouse to quarantine)")
	shareVar(f, &an.ConflictRate, "conflicts", "share of events resent later with the same event_id and a different payload")
}

// anomalySummary says what the anomalizer did, in one line.
func anomalySummary(c sim.AnomalyCounts) string {
	s := fmt.Sprintf("anomalies: %d duplicate copies, %d late, %d out of order, %d future clock, %d past clock, %d conflicting versions, %d malformed",
		c.Duplicates, c.Late, c.OutOfOrder, c.Future, c.Past, c.Conflicts, c.Malformed)
	if len(c.MalformedByKind) == 0 {
		return s
	}
	kinds := make([]string, 0, len(c.MalformedByKind))
	for k, n := range c.MalformedByKind {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(kinds)
	return s + " (" + strings.Join(kinds, ", ") + ")"
}

// anomalous reports whether any anomaly rate is set, so that the events go
// through an anomalizer.
func anomalous(an sim.AnomalyConfig) bool {
	return an.DuplicateRate+an.LateRate+an.OutOfOrderRate+an.FutureClockRate+an.MalformedRate+an.PastClockRate+an.ConflictRate != 0
}

// writeEvents streams gen's events, through an anomalizer when any rate is
// set, as NDJSON to out, with progress and a summary on errw.
func writeEvents(out, errw io.Writer, gen *sim.Generator, an sim.AnomalyConfig, seed uint64) error {
	w := bufio.NewWriterSize(out, 1<<20)
	began := time.Now() // progress display only
	n := 0
	progress := func() {
		n++
		if n%progressEvery == 0 {
			fmt.Fprintf(errw, "  %d records written [%s]\n", n, time.Since(began).Round(time.Millisecond))
		}
	}
	if !anomalous(an) {
		for e := range gen.Events {
			b, err := e.Encode()
			if err != nil {
				return fmt.Errorf("write event %s: %w", e.EventID, err)
			}
			w.Write(b) // errors stick in w and come back from WriteByte
			if err := w.WriteByte('\n'); err != nil {
				return fmt.Errorf("write event %s: %w", e.EventID, err)
			}
			progress()
		}
	} else {
		a, err := sim.NewAnomalizer(seed, an)
		if err != nil {
			return err
		}
		for d := range a.Deliveries(gen.Events) {
			w.Write(d.Data) // errors stick in w and come back from WriteByte
			if err := w.WriteByte('\n'); err != nil {
				return fmt.Errorf("write record: %w", err)
			}
			progress()
		}
		if err := a.Err(); err != nil {
			return err
		}
		c := a.Counts()
		defer fmt.Fprintln(errw, anomalySummary(c))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	st := gen.Stats()
	fmt.Fprintf(errw, "%d records: %d events of %d sessions, %d orders (%d untracked) [%s]\n",
		n, st.Events, st.Sessions, st.Orders, st.UntrackedPurchases, time.Since(began).Round(time.Millisecond))
	return nil
}
