package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

// fixtureServer serves the real FakeStore responses in testdata/.
func fixtureServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join("testdata", strings.Trim(r.URL.Path, "/")+".json"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func fixturePasswords(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile("testdata/users.json")
	if err != nil {
		tb.Fatal(err)
	}
	var users []struct {
		Password string `json:"password"`
	}
	if err := json.Unmarshal(b, &users); err != nil {
		tb.Fatal(err)
	}
	var pw []string
	for _, u := range users {
		pw = append(pw, u.Password)
	}
	if len(pw) == 0 {
		tb.Fatal("fixture has no passwords to look for")
	}
	return pw
}

func TestIngester_IngestDate(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	var logs bytes.Buffer
	in := &ingest.Ingester{
		HTTP:    http.DefaultClient,
		BaseURL: fixtureServer(t).URL,
		Store:   store,
		Log:     slog.New(slog.NewTextHandler(&logs, nil)),
	}
	day := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)

	t.Run("OK", func(t *testing.T) {
		res, err := in.IngestDate(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Written(), 3; got != want {
			t.Fatalf("written = %d, want %d", got, want)
		}
		rows := map[string]int{}
		for _, o := range res.Objects {
			rows[o.Entity] = o.Rows
			if !strings.HasPrefix(o.Key, "raw/fakestore/"+o.Entity+"/dt=2020-03-01/") || !strings.HasSuffix(o.Key, ".json") {
				t.Errorf("key %s does not follow raw/fakestore/<entity>/dt=<date>/<sha256>.json", o.Key)
			}
		}
		if rows["users"] != 10 || rows["products"] != 20 || rows["carts"] != 7 {
			t.Fatalf("rows = %v, want users 10, products 20, carts 7", rows)
		}
	})
	t.Run("KeyIsContentHash", func(t *testing.T) {
		infos, err := store.List(ctx, lake.RawFakestore)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			body, err := store.Get(ctx, info.Key)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256Hex(body)
			if !strings.HasSuffix(info.Key, "/"+sum+".json") {
				t.Errorf("key %s, content sha256 %s", info.Key, sum)
			}
		}
	})
	t.Run("NoPasswordInRawOrLogs", func(t *testing.T) {
		infos, err := store.List(ctx, lake.RawPrefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			body, err := store.Get(ctx, info.Key)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(body, []byte(`"password"`)) {
				t.Errorf("%s holds a password field", info.Key)
			}
			for _, pw := range fixturePasswords(t) {
				if bytes.Contains(body, []byte(pw)) {
					t.Errorf("%s holds the password %q", info.Key, pw)
				}
			}
		}
		for _, pw := range fixturePasswords(t) {
			if strings.Contains(logs.String(), pw) {
				t.Errorf("logs hold the password %q", pw)
			}
		}
	})
	t.Run("RerunSkips", func(t *testing.T) {
		res, err := in.IngestDate(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Written(); got != 0 {
			t.Fatalf("rerun wrote %d objects, want 0", got)
		}
		if !strings.Contains(logs.String(), "already present, skipped") {
			t.Fatal("the log does not say the rerun skipped")
		}
	})
}

func TestIngester_IngestDate_Errors(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		maxBody int64
		want    error
	}{
		"ErrStatus": {handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}, want: ingest.ErrStatus},
		"ErrMalformed": {handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`[{"id":1,`))
		}, want: ingest.ErrMalformed},
		"ErrNotArray": {handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"id":1}`))
		}, want: ingest.ErrMalformed},
		"ErrTooLarge": {handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`[` + strings.Repeat(`{"id":1},`, 100) + `{"id":2}]`))
		}, maxBody: 64, want: ingest.ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			store := laketest.NewStore(t)
			in := &ingest.Ingester{HTTP: srv.Client(), BaseURL: srv.URL, Store: store, MaxBody: tc.maxBody}
			_, err := in.IngestDate(ctx, day)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "/users") {
				t.Errorf("error %q does not name the endpoint", err)
			}
			infos, err := store.List(ctx, lake.RawPrefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 0 {
				t.Fatalf("a failed fetch left %d objects in RAW", len(infos))
			}
		})
	}
}

func TestCanonicalize(t *testing.T) {
	a := []byte(`[{"id":1,"price":22.3,"title":"x","password":"p"}]`)
	b := []byte(" [ {\"title\":\"x\", \"password\":\"q\",\n \"price\":22.3, \"id\":1} ] ")
	ca, n, err := ingest.Canonicalize("users", a)
	if err != nil {
		t.Fatal(err)
	}
	cb, _, err := ingest.Canonicalize("users", b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca, cb) {
		t.Fatalf("same content, different bytes:\n%s\n%s", ca, cb)
	}
	if got, want := string(ca), `[{"id":1,"price":22.3,"title":"x"}]`; got != want {
		t.Fatalf("Canonicalize = %s, want %s", got, want)
	}
	if n != 1 {
		t.Fatalf("rows = %d, want 1", n)
	}
}
