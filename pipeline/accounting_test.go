package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/warehouse"
)

// TestBalance adds up the terms, and says plainly when they do not make
// what was sent: records missing (with those the producer gave up on), or
// records nobody sent.
func TestBalance(t *testing.T) {
	wh := warehouse.Accounting{Events: warehouse.EventAccounting{InCore: 90, Superseded: 1, Pending: 2, Quarantined: 3, ExactDuplicates: 1}}
	tot := pipeline.Totals{Sent: 100, Acknowledged: 99, Rejected: 1, Duplicates: 1}

	t.Run("OK", func(t *testing.T) {
		b := pipeline.NewBalance(tot, 1, wh)
		if !b.OK() || b.Stored() != 93 || b.Quarantined() != 4 || b.ExactDuplicates() != 2 {
			t.Fatalf("%s (%s)", b, b.Terms())
		}
		if got, want := b.String(), "sent 100 = stored 93 + quarantined 4 + rejected 1 + exact duplicates 2: balances"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
		if got := b.Terms(); !strings.Contains(got, "stored = in CORE 90 + superseded versions 1 + not transformed yet 2") ||
			!strings.Contains(got, "exact duplicates = dropped by the consumer 1 + removed in the warehouse 1") {
			t.Errorf("Terms() = %q", got)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		lost := tot
		lost.Sent, lost.Acknowledged = 103, 99
		b := pipeline.NewBalance(lost, 1, wh)
		if got, want := b.Verdict(), "does not balance: 3 records sent are in none of these places (lost, or still on the stream); "+
			"3 records sent were neither acknowledged nor refused"; got != want {
			t.Errorf("Verdict() = %q, want %q", got, want)
		}
	})
	t.Run("NotSent", func(t *testing.T) {
		b := pipeline.NewBalance(tot, 3, wh)
		if b.OK() || b.Difference() != 2 || !strings.Contains(b.Verdict(), "does not balance: 2 records more than were sent (written by someone else") {
			t.Errorf("Verdict() = %q", b.Verdict())
		}
	})
	t.Run("ProducerCopies", func(t *testing.T) {
		// Two surplus records, and the producer sent three again after
		// calls that got no answer: its own copies, the account balances.
		resent := tot
		resent.Unanswered = 3
		b := pipeline.NewBalance(resent, 3, wh)
		if !b.OK() || !strings.HasPrefix(b.String(), "sent 100 + producer's copies 2 = ") ||
			!strings.HasSuffix(b.String(), "balances (the producer's copies: of the 3 records it sent again after calls that got no answer, 2 had landed the first time)") {
			t.Errorf("String() = %q", b.String())
		}
		// One surplus record more than the producer's copies can explain.
		resent.Unanswered = 1
		b = pipeline.NewBalance(resent, 3, wh)
		if b.OK() || !strings.Contains(b.Verdict(), "does not balance: 2 records more than were sent and than the 1 the producer sent again") {
			t.Errorf("Verdict() = %q", b.Verdict())
		}
	})
}

// TestRunner_Account_Staging: after a run, the lake's STAGING (its
// manifests) and the warehouse's staging tables hold the same events
// records: every object staged is loaded, and NotStaged is NotLoaded.
func TestRunner_Account_Staging(t *testing.T) {
	res := run(t, testConfig(t.TempDir(), 7))
	a, err := res.runner.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := a.Warehouse.Events
	if a.Staging.Objects == 0 || a.Staging.Objects != a.Raw.Objects {
		t.Errorf("%d RAW events objects staged, want all %d", a.Staging.Objects, a.Raw.Objects)
	}
	if got, want := a.Staging.Rows["events"], e.StagingRows; got != want {
		t.Errorf("staged events rows %d, staging.events %d", got, want)
	}
	if got, want := a.Staging.Rejected, e.QuarantinedRows; got != want {
		t.Errorf("events rejected in STAGING %d, in staging.quarantine %d", got, want)
	}
	if a.NotStaged() != a.NotLoaded() || a.NotStaged() != 0 {
		t.Errorf("not staged %d, not loaded %d; want 0, 0", a.NotStaged(), a.NotLoaded())
	}
}
