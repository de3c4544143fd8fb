package scenarios

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// foreignVariants are the objects foreign_objects drops into RAW, with the
// reason Load must give when it sets each aside.
var foreignVariants = []struct{ name, reason string }{
	{"foreign", "not written by shoplake"},
	{"corrupt", "corrupt: sha256 differs"},
	{"truncated", "truncated gzip"},
}

// The lake fault that issue 12 added: objects in RAW that shoplake did not
// write, or not whole.
func init() {
	register(map[Kind]kindSpec{
		ForeignObjects: {
			about: "at \"at\" (default day 1 12:00) objects that are not shoplake's batches land among the hour's events in RAW: a file another tool dropped into the lake folder (variant foreign: no sha256 recorded), a batch whose bytes changed after it was written (corrupt: its sha256 no longer matches) and a gzip cut short but written whole (truncated); \"variant\" lists them, comma-separated (default all three). Their records are events no client sent. Load sets each aside in meta.quarantined_objects with its reason (check raw_objects_quarantined warns) and loads the rest; they stay in RAW, outside what raw_intact checks, and never reach CORE",
			uses:  []string{"at", "variant"},
			install: func(x *run, f Fault, i int) (func(*sim.Config), error) {
				at := x.at(f, Moment{Day: 1, Offset: 12 * time.Hour})
				x.actions = append(x.actions, action{at: at, kind: f.Kind, do: func(ctx context.Context) error {
					return dropForeign(ctx, x, f, i)
				}})
				return nil, nil
			},
			planted: func(x *run, f Fault, i int) []string {
				var keys []string
				for _, v := range foreignOf(f) {
					keys = append(keys, foreignKey(x.at(f, Moment{Day: 1, Offset: 12 * time.Hour}), v, i))
				}
				return keys
			},
			check: func(f Fault, _ int) []string {
				var probs []string
				for _, v := range strings.Split(f.Variant, ",") {
					if v = strings.TrimSpace(v); f.Variant != "" && !slices.ContainsFunc(foreignVariants, func(fv struct{ name, reason string }) bool { return fv.name == v }) {
						probs = append(probs, fmt.Sprintf("variant %q is not foreign, corrupt or truncated", v))
					}
				}
				return probs
			},
			draw: func(r *rand.Rand, sc *Scenario) (Fault, bool) {
				f := Fault{Kind: ForeignObjects, At: &Moment{Day: 1 + r.IntN(sc.World.Days), Offset: time.Duration(1+r.IntN(22)) * time.Hour}}
				if n := r.IntN(4); n < len(foreignVariants) {
					f.Variant = foreignVariants[n].name
				}
				return f, true
			},
		},
	})
}

// foreignOf lists the variants of a foreign_objects fault.
func foreignOf(f Fault) []string {
	if f.Variant == "" {
		var all []string
		for _, v := range foreignVariants {
			all = append(all, v.name)
		}
		return all
	}
	var out []string
	for _, v := range strings.Split(f.Variant, ",") {
		out = append(out, strings.TrimSpace(v))
	}
	return out
}

// foreignKey is where the i-th fault drops its variant object: in the
// events partition of the hour that contains at.
func foreignKey(at time.Time, variant string, i int) string {
	return fmt.Sprintf("%sdt=%s/hr=%02d/%s-%d.ndjson.gz", lake.RawEvents, at.UTC().Format(lake.DateFormat), at.UTC().Hour(), variant, i)
}

// plantedKeys is every RAW key the scenario's faults drop objects at.
func (x *run) plantedKeys() map[string]bool {
	out := map[string]bool{}
	for i, f := range x.sc.Faults {
		if p := kinds[f.Kind].planted; p != nil {
			for _, k := range p(x, f, i) {
				out[k] = true
			}
		}
	}
	return out
}

// exceptPlanted splits unreadable ("key: why" lines) into the objects the
// pipeline wrote and the count of those a fault planted.
func (x *run) exceptPlanted(unreadable []string) ([]string, int) {
	planted := x.plantedKeys()
	var out []string
	n := 0
	for _, u := range unreadable {
		key, _, _ := strings.Cut(u, ": ")
		if planted[key] {
			n++
			continue
		}
		out = append(out, u)
	}
	return out, n
}

