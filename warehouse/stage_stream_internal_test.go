package warehouse

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/lake/laketest"
)

// getOnly is a Lake that reads bodies whole (Get): it hides the store's
// stream (lake.Opener).
type getOnly struct{ Lake }

// usersSnapshot is a users snapshot of n users, some rejected (no id, an
// id that is not a number) and some repaired (a NUL in the country), in
// every chunk of it.
func usersSnapshot(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		switch i % 1000 {
		case 5:
			fmt.Fprintf(&b, `{"email":"nobody%d@x.test"}`, i)
		case 7:
			fmt.Fprintf(&b, `{"id":"u%d"}`, i)
		case 9:
			fmt.Fprintf(&b, `{"id":%d,"email":"U%d@X.test","country":"F\u0000R"}`, i, i)
		default:
			fmt.Fprintf(&b, `{"id":%d,"email":" u%d@x.test ","country":"FR","createdAt":"2025-01-%02dT10:00:00Z","address":{"city":"c"}}`, i, i, i%28+1)
		}
	}
	b.WriteString("]")
	return b.Bytes()
}

func gzipped(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestDeriveStaged_InChunks: a snapshot of more than two chunks of users,
// read as a stream and typed a chunk at a time, gives the Parquet bytes
// and the manifest that typing all its users at once and encoding them in
// one go gives, gzipped or not, whether the lake streams the body or hands
// it whole.
func TestDeriveStaged_InChunks(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, "", Options{EmailHashKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	n := 2*stageChunk + 17
	plain := usersSnapshot(n)

	codec, err := w.parquet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// atOnce types every user of the snapshot at key at once and encodes
	// them in one go.
	atOnce := func(key string) (users, quarantine []byte, nUsers, nQuarantined, rejected int64) {
		k, err := parseKey(key)
		if err != nil {
			t.Fatal(err)
		}
		all := parsed{rows: stagingRows{"fakestore_users": nil}}
		var i int64
		if err := eachElement(bytes.NewReader(plain), func(raw []byte) error {
			i++
			typeUser(&all, key, k, []byte("k"), i, raw)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		rows := all.rows["fakestore_users"]
		for _, r := range rows {
			r[1] = int64(0)
		}
		var qrows [][]any
		for _, q := range all.quarantine {
			qrows = append(qrows, []any{key, int64(0), entityUsers, q.rowNo, q.disposition, q.reason, q.record})
			if q.disposition == dispRejected {
				rejected++
			}
		}
		if i <= 2*stageChunk || rejected == 0 || int(rejected) == len(qrows) {
			t.Fatalf("%d users, %d quarantined, %d rejected: want more than two chunks, some rejected, some repaired", i, len(qrows), rejected)
		}
		if users, err = codec.encode(ctx, stagingTable("fakestore_users"), rows); err != nil {
			t.Fatal(err)
		}
		if quarantine, err = codec.encode(ctx, stagingTable("quarantine"), qrows); err != nil {
			t.Fatal(err)
		}
		return users, quarantine, int64(len(rows)), int64(len(qrows)), rejected
	}

	store := laketest.NewStore(t)
	for _, gz := range []bool{false, true} {
		body, key := plain, "raw/fakestore/users/dt=2026-01-03/abc.json"
		if gz {
			body, key = gzipped(t, plain), key+".gz"
		}
		if err := store.PutIfAbsent(ctx, key, body); err != nil {
			t.Fatal(err)
		}
		k, err := parseKey(key)
		if err != nil {
			t.Fatal(err)
		}
		wantUsers, wantQuarantine, nUsers, nQuarantined, rejected := atOnce(key)
		o := objectRef{key: key, size: int64(len(body)), raw: k}
		for name, lk := range map[string]Lake{"stream": store, "whole": getOnly{store}} {
			so, prob, err := w.deriveStaged(ctx, lk, o, w.rules(entityUsers), false)
			if err != nil || prob != nil {
				t.Fatalf("gzip %v, %s: problem %+v, err %v", gz, name, prob, err)
			}
			bodies := map[string][]byte{}
			var paths []string
			for tbl, f := range so.files {
				paths = append(paths, f.Path())
				if bodies[tbl], err = os.ReadFile(f.Path()); err != nil {
					t.Fatal(err)
				}
			}
			if err := so.close(); err != nil {
				t.Fatal(err)
			}
			for _, p := range paths {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a staged file is left after close: %v", err)
				}
			}
			if !bytes.Equal(bodies["fakestore_users"], wantUsers) || !bytes.Equal(bodies["quarantine"], wantQuarantine) {
				t.Errorf("gzip %v, %s: the Parquet staged in chunks differs from the rows encoded at once", gz, name)
			}
			m := so.manifest
			if m.RawSHA256 != sha256Hex(body) || m.Rejected != rejected || m.Repaired != nQuarantined-rejected || len(m.Files) != 2 {
				t.Errorf("gzip %v, %s: manifest %+v", gz, name, m)
			}
			for _, f := range m.Files {
				want := nUsers
				if f.Table == "quarantine" {
					want = nQuarantined
				}
				if f.Rows != want || f.SHA256 != sha256Hex(bodies[f.Table]) {
					t.Errorf("gzip %v, %s: file %+v, want %d rows", gz, name, f, want)
				}
			}
		}
	}
}

// TestDeriveStaged_StreamProblems: an object read as a stream is judged as
// one read whole: its bytes first (corrupt, though the damage is found
// only at its end), then its gzip, then its records, with the same reason,
// size and first bytes.
func TestDeriveStaged_StreamProblems(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, "", Options{EmailHashKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	big := usersSnapshot(3000)
	truncatedGzip := gzipped(t, big)
	truncatedGzip = truncatedGzip[:len(truncatedGzip)/2]
	notArray := append(bytes.Clone(big[:len(big)/2]), "}}"...)
	for _, tc := range []struct {
		name    string
		file    string
		body    []byte
		damage  func([]byte) []byte // what the file becomes behind the store's back
		reason  string
		noEmail bool
	}{
		{name: "Corrupt", file: "a.json", body: big, damage: func(b []byte) []byte { return append(b[:len(b)-1:len(b)-1], '}') }, reason: "corrupt"},
		{name: "CorruptNotJSON", file: "b.json", body: big, damage: func(b []byte) []byte { return append(bytes.Clone(b[:len(b)-9]), "not json"...) }, reason: "corrupt"},
		{name: "CorruptGzip", file: "c.json.gz", body: gzipped(t, big), damage: func(b []byte) []byte { return b[:len(b)-100] }, reason: "corrupt"},
		{name: "TruncatedGzip", file: "d.json.gz", body: truncatedGzip, reason: "truncated gzip"},
		{name: "NotGzip", file: "e.json.gz", body: big, reason: "not gzip"},
		{name: "GzipNotArray", file: "f.json.gz", body: gzipped(t, notArray), reason: "not a JSON array"},
		{name: "NotArray", file: "g.json", body: notArray, reason: "not a JSON array"},
		{name: "GzipTrailingGarbage", file: "h.json.gz", body: append(gzipped(t, big), "garbage"...), reason: "gzip"},
		{name: "NoEmailKeyCorrupt", file: "i.json", body: big, damage: func(b []byte) []byte { return b[:len(b)-1] }, reason: "corrupt", noEmail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "raw/fakestore/users/dt=2026-01-03/" + tc.file
			if err := store.PutIfAbsent(ctx, key, tc.body); err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				p := filepath.Join(dir, "buckets", laketest.Bucket, filepath.FromSlash(key))
				if err := os.WriteFile(p, tc.damage(bytes.Clone(tc.body)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			k, err := parseKey(key)
			if err != nil {
				t.Fatal(err)
			}
			o := objectRef{key: key, size: int64(len(tc.body)), raw: k}
			wh := w
			if tc.noEmail {
				if wh, err = Open(ctx, "", Options{}); err != nil {
					t.Fatal(err)
				}
				defer wh.Close()
			}
			got := map[string]*objectProblem{}
			for name, lk := range map[string]Lake{"stream": store, "whole": getOnly{store}} {
				_, prob, err := wh.deriveStaged(ctx, lk, o, "rules", false)
				if err != nil || prob == nil {
					t.Fatalf("%s: problem %+v, err %v; want a problem", name, prob, err)
				}
				if !strings.Contains(prob.reason, tc.reason) {
					t.Errorf("%s: reason %q, want one saying %q", name, prob.reason, tc.reason)
				}
				got[name] = prob
			}
			if !reflect.DeepEqual(got["stream"], got["whole"]) {
				t.Errorf("read as a stream: %+v\nread whole: %+v", got["stream"], got["whole"])
			}
		})
	}
}
