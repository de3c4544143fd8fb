package lake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Pruner is what pruning needs of a store: reading, the SHA-256 recorded
// with an object without its body (Head), writing the prune record, and
// deleting. S3Store is one.
type Pruner interface {
	Store
	Head(ctx context.Context, key string) (ObjectInfo, error)
	Delete(ctx context.Context, key string) error
}

var _ Pruner = (*S3Store)(nil)

// PruneOptions say what PlanPrune may delete.
type PruneOptions struct {
	Retention Retention
	// Now is the prune's clock: an object's age is Now minus the end of
	// its dt= partition. Core code never reads the wall clock; the CLI
	// passes its own or --now.
	Now time.Time
	// Loaded is the warehouse's load ledger (RAW key -> SHA-256 loaded,
	// meta.loaded_objects). When it is not nil, a RAW object is pruned only
	// if that warehouse loaded those bytes too.
	Loaded map[string]string
}

// PruneItem is one object a prune deletes.
type PruneItem struct {
	Key  string `json:"key"`
	Zone string `json:"zone"` // PruneZoneOf(Key)
	Size int64  `json:"size_bytes"`
	// Date is the object's partition date (an export's as_of date).
	Date string `json:"date"`
	// SHA256 and StagedBy, for a RAW object: the bytes it held and the
	// staging manifest that holds its records (they go in the prune
	// record).
	SHA256   string `json:"sha256,omitempty"`
	StagedBy string `json:"staged_by,omitempty"`
}

// PruneZone adds up the items of one zone.
type PruneZone struct {
	Zone    string `json:"zone"`
	Objects int    `json:"objects"`
	Bytes   int64  `json:"bytes"`
	Oldest  string `json:"oldest"`
	Newest  string `json:"newest"`
}

// PruneKept counts the objects old enough to go that were kept, by zone
// and reason.
type PruneKept struct {
	Zone    string `json:"zone"`
	Reason  string `json:"reason"`
	Objects int    `json:"objects"`
	Bytes   int64  `json:"bytes"`
}

// PrunePlan is what a prune deletes, and what it keeps that its age alone
// would let go. Delete is in the order Prune deletes: RAW, QUARANTINE,
// the CURATED export manifests, then the mart files.
type PrunePlan struct {
	Now       time.Time   `json:"now"`
	Retention Retention   `json:"retention"`
	Delete    []PruneItem `json:"delete"`
	Zones     []PruneZone `json:"zones"`
	Kept      []PruneKept `json:"kept"`
}

// Reasons a RAW or CURATED object past its age is kept.
const (
	KeepNotStaged      = "not staged: no valid staging manifest names it"
	KeepStagedOther    = "staged from other bytes: its staging manifest recorded another sha256"
	KeepStagingPartial = "its staging is incomplete: a file its manifest names is missing or of another size"
	KeepNotCommitted   = "not committed: no valid commit names it with these bytes"
	KeepNotLoaded      = "not loaded by the warehouse (meta.loaded_objects) with these bytes"
	KeepForeign        = "no sha256 recorded: not written by shoplake (verify reports it)"
	KeepNotData        = "not a RAW data object's key"
	KeepNamedByKept    = "named by an export kept"
	KeepBadExport      = "not a valid export manifest (verify reports it)"
)

// PruneZoneOf names the zone of key in a prune's tables: its first two
// segments (raw/events, raw/fakestore, quarantine/events, curated/_exports,
// curated/daily_kpis).
func PruneZoneOf(key string) string {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) < 3 {
		return parts[0]
	}
	return parts[0] + "/" + parts[1]
}

