package warehouse_test

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/warehouse"
)

// derivedKeys returns the keys of s in STAGING and the transform's
// QUARANTINE.
func derivedKeys(s *memSource) []string {
	var out []string
	for k := range s.objects {
		if strings.HasPrefix(k, lake.StagingPrefix) || strings.HasPrefix(k, lake.QuarantineTransform) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// rawOnly returns a copy of s without its STAGING and QUARANTINE.
func rawOnly(s *memSource) *memSource {
	out := newMemSource()
	for k, b := range s.objects {
		if strings.HasPrefix(k, lake.RawPrefix) {
			out.objects[k] = b
		}
	}
	return out
}

// TestWarehouse_Load_StagesInTheLake loads a lake with FakeStore snapshots,
// events with quarantined records and an object that cannot be read: Load
// writes each loadable object's STAGING (Parquet and a manifest, its
// quarantine beside) into the lake; a second warehouse loads the lake's
// STAGING instead of RAW and builds the same tables; staging the same RAW
// again writes the same bytes; a damaged STAGING file, or STAGING derived
// under other rules, is not used: the object is staged again from RAW in
// memory, and the lake's copy left as it is.
func TestWarehouse_Load_StagesInTheLake(t *testing.T) {
	ctx := context.Background()
	src, _ := accountingSource(t)
	w1 := openTest(t)
	st := mustLoad(t, w1, src)
	if st.ObjectsStaged != st.ObjectsLoaded || st.StagingReused != 0 || st.ObjectsLoaded == 0 {
		t.Fatalf("first load: %d loaded, %d staged, %d reused; want every loaded object staged", st.ObjectsLoaded, st.ObjectsStaged, st.StagingReused)
	}
	mustTransform(t, w1)
	want := mustHashes(t, w1)
	staged := derivedKeys(src)
	var manifests, quarantine int
	for _, k := range staged {
		switch {
		case strings.HasPrefix(k, lake.StagedPrefix):
			manifests++
		case strings.HasPrefix(k, lake.QuarantineTransform):
			quarantine++
		}
	}
	if manifests != st.ObjectsLoaded || quarantine == 0 {
		t.Fatalf("lake holds %d manifests for %d objects loaded and %d quarantine files:\n%s", manifests, st.ObjectsLoaded, quarantine, strings.Join(staged, "\n"))
	}
	eventsKey := "raw/events/dt=2026-01-03/hr=10/clicks-1-20-23.ndjson.gz"
	mkey, err := lake.StagedKey(eventsKey)
	if err != nil {
		t.Fatal(err)
	}
	m, err := lake.ParseStaged(mkey, src.objects[mkey])
	if err != nil {
		t.Fatal(err)
	}
	if m.Rejected != 2 || len(m.Files) != 2 {
		t.Fatalf("manifest of %s: %d rejected, files %+v; want 2 rejected, a staging file and a quarantine file", eventsKey, m.Rejected, m.Files)
	}

	t.Run("AnotherWarehouseReadsStaging", func(t *testing.T) {
		before := maps.Clone(src.objects)
		w2 := openTest(t)
		st := mustLoad(t, w2, src)
		if st.ObjectsStaged != 0 || st.StagingReused != st.ObjectsLoaded {
			t.Fatalf("second warehouse: %d staged, %d reused of %d loaded; want all reused", st.ObjectsStaged, st.StagingReused, st.ObjectsLoaded)
		}
		mustTransform(t, w2)
		if got := mustHashes(t, w2); !slices.Equal(got, want) {
			t.Fatalf("built from the lake's STAGING:\n%v\nfrom RAW:\n%v", got, want)
		}
		if !maps.EqualFunc(src.objects, before, bytes.Equal) {
			t.Fatal("a load from STAGING wrote to the lake")
		}
	})

	t.Run("SameBytesFromSameRaw", func(t *testing.T) {
		again := rawOnly(src)
		mustLoad(t, openTest(t), again)
		if got := derivedKeys(again); !slices.Equal(got, staged) {
			t.Fatalf("staged again, keys:\n%s\nfirst time:\n%s", strings.Join(got, "\n"), strings.Join(staged, "\n"))
		}
		for _, k := range staged {
			if !bytes.Equal(again.objects[k], src.objects[k]) {
				t.Errorf("%s: staged again from the same RAW with other bytes", k)
			}
		}
	})

	t.Run("DamagedStagingNotUsed", func(t *testing.T) {
		damaged := newMemSource()
		maps.Copy(damaged.objects, src.objects)
		var file string
		for _, f := range m.Files {
			if f.Table == "events" {
				file = f.Key
			}
		}
		bad := bytes.Clone(damaged.objects[file])
		bad[len(bad)/2] ^= 0xff
		damaged.objects[file] = bad
		w := openTest(t)
		st := mustLoad(t, w, damaged)
		if len(st.StagingNotUsed) != 1 || st.StagingNotUsed[0].RawKey != eventsKey || !strings.Contains(st.StagingNotUsed[0].Reason, "sha256 differs") {
			t.Fatalf("StagingNotUsed = %+v; want %s, its file's sha256 differing", st.StagingNotUsed, eventsKey)
		}
		mustTransform(t, w)
		if got := mustHashes(t, w); !slices.Equal(got, want) {
			t.Fatalf("with a damaged STAGING file:\n%v\nwant:\n%v", got, want)
		}
		if !bytes.Equal(damaged.objects[file], bad) {
			t.Fatal("the damaged STAGING file was overwritten")
		}
	})

	t.Run("OtherRulesNotUsed", func(t *testing.T) {
		w, err := warehouse.Open(ctx, "", warehouse.Options{EmailHashKey: testEmailKey, MaxEventAge: 48 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		st := mustLoad(t, w, src)
		events := 0
		for _, n := range st.StagingNotUsed {
			if !strings.HasPrefix(n.RawKey, "raw/events/") || !strings.Contains(n.Reason, "other rules") {
				t.Errorf("not used: %+v; want only events objects, staged under other rules", n)
			}
			events++
		}
		staged := 0
		for _, k := range derivedKeys(src) {
			if strings.HasPrefix(k, lake.StagedPrefix+"events/") {
				staged++
			}
		}
		if events == 0 || events != staged || st.StagingReused != st.ObjectsLoaded-events {
			t.Fatalf("maximum event age changed: %d objects not used, %d reused of %d; want the %d events objects not used, the rest reused", events, st.StagingReused, st.ObjectsLoaded, staged)
		}
	})
}
