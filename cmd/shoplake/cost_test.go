package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/lake"
)

// TestCostCmd_Measured: cost --data-dir measures the demo's lake: the
// events it counts are the events the demo put, its RAW events objects
// those listed, and the bill has every service.
func TestCostCmd_Measured(t *testing.T) {
	dir := t.TempDir()
	out, stderr, err := execute(t, "demo", "--seed", "5", "--days", "2", "--users", "100", "--data-dir", dir)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	put := 0
	for _, m := range regexp.MustCompile(`events\s+(\d+) put`).FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		put += n
	}
	infos, err := lakeIn(t, dir).List(context.Background(), lake.RawEvents)
	if err != nil || put == 0 {
		t.Fatalf("list: %v; events put %d\n%s", err, put, stderr)
	}
	out, stderr, err = execute(t, "cost", "--data-dir", dir, "--json")
	if err != nil {
		t.Fatalf("cost --data-dir: %v\n%s", err, stderr)
	}
	var rep costReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Measured == nil || int(rep.Measured.Events+0.5) != put || rep.Measured.RawEventObjects != len(infos) {
		t.Fatalf("measured %+v; the demo put %d events in %d RAW objects", rep.Measured, put, len(infos))
	}
	if got, want := rep.Usage.EventsPerDay, float64(put)/float64(rep.Measured.Days); got != want {
		t.Errorf("events per day %v, want %v", got, want)
	}
	if len(rep.Bill.Services) != 6 || rep.Bill.Total <= 0 || len(rep.Projections) != 3 || rep.Projections[2].Factor != 100 {
		t.Errorf("bill %+v, projections %+v", rep.Bill, rep.Projections)
	}
}

// TestCostCmd_EventsPerDay: the bill for a volume prints its assumptions,
// every service, the lifecycle savings with their horizon, and the
// projections; a region without prices is refused by name.
func TestCostCmd_EventsPerDay(t *testing.T) {
	out, stderr, err := execute(t, "cost", "--events-per-day", "10000000")
	if err != nil {
		t.Fatalf("cost: %v\n%s", err, stderr)
	}
	for _, want := range []string{"as of 20", "assumptions:", "bytes per event (payload)", "Kinesis Data Streams (provisioned)", "Kinesis Data Streams (on-demand)",
		"Lambda", "S3 storage (month 12", "S3 requests", "Redshift Serverless", "total: ", "lifecycle rules: S3 storage in month 12", "100×"} {
		if !strings.Contains(out, want) {
			t.Errorf("cost output lacks %q:\n%s", want, out)
		}
	}
	eu, _, err := execute(t, "cost", "--events-per-day", "10000000", "--region", "eu-west-1")
	if err != nil || eu == out {
		t.Errorf("eu-west-1: err %v; the same bill as us-east-1: %v", err, eu == out)
	}
	if _, _, err := execute(t, "cost", "--events-per-day", "1000", "--region", "mars-1"); err == nil || !strings.Contains(err.Error(), `"mars-1"`) {
		t.Errorf("an unknown region: err = %v", err)
	}
}