// dropForeign drops the fault's objects into RAW, loads, and checks that
// Load set each aside with its reason and loaded none of them.
func dropForeign(ctx context.Context, x *run, f Fault, i int) error {
	at := x.at(f, Moment{Day: 1, Offset: 12 * time.Hour})
	body, err := foreignBatch(x, i)
	if err != nil {
		return err
	}
	keys := map[string]string{} // key -> variant
	for _, v := range foreignOf(f) {
		key := foreignKey(at, v, i)
		keys[key] = v
		switch v {
		case "foreign":
			// Dropped into the lake folder, past the S3 API: the local S3
			// adopts it as an object with no metadata.
			err = x.writeLakeFile(key, body, false)
		case "corrupt":
			// Written whole, then changed on disk: its sha256 no longer
			// matches the one recorded.
			if err = putRetried(ctx, x, key, body); err == nil {
				err = x.writeLakeFile(key, body, true)
			}
		case "truncated":
			err = putRetried(ctx, x, key, body[:len(body)/2])
		}
		if err != nil {
			return fmt.Errorf("drop %s object %s: %w", v, key, err)
		}
	}
	if _, err := x.r.Warehouse().Load(ctx, x.r.Env.Lake); err != nil {
		return fmt.Errorf("load after dropping foreign objects: %w", err)
	}
	db := x.r.Warehouse().DB()
	for key, v := range keys {
		var reason string
		err := db.QueryRowContext(ctx, `SELECT reason FROM meta.quarantined_objects WHERE object_key = $1`, key).Scan(&reason)
		if err != nil {
			x.violate("foreign_objects: %s object %s is not in meta.quarantined_objects (%v)", v, key, err)
			continue
		}
		want := ""
		for _, fv := range foreignVariants {
			if fv.name == v {
				want = fv.reason
			}
		}
		if !strings.Contains(reason, want) {
			x.violate("foreign_objects: %s object %s set aside as %q, want %q", v, key, reason, want)
		}
		var loaded int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM meta.loaded_objects WHERE object_key = $1`, key).Scan(&loaded); err != nil {
			return err
		}
		if loaded > 0 {
			x.violate("foreign_objects: %s object %s was loaded", v, key)
			continue
		}
		x.fire(f.Kind, 1)
	}
	return nil
}

// putRetried writes key through the S3 API, again if the endpoint refused
// a body damaged in transit (partial_write leaves nothing behind).
func putRetried(ctx context.Context, x *run, key string, body []byte) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = x.r.Env.Lake.PutIfAbsent(ctx, key, body); err == nil || errors.Is(err, lake.ErrExists) {
			return nil
		}
	}
	return err
}

// foreignBatch is a gzip NDJSON batch of RAW records that no client sent:
// the world's first events under new event_ids, arrived now. Loaded by
// mistake, they would show in CORE as events nobody expects.
func foreignBatch(x *run, i int) ([]byte, error) {
	r := rng.New(x.sc.Seed, fmt.Sprintf("scenarios/foreign/%d", i))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	now := x.clock.Now().UTC()
	for n, ev := range x.r.World.Events[:min(3, len(x.r.World.Events))] {
		ev.EventID = rng.UUID(r)
		rec := stream.RawRecord{Event: ev, IngestionTime: now, ShardID: "shardId-000000000000", SequenceNumber: fmt.Sprint(n + 1)}
		line, err := json.Marshal(&rec)
		if err != nil {
			return nil, err
		}
		zw.Write(append(line, '\n'))
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeLakeFile writes body as the file of key in the local S3's folder,
// past the S3 API (a new file, or with damage the existing one with one
// byte changed).
func (x *run) writeLakeFile(key string, body []byte, damage bool) error {
	p := filepath.Join(x.cfg.DataDir, "lake", "buckets", x.cfg.S3.Bucket, filepath.FromSlash(x.cfg.S3.Prefix+key))
	if damage {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[len(b)/2] ^= 0x20
		return os.WriteFile(p, b, 0o644)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, body, 0o644)
}