// PlanPrune applies opts.Retention to the lake as of opts.Now and returns
// what a prune would delete, changing nothing (--dry-run prints it):
//
//   - RAW (raw/events/, raw/fakestore/), when RawExpireDays is set: an
//     object whose partition ended RawExpireDays or more before Now, and
//     only when its records are safe downstream: a valid staging manifest
//     names it with the SHA-256 it holds, every file that manifest names is
//     in the lake with the size it recorded, a FakeStore object is named by
//     a valid commit with that SHA-256, and the warehouse (opts.Loaded,
//     when given) loaded those bytes. Anything else is kept and counted
//     in Kept with why (an object not committed or not staged yet, above
//     all). The lake's bookkeeping under raw/_ (commits, ingestion runs,
//     prune records) is never pruned.
//   - QUARANTINE: the stream's dead letters (QuarantineExpiring) whose
//     partition ended QuarantineExpireDays before Now. The transform's
//     QUARANTINE files belong to their staging and are kept.
//   - CURATED, when CuratedKeepExports is set: the valid export manifests
//     older than the newest CuratedKeepExports, and the mart files only
//     they name. A file a kept export names, an invalid manifest and an
//     orphan (an export may be writing it) are kept.
//   - STAGING, its manifests, the commits and the checkpoints are never
//     pruned: STAGING is the rebuild source of every warehouse.
//
// The error is a listing or a read that failed (the network, the
// context), or an invalid policy.
func PlanPrune(ctx context.Context, store Pruner, opts PruneOptions) (PrunePlan, error) {
	if err := opts.Retention.Validate(); err != nil {
		return PrunePlan{}, err
	}
	if opts.Now.IsZero() {
		return PrunePlan{}, errors.New("plan prune: no clock (PruneOptions.Now)")
	}
	p := &planner{ctx: ctx, store: store, opts: opts, plan: PrunePlan{Now: opts.Now.UTC(), Retention: opts.Retention}, kept: map[[2]string]*PruneKept{}}
	for _, step := range []func() error{p.raw, p.quarantine, p.curated} {
		if err := step(); err != nil {
			return PrunePlan{}, fmt.Errorf("plan prune: %w", err)
		}
	}
	p.plan.Zones = zonesOf(p.plan.Delete)
	for _, k := range p.kept {
		p.plan.Kept = append(p.plan.Kept, *k)
	}
	sort.Slice(p.plan.Kept, func(i, j int) bool {
		a, b := p.plan.Kept[i], p.plan.Kept[j]
		return a.Zone < b.Zone || a.Zone == b.Zone && a.Reason < b.Reason
	})
	return p.plan, nil
}

// planner is one PlanPrune's state.
type planner struct {
	ctx   context.Context
	store Pruner
	opts  PruneOptions
	plan  PrunePlan
	kept  map[[2]string]*PruneKept
}

func (p *planner) keep(info ObjectInfo, reason string) {
	z := PruneZoneOf(info.Key)
	k := p.kept[[2]string{z, reason}]
	if k == nil {
		k = &PruneKept{Zone: z, Reason: reason}
		p.kept[[2]string{z, reason}] = k
	}
	k.Objects++
	k.Bytes += info.Size
}

// old reports whether key's partition ended days or more before Now, and
// its date; false when days is 0 or key has no dt= date.
func (p *planner) old(key string, days int) (string, bool) {
	d, ok := PartitionDate(key)
	if !ok || days <= 0 {
		return d, false
	}
	t, err := time.Parse(DateFormat, d)
	if err != nil {
		return d, false
	}
	return d, !p.opts.Now.Before(t.AddDate(0, 0, 1+days))
}

