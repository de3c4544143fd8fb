package pipeline_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
	"github.com/shoplake/shoplake/warehouse"
)

// TestConsumer_CrashBetweenWriteAndCheckpoint kills a consumer after it
// wrote a batch to RAW and before it checkpointed it, restarts another one,
// and runs the warehouse: CORE holds every event once. The stream carries
// what a faulty fleet sends (duplicates, late and malformed records), so
// the dedup in the consumer and before the MERGE are both exercised.
func TestConsumer_CrashBetweenWriteAndCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(dir, 17)
	cfg.Sim.Days = 1
	wcfg, err := pipeline.WorldConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	world, err := sim.NewWorld(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	events := world.EventsBetween(wcfg.Start, wcfg.Start.Add(24*time.Hour))
	acfg := sim.DefaultAnomalyConfig()
	acfg.DuplicateRate, acfg.MalformedRate, acfg.LateRate = 0.1, 0.02, 0.05
	acfg.MalformedKinds = []sim.MalformedKind{sim.MalformedInvalidJSON, sim.MalformedMissingField, sim.MalformedWrongType}
	anom, err := sim.NewAnomalizer(cfg.Seed, acfg)
	if err != nil {
		t.Fatal(err)
	}

	clk := clock.NewSim(wcfg.Start.Add(24 * time.Hour))
	srv := httptest.NewServer(kinesislocal.New(clk))
	t.Cleanup(srv.Close)
	awsCfg, err := config.DefaultConfig().AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := stream.NewKinesisClient(awsCfg, srv.URL)
	if _, err := stream.EnsureStream(ctx, client, clk, "clicks", 4); err != nil {
		t.Fatal(err)
	}
	var data [][]byte
	var keys []string
	for d := range anom.Deliveries(slices.Values(events)) {
		data, keys = append(data, d.Data), append(keys, d.PartitionKey)
	}
	if c := anom.Counts(); c.Duplicates == 0 || c.Malformed == 0 {
		t.Fatalf("no duplicate or malformed record sent: %+v", c)
	}
	putRecords(t, client, data, keys)

	store := laketest.NewStore(t)
	consumer := func(owner string) *stream.Consumer {
		return &stream.Consumer{
			Client: client, Stream: "clicks", Store: store, Owner: owner, Clock: clk, BatchRecords: 200,
			Checkpointer: &stream.LakeCheckpointer{Store: store, Group: "g", Stream: "clicks", Clock: clk},
		}
	}
	// The first consumer acknowledges three batches, writes a fourth to RAW
	// and dies before its checkpoint.
	first := consumer("host-a")
	if err := first.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	var killed *stream.Batch
	for i := range 4 {
		b, err := first.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			killed = b
			break
		}
		if err := first.Ack(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// Its replacement starts once the dead consumer's leases expire.
	clk.Advance(2 * stream.DefaultLeaseDuration)
	second := consumer("host-b")
	st, err := second.Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Existing == 0 {
		t.Fatalf("the restart did not find the batch %s-%s written before the crash", killed.First, killed.Last)
	}

	wh, err := warehouse.Open(ctx, filepath.Join(dir, "warehouse.duckdb"), warehouse.Options{EmailHashKey: []byte(config.LocalEmailHashKey)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	if _, err := wh.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	if _, err := wh.Transform(ctx, warehouse.TransformOptions{AsOf: wcfg.Start.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rows, err := wh.DB().QueryContext(ctx, `SELECT event_id, count(*) FROM core.events GROUP BY event_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	inCore := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		inCore[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var missing, twice int
	for _, e := range events {
		switch inCore[e.EventID] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 || len(inCore) != len(events) {
		t.Fatalf("CORE: %d of %d events missing, %d more than once, %d rows in all", missing, len(events), twice, len(inCore))
	}
}

// putRecords puts raw records on stream clicks, 500 a call.
func putRecords(tb testing.TB, client *kinesis.Client, data [][]byte, keys []string) {
	tb.Helper()
	for i := 0; i < len(data); i += 500 {
		var ents []types.PutRecordsRequestEntry
		for j := i; j < min(i+500, len(data)); j++ {
			ents = append(ents, types.PutRecordsRequestEntry{Data: data[j], PartitionKey: aws.String(keys[j])})
		}
		out, err := client.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("clicks"), Records: ents})
		if err != nil || aws.ToInt32(out.FailedRecordCount) > 0 {
			tb.Fatalf("PutRecords: %v", err)
		}
	}
}
