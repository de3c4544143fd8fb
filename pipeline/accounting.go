package pipeline

import (
	"context"
	"fmt"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/warehouse"
)

// Balance accounts for every record the client fleet sent, as Jepsen's
// total-queue does, with each term counted where the data is:
//
//	sent = stored + quarantined + rejected + exact duplicates
//
// stored: in CORE, a superseded version of a conflicting event (RAW and
// meta.event_conflicts keep it) or loaded and not transformed yet (the
// warehouse's tables); quarantined: at the stream (the records of the
// QUARANTINE objects in the lake) or at load (staging.quarantine);
// rejected: refused by the producer before sending (oversized: the
// producer's count, the only place they are); exact duplicates: dropped by
// the consumer's dedup window (its count: a dropped copy is nowhere) or
// removed by CORE's dedup (the warehouse's tables). Sent is the
// producer's count of the records it was handed.
//
// A record in RAW twice (two consumers, a copied object) is one record in
// every term. A difference says that records are missing (lost, or still on
// the stream) or that the pipeline holds records it was not sent (a
// producer retry that put a record twice, another writer).
type Balance struct {
	Sent int64 `json:"sent"`
	// Stored.
	InCore     int64 `json:"in_core"`
	Superseded int64 `json:"superseded_versions"`
	Pending    int64 `json:"not_transformed"`
	// Quarantined.
	StreamQuarantine int64 `json:"quarantined_at_stream"`
	LoadQuarantine   int64 `json:"quarantined_at_load"`
	// Rejected.
	Refused int64 `json:"refused_by_producer"`
	// Exact duplicates.
	DroppedByConsumer  int64 `json:"duplicates_dropped_by_consumer"`
	RemovedInWarehouse int64 `json:"duplicates_removed_in_warehouse"`
	// Indeterminate counts the records sent that the producer neither saw
	// acknowledged nor refused (it gave up on them): they may be on the
	// stream or not. Not a term: it explains a difference.
	Indeterminate int64 `json:"indeterminate"`
	// Resent counts the records the producer sent again after a call that
	// got no answer (Totals.Unanswered): up to that many may be on the
	// stream twice, copies nobody else sent. Not a term: it bounds a
	// surplus that still balances.
	Resent int64 `json:"resent_unanswered"`
}

// Stored is InCore + Superseded + Pending.
func (b Balance) Stored() int64 { return b.InCore + b.Superseded + b.Pending }

// Quarantined is StreamQuarantine + LoadQuarantine.
func (b Balance) Quarantined() int64 { return b.StreamQuarantine + b.LoadQuarantine }

// ExactDuplicates is DroppedByConsumer + RemovedInWarehouse.
func (b Balance) ExactDuplicates() int64 { return b.DroppedByConsumer + b.RemovedInWarehouse }

// Difference is what the right side holds beyond Sent: 0 when the account
// balances, negative when records sent are in none of the places.
func (b Balance) Difference() int64 {
	return b.Stored() + b.Quarantined() + b.Refused + b.ExactDuplicates() - b.Sent
}

// OK reports whether the account balances: every record sent is in one
// of the places, and nothing more is, but for copies the producer itself
// made by sending again after an unanswered call (at most Resent).
func (b Balance) OK() bool { d := b.Difference(); return d >= 0 && d <= b.Resent }

// String is the balance and whether it balances, for a person:
// "sent 100 = stored 97 + quarantined 2 + rejected 1 + exact duplicates 0:
// balances". When the producer's own copies (see Resent) explain a
// surplus, they join the left side: "sent 100 + producer's copies 3 = ...".
func (b Balance) String() string {
	left := fmt.Sprintf("sent %d", b.Sent)
	if d := b.Difference(); d > 0 && d <= b.Resent {
		left += fmt.Sprintf(" + producer's copies %d", d)
	}
	return fmt.Sprintf("%s = stored %d + quarantined %d + rejected %d + exact duplicates %d: %s",
		left, b.Stored(), b.Quarantined(), b.Refused, b.ExactDuplicates(), b.Verdict())
}

// Terms says what each term of String is made of.
func (b Balance) Terms() string {
	return fmt.Sprintf("stored = in CORE %d + superseded versions %d + not transformed yet %d; "+
		"quarantined = at the stream %d + at load %d; rejected = refused by the producer %d; "+
		"exact duplicates = dropped by the consumer %d + removed in the warehouse %d",
		b.InCore, b.Superseded, b.Pending, b.StreamQuarantine, b.LoadQuarantine, b.Refused,
		b.DroppedByConsumer, b.RemovedInWarehouse)
}