// raw plans RAW (see PlanPrune).
func (p *planner) raw() error {
	days := p.opts.Retention.RawExpireDays
	if days <= 0 {
		return nil
	}
	type cand struct {
		info ObjectInfo
		date string
	}
	var cands []cand
	for _, prefix := range []string{RawFakestore, RawEvents} {
		infos, err := p.store.List(p.ctx, prefix)
		if err != nil {
			return err
		}
		for _, info := range infos {
			if d, ok := p.old(info.Key, days); ok {
				cands = append(cands, cand{info, d})
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	// The derived files present, by key and size: a manifest's files must
	// all be there for its RAW object to go.
	present := map[string]int64{}
	for _, prefix := range []string{StagingPrefix, QuarantineTransform} {
		infos, err := p.store.List(p.ctx, prefix)
		if err != nil {
			return err
		}
		for _, info := range infos {
			present[info.Key] = info.Size
		}
	}
	var committed map[string]string // FakeStore key -> sha256 a commit names
	for _, c := range cands {
		mkey, err := StagedKey(c.info.Key)
		if err != nil {
			p.keep(c.info, KeepNotData)
			continue
		}
		if strings.HasPrefix(c.info.Key, RawFakestore) && committed == nil {
			cs, err := ReadCommits(p.ctx, p.store, time.Time{})
			if err != nil {
				return err
			}
			committed = map[string]string{}
			for _, rc := range cs.Valid {
				for _, o := range rc.Objects {
					committed[o.Key] = o.SHA256
				}
			}
		}
		head, err := p.store.Head(p.ctx, c.info.Key)
		switch {
		case errors.Is(err, ErrNotFound):
			continue // gone since the listing
		case err != nil:
			return err
		case head.SHA256 == "":
			p.keep(c.info, KeepForeign)
			continue
		}
		body, err := p.store.Get(p.ctx, mkey)
		switch {
		case errors.Is(err, ErrNotFound), isChecksum(err):
			p.keep(c.info, KeepNotStaged)
			continue
		case err != nil:
			return err
		}
		m, err := ParseStaged(mkey, body)
		switch {
		case err != nil:
			p.keep(c.info, KeepNotStaged) // not a valid manifest: verify reports it
			continue
		case m.RawSHA256 != head.SHA256:
			p.keep(c.info, KeepStagedOther)
			continue
		}
		complete := true
		for _, f := range m.Files {
			if size, ok := present[f.Key]; !ok || size != f.Bytes {
				complete = false
			}
		}
		if !complete {
			p.keep(c.info, KeepStagingPartial)
			continue
		}
		if strings.HasPrefix(c.info.Key, RawFakestore) && committed[c.info.Key] != head.SHA256 {
			p.keep(c.info, KeepNotCommitted)
			continue
		}
		if p.opts.Loaded != nil && p.opts.Loaded[c.info.Key] != head.SHA256 {
			p.keep(c.info, KeepNotLoaded)
			continue
		}
		p.plan.Delete = append(p.plan.Delete, PruneItem{Key: c.info.Key, Zone: PruneZoneOf(c.info.Key), Size: c.info.Size, Date: c.date, SHA256: head.SHA256, StagedBy: mkey})
	}
	return nil
}

// quarantine plans QUARANTINE (see PlanPrune).
func (p *planner) quarantine() error {
	days := p.opts.Retention.QuarantineExpireDays
	if days <= 0 {
		return nil
	}
	infos, err := p.store.List(p.ctx, QuarantineExpiring)
	if err != nil {
		return err
	}
	for _, info := range infos {
		if d, ok := p.old(info.Key, days); ok {
			p.plan.Delete = append(p.plan.Delete, PruneItem{Key: info.Key, Zone: PruneZoneOf(info.Key), Size: info.Size, Date: d})
		}
	}
	return nil
}

// curated plans CURATED (see PlanPrune).
func (p *planner) curated() error {
	keepN := p.opts.Retention.CuratedKeepExports
	if keepN <= 0 {
		return nil
	}
	infos, err := p.store.List(p.ctx, CuratedExports)
	if err != nil {
		return err
	}
	type export struct {
		info ObjectInfo
		e    Export
	}
	var valid []export
	for _, info := range infos {
		if _, ok := ExportNumber(info.Key); !ok {
			continue // verify reports it; not ours to delete
		}
		body, err := p.store.Get(p.ctx, info.Key)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil && !isChecksum(err):
			return err
		}
		var e Export
		if err == nil {
			e, err = ParseExport(info.Key, body)
		}
		if err != nil {
			p.keep(info, KeepBadExport)
			continue
		}
		valid = append(valid, export{info, e})
	}
	if len(valid) <= keepN {
		return nil
	}
	sort.Slice(valid, func(i, j int) bool { return valid[i].e.Number < valid[j].e.Number })
	old, kept := valid[:len(valid)-keepN], valid[len(valid)-keepN:]
	keptFiles := map[string]bool{}
	for _, x := range kept {
		for _, m := range x.e.Marts {
			keptFiles[m.Key] = true
		}
	}
	var files []PruneItem
	seen := map[string]bool{}
	// Newest first, so that a file takes the date of the newest export
	// deleted that names it.
	for i := len(old) - 1; i >= 0; i-- {
		x := old[i]
		date := x.e.AsOf[:min(len(x.e.AsOf), len(DateFormat))]
		p.plan.Delete = append(p.plan.Delete, PruneItem{Key: x.info.Key, Zone: PruneZoneOf(x.info.Key), Size: x.info.Size, Date: date})
		for _, m := range x.e.Marts {
			if seen[m.Key] {
				continue
			}
			seen[m.Key] = true
			if keptFiles[m.Key] {
				p.keep(ObjectInfo{Key: m.Key, Size: m.Bytes}, KeepNamedByKept)
				continue
			}
			files = append(files, PruneItem{Key: m.Key, Zone: PruneZoneOf(m.Key), Size: m.Bytes, Date: date})
		}
	}
	// The manifests go before the files they name: a prune stopped half
	// way leaves orphans, never a manifest naming a missing file.
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	p.plan.Delete = append(p.plan.Delete, files...)
	return nil
}

// zonesOf adds up items by zone, sorted by zone.
func zonesOf(items []PruneItem) []PruneZone {
	byZone := map[string]*PruneZone{}
	for _, it := range items {
		z := byZone[it.Zone]
		if z == nil {
			z = &PruneZone{Zone: it.Zone, Oldest: it.Date, Newest: it.Date}
			byZone[it.Zone] = z
		}
		z.Objects++
		z.Bytes += it.Size
		if it.Date != "" && (z.Oldest == "" || it.Date < z.Oldest) {
			z.Oldest = it.Date
		}
		if it.Date > z.Newest {
			z.Newest = it.Date
		}
	}
	var out []PruneZone
	for _, z := range byZone {
		out = append(out, *z)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zone < out[j].Zone })
	return out
}

// PruneResult is what Prune did.
type PruneResult struct {
	// Record is the key of the prune record written ("" when no RAW
	// object was deleted).
	Record  string `json:"record,omitempty"`
	Deleted int    `json:"deleted"`
	Bytes   int64  `json:"bytes"`
}

// Prune deletes what plan lists, in its order. Before the first RAW object
// goes it writes the prune record of every RAW object in the plan
// (WritePruned), so that the lake says at every moment where their records
// are: a prune stopped half way leaves objects the record names still in
// RAW, which loads and verify accept. It stops at the first failure and
// returns what it did so far. Deleting is idempotent: a prune run again
// after a failure deletes the rest.
func Prune(ctx context.Context, store Pruner, plan PrunePlan) (PruneResult, error) {
	var res PruneResult
	var raw []PrunedObject
	for _, it := range plan.Delete {
		if it.StagedBy != "" {
			raw = append(raw, PrunedObject{Key: it.Key, SHA256: it.SHA256, Bytes: it.Size, StagedBy: it.StagedBy})
		}
	}
	if len(raw) > 0 {
		key, err := WritePruned(ctx, store, Pruned{Format: PrunedFormat, PrunedAt: plan.Now.UTC().Format(time.RFC3339), Objects: raw, Policy: plan.Retention})
		if err != nil {
			return res, err
		}
		res.Record = key
	}
	for _, it := range plan.Delete {
		if err := store.Delete(ctx, it.Key); err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		res.Deleted++
		res.Bytes += it.Size
	}
	return res, nil
}
