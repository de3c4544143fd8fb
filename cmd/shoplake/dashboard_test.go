package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/dashboard"
	"github.com/shoplake/shoplake/warehouse"
)

// TestDashboardCmd: shoplake dashboard prints its URL, serves the demo's
// marts as the warehouse holds them, and returns when interrupted; bad
// flags are refused by name.
func TestDashboardCmd(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := execute(t, "demo", "--seed", "3", "--days", "1", "--users", "40", "--data-dir", dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetArgs([]string{"dashboard", "--data-dir", dir, "--addr", "127.0.0.1:0"})
	root.SetOut(pw)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() {
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "dashboard  ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q, want the dashboard's URL on loopback", line)
	}
	resp, err := http.Get(url + "api/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	var snap dashboard.Snapshot
	err = json.NewDecoder(resp.Body).Decode(&snap)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/snapshot: %d, %v", resp.StatusCode, err)
	}
	path := filepath.Join(dir, "warehouse.duckdb")
	if want := "duckdb " + path; snap.Source != want {
		t.Errorf("source %q, want %q", snap.Source, want)
	}
	// A writer (as a transform) can open the file between two reads.
	wh, err := warehouse.Open(ctx, path, warehouse.Options{})
	if err != nil {
		t.Fatalf("the dashboard holds the warehouse between reads: %v", err)
	}
	kpis, err := wh.DailyKPIs(ctx)
	wh.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(kpis) == 0 || !reflect.DeepEqual(snap.DailyKPIs, kpis) {
		t.Errorf("daily KPIs served\n%+v\nin the warehouse\n%+v", snap.DailyKPIs, kpis)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("interrupted: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("dashboard did not stop when interrupted")
	}

	t.Run("BadFlags", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"--refresh", "100ms"}, "--refresh 100ms"},
			{[]string{"--addr", "256.0.0.1:-1"}, "--addr 256.0.0.1:-1"},
		} {
			var out bytes.Buffer
			root := newRootCmd()
			root.SetArgs(append([]string{"dashboard", "--data-dir", dir}, c.args...))
			root.SetOut(&out)
			root.SetErr(&out)
			if err := root.Execute(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
			}
		}
	})
}