// Verdict says whether the account balances and, when it does not, by how
// much and what that can mean.
func (b Balance) Verdict() string {
	d := b.Difference()
	var s string
	switch {
	case d == 0:
		return "balances"
	case d > 0 && d <= b.Resent:
		return fmt.Sprintf("balances (the producer's copies: of the %d records it sent again after calls that got no answer, %d had landed the first time)", b.Resent, d)
	case d < 0:
		s = fmt.Sprintf("does not balance: %d records sent are in none of these places (lost, or still on the stream)", -d)
	default:
		s = fmt.Sprintf("does not balance: %d records more than were sent", d)
		if b.Resent > 0 {
			s += fmt.Sprintf(" and than the %d the producer sent again after unanswered calls", b.Resent)
		}
		s += " (written by someone else, or copied in the lake)"
	}
	if b.Indeterminate > 0 {
		s += fmt.Sprintf("; %d records sent were neither acknowledged nor refused", b.Indeterminate)
	}
	return s
}

// NewBalance adds up the balance of a run: the producer's and the
// consumer's counts (t), the records of the stream's QUARANTINE objects
// (streamQuarantine, read from the lake) and the warehouse's accounting.
func NewBalance(t Totals, streamQuarantine int, wh warehouse.Accounting) Balance {
	e := wh.Events
	return Balance{
		Sent:               int64(t.Sent),
		InCore:             e.InCore,
		Superseded:         e.Superseded,
		Pending:            e.Pending,
		StreamQuarantine:   int64(streamQuarantine),
		LoadQuarantine:     e.Quarantined,
		Refused:            int64(t.Rejected),
		DroppedByConsumer:  int64(t.Duplicates),
		RemovedInWarehouse: e.ExactDuplicates,
		Indeterminate:      int64(max(t.Sent-t.Acknowledged-t.Rejected, 0)),
		Resent:             int64(t.Unanswered),
	}
}

// Account is where a run's records are, read from where the data is: the
// lake's RAW and QUARANTINE objects, its STAGING manifests, and the
// warehouse's tables; its Balance adds the producer's and the consumer's
// counts of what they alone know (sent, refused, dropped copies).
//
// The Balance's terms are the warehouse's, STAGING's included: they must
// split one set of records, and what is stored (in CORE, superseded, not
// transformed yet) exists only in the warehouse, relative to what it
// loaded; the lake's STAGING may hold objects a warehouse has not loaded
// (a load that failed after staging, a warehouse rebuilt from the lake).
// Staging is the lake's side of the same count, for NotStaged.
type Account struct {
	// Raw counts the records of the RAW events objects; StreamQuarantine
	// those of the consumer's QUARANTINE objects.
	Raw              lake.RecordCount `json:"raw_events"`
	StreamQuarantine lake.RecordCount `json:"quarantine_events"`
	// Staging adds up the staging manifests of the RAW events objects:
	// objects staged, rows of their events files (Rows["events"]), records
	// the transform rejected and repaired. It reads the manifests, never a
	// Parquet file.
	Staging   lake.StagedCount     `json:"staging_events"`
	Warehouse warehouse.Accounting `json:"warehouse"`
	Balance   Balance              `json:"balance"`
}

// NotLoaded counts the RAW records that are neither in staging.events nor
// quarantined at load: in objects set aside (meta.quarantined_objects),
// unreadable, or not loaded yet. Negative when the warehouse holds events
// RAW no longer has.
func (a Account) NotLoaded() int64 {
	return int64(a.Raw.Records) - a.Warehouse.Events.StagingRows - a.Warehouse.Events.QuarantinedRows
}

// NotStaged is NotLoaded as the lake sees it: the RAW records in no staged
// object's events file and not rejected by the transform (in objects set
// aside, unreadable, or not staged yet). It exceeds NotLoaded by nothing
// and falls short of it by the records of objects staged that the
// warehouse has not loaded.
func (a Account) NotStaged() int64 {
	return int64(a.Raw.Records) - a.Staging.Rows["events"] - a.Staging.Rejected
}

// Account reads where the run's records are: RAW, QUARANTINE and the
// staging manifests from the lake, the warehouse's accounting, and the
// balance. It reads every RAW events object: its cost is the size of RAW.
func (r *Runner) Account(ctx context.Context) (Account, error) {
	var a Account
	var err error
	if a.Raw, err = lake.CountRecords(ctx, r.Env.Lake, lake.RawEvents); err != nil {
		return a, err
	}
	if a.StreamQuarantine, err = lake.CountRecords(ctx, r.Env.Lake, lake.QuarantineEvents); err != nil {
		return a, err
	}
	staged, err := lake.ReadStagedManifests(ctx, r.Env.Lake, lake.StagedEvents)
	if err != nil {
		return a, fmt.Errorf("account for STAGING: %w", err)
	}
	a.Staging = staged.Count(lake.RawEvents)
	if a.Warehouse, err = r.wh.Accounting(ctx); err != nil {
		return a, err
	}
	a.Balance = NewBalance(r.totals, a.StreamQuarantine.Records, a.Warehouse)
	return a, nil
}
