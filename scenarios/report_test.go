package scenarios_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/scenarios"
)

// TestReport_Events: the report's events line reads where the data is.
// Clients whose clocks run ahead have their events quarantined at load,
// and the line counts them (not "quarantined 0"), beside the stream's
// QUARANTINE, the producer's refusals, the conflicts and the exact
// duplicates; the balance holds. When a lost PutRecords answer makes the
// producer put records twice, the stream holds copies the fleet never
// sent: the balance still holds, and says how many copies the producer
// made itself, bounded by what it sent again.
func TestReport_Events(t *testing.T) {
	run := func(t *testing.T, file string) (*scenarios.Report, string) {
		t.Helper()
		sc, err := scenarios.Load("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{NoDeterminism: true})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		rep.WriteText(&b)
		if !rep.OK {
			t.Fatalf("%s failed:\n%s", sc.Name, b.String())
		}
		return rep, b.String()
	}

	t.Run("QuarantinedAtLoad", func(t *testing.T) {
		rep, out := run(t, "future_clock_quarantined.yaml")
		e, b := rep.Events, rep.Events.Balance
		if e.LoadQuarantine == 0 || b.LoadQuarantine < int64(e.LoadQuarantine) {
			t.Fatalf("events = %+v: no event quarantined at load", e)
		}
		if e.InRaw == 0 || int64(e.InRaw) != b.InCore+b.LoadQuarantine {
			t.Errorf("in RAW %d, want CORE %d + quarantined at load %d", e.InRaw, b.InCore, b.LoadQuarantine)
		}
		for _, want := range []string{
			fmt.Sprintf("in RAW %d, quarantined %d (at the stream 0, at load %d), rejected 0, conflicts 0", e.InRaw, e.LoadQuarantine, e.LoadQuarantine),
			fmt.Sprintf("balance: sent %d = stored %d + quarantined %d + rejected 0 + exact duplicates %d: balances",
				rep.Totals.Sent, b.Stored(), b.Quarantined(), b.ExactDuplicates()),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the report lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ProducerCopies", func(t *testing.T) {
		rep, out := run(t, "producer_retry_duplicates.yaml")
		b := rep.Events.Balance
		if !b.OK() || b.Difference() <= 0 || b.Difference() > b.Resent {
			t.Fatalf("balance %s: want a surplus of the producer's own copies, at most the %d it resent", b, b.Resent)
		}
		for _, want := range []string{
			fmt.Sprintf("balance: sent %d + producer's copies %d = stored", rep.Totals.Sent, b.Difference()),
			fmt.Sprintf("balances (the producer's copies: of the %d records it sent again after calls that got no answer, %d had landed the first time)", b.Resent, b.Difference()),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the report lacks %q:\n%s", want, out)
			}
		}
	})
}
