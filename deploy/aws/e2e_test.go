//go:build awstest

// Package deploy_test proves mode aws against moto (moto_server, a
// third-party AWS emulator): the built shoplake binary runs every step as
// a user would, in separate processes, configured only by the environment
// (SHOPLAKE_MODE=aws, AWS_ENDPOINT_URL, AWS_REGION=eu-west-1, and
// AWS_CA_BUNDLE as this kind of machine sets it), and the Lambda function's
// real entry point handles a real-format Kinesis event.
//
// make aws-test runs it (go test -tags awstest ./deploy/aws/). It starts
// its own moto_server on a free loopback port, or uses MOTO_ENDPOINT when
// set; without moto_server on PATH it fails: it never skips.
package deploy_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

const (
	region    = "eu-west-1" // not us-east-1: CreateBucket needs its location constraint
	bucket    = "shoplake-e2e"
	streamNm  = "clickstream"
	hashKey   = "e2e-email-hash-key"
	users     = "150"
	days      = "2"
	firstDate = "2026-01-05"
	lastDate  = "2026-01-06"
)

var (
	shoplakeBin, bootstrapBin, motoURL string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "shoplake-aws-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	shoplakeBin = filepath.Join(dir, "shoplake")
	bootstrapBin = filepath.Join(dir, "bootstrap")
	builds := [][]string{
		{"build", "-o", shoplakeBin, "../../cmd/shoplake"},
		// The Lambda binary as make lambda builds it, for this machine's
		// architecture so that it runs here.
		{"build", "-tags", "lambda.norpc", "-o", bootstrapBin, "../../cmd/shoplake-lambda"},
	}
	for _, args := range builds {
		cmd := exec.Command("go", args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if strings.HasSuffix(args[len(args)-1], "shoplake-lambda") {
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		}
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "go %s: %v\n", strings.Join(args, " "), err)
			return 1
		}
	}
	motoURL = os.Getenv("MOTO_ENDPOINT")
	if motoURL == "" {
		stop, url, err := startMoto(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "aws-test: %v\n", err)
			return 1
		}
		defer stop()
		motoURL = url
	}
	return m.Run()
}

// startMoto starts moto_server on a free loopback port and waits until it
// answers.
func startMoto(dir string) (stop func(), url string, err error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, "", fmt.Errorf("moto_server is not on PATH: install moto (pip install 'moto[server]') or set MOTO_ENDPOINT; this suite does not skip")
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	logf, err := os.Create(filepath.Join(dir, "moto.log"))
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start moto_server: %w", err)
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() }
	url = fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return stop, url, nil
		}
	}
	stop()
	return nil, "", fmt.Errorf("moto_server did not answer on %s within 30s", url)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// baseEnv is the environment of every process: the machine's, without any
// SHOPLAKE_ or AWS_ setting of its own, plus mode aws against moto.
func baseEnv(t *testing.T, dataDir string, extra ...string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SHOPLAKE_") || (strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "AWS_CA_BUNDLE=")) {
			continue
		}
		env = append(env, kv)
	}
	empty := filepath.Join(t.TempDir(), "empty-aws-config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env,
		"AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION="+region, "AWS_ENDPOINT_URL="+motoURL, "AWS_EC2_METADATA_DISABLED=true",
		"SHOPLAKE_MODE=aws", "SHOPLAKE_S3_BUCKET="+bucket, "SHOPLAKE_KINESIS_STREAM="+streamNm,
		"SHOPLAKE_KINESIS_SHARDS=2", "SHOPLAKE_DATA_DIR="+dataDir,
	)
	// AWS_CA_BUNDLE as these machines set it (and corporate proxies do):
	// the regression test of a start that failed whenever it was set.
	if os.Getenv("AWS_CA_BUNDLE") == "" {
		for _, p := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"} {
			if _, err := os.Stat(p); err == nil {
				env = append(env, "AWS_CA_BUNDLE="+p)
				break
			}
		}
	}
	return append(env, extra...)
}

// shoplake runs the binary with env and args; it fails the test if the
// process fails (unless wantErr) or prints SDK noise on stderr.
func shoplake(t *testing.T, env []string, wantErr bool, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(shoplakeBin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	t.Logf("$ shoplake %s\n%s%s", strings.Join(args, " "), out.String(), errb.String())
	if (err != nil) != wantErr {
		t.Fatalf("shoplake %s: err = %v, want error %v\nstderr: %s", strings.Join(args, " "), err, wantErr, errb.String())
	}
	for _, noise := range []string{"SDK 20", "DEBUG", "no supported checksum", "WARN Response"} {
		if strings.Contains(errb.String(), noise) {
			t.Errorf("shoplake %s printed SDK noise on stderr (%q):\n%s", strings.Join(args, " "), noise, errb.String())
		}
	}
	return out.String(), errb.String()
}

func shoplakeJSON(t *testing.T, env []string, v any, args ...string) {
	t.Helper()
	out, _ := shoplake(t, env, false, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("shoplake %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestAWS_Pipeline runs setup → produce → consume → ingest (from sim serve)
// → transform → check in mode aws against moto, each step in its own
// process, reruns each idempotent step, and checks the marts against the
// simulator's oracle.
func TestAWS_Pipeline(t *testing.T) {
	ctx := context.Background()
	// A data directory that does not exist yet: ingest must create it (it
	// used to fail opening .../warehouse.duckdb in mode aws).
	dataDir := filepath.Join(t.TempDir(), "fresh", "data")
	env := baseEnv(t, dataDir)
	world := []string{"--users", users, "--days", days}

	t.Run("MissingResources", func(t *testing.T) {
		_, stderr := shoplake(t, env, true, "consume")
		if !strings.Contains(stderr, "run shoplake setup") || !strings.Contains(stderr, motoURL) {
			t.Errorf("consume before setup: want an error naming the endpoint and saying to run shoplake setup, got %q", stderr)
		}
		_, stderr = shoplake(t, env, true, append([]string{"produce"}, world...)...)
		if !strings.Contains(stderr, "run shoplake setup") {
			t.Errorf("produce before setup: want an error saying to run shoplake setup, got %q", stderr)
		}
	})

	type setupRep struct {
		Region    string            `json:"region"`
		Endpoints map[string]string `json:"endpoints"`
		Steps     []pipeline.SetupStep
	}
	statuses := func(r setupRep) map[string]string {
		m := map[string]string{}
		for _, s := range r.Steps {
			m[s.Resource] = s.Status
		}
		return m
	}
	t.Run("Setup", func(t *testing.T) {
		var dry, first, again setupRep
		shoplakeJSON(t, env, &dry, "setup", "--dry-run")
		for res, st := range statuses(dry) {
			if !strings.HasPrefix(st, "would ") {
				t.Errorf("dry run: %s is %q, want would create/update", res, st)
			}
		}
		if got, want := dry.Region, region; got != want {
			t.Errorf("region = %q, want AWS_REGION's %q", got, want)
		}
		if got := dry.Endpoints["s3"]; got != motoURL {
			t.Errorf("s3 endpoint reported %q, want AWS_ENDPOINT_URL's %q", got, motoURL)
		}
		shoplakeJSON(t, env, &first, "setup")
		want := map[string]string{"s3 bucket": "created", "bucket encryption": "updated", "public access block": "updated",
			"lifecycle rules": "updated", "kinesis stream": "created", "stream encryption": "updated"}
		if got := statuses(first); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("setup = %v, want %v", got, want)
		}
		shoplakeJSON(t, env, &again, "setup")
		for res, st := range statuses(again) {
			if st != "exists" {
				t.Errorf("second setup: %s is %q, want exists", res, st)
			}
		}
	})

	t.Run("SetupKeepsForeignSettings", func(t *testing.T) {
		// A lifecycle rule of the account's own survives a setup that
		// changes shoplake's rules; a stream of another size is reported,
		// never resharded.
		client := s3Client(t)
		lc, err := client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		rules := append(lc.Rules, s3types.LifecycleRule{ID: aws.String("team-exports"), Status: s3types.ExpirationStatusEnabled,
			Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String("exports/")}, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(7)}})
		if _, err := client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
			Bucket: aws.String(bucket), LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
			t.Fatal(err)
		}
		var rep setupRep
		shoplakeJSON(t, env, &rep, "setup", "--quarantine-days", "60", "--shards", "3")
		st := statuses(rep)
		if st["lifecycle rules"] != "updated" || st["kinesis stream"] != "differs" {
			t.Errorf("setup --quarantine-days 60 --shards 3 = %v, want lifecycle rules updated and the stream differs", st)
		}
		lc, err = client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int32{}
		for _, r := range lc.Rules {
			days := int32(0)
			if r.Expiration != nil {
				days = aws.ToInt32(r.Expiration.Days)
			}
			ids[aws.ToString(r.ID)] = days
		}
		if d, ok := ids["team-exports"]; !ok || d != 7 {
			t.Errorf("the account's own rule was lost or changed: %v", ids)
		}
		if d := ids["shoplake-quarantine-expiry"]; d != 60 {
			t.Errorf("quarantine expiry = %d days, want 60: %v", d, ids)
		}
		shards, err := kinesisClient(t).ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(streamNm)})
		if err != nil {
			t.Fatal(err)
		}
		if len(shards.Shards) != 2 {
			t.Errorf("the stream has %d shards after setup --shards 3, want its 2 (setup never reshards)", len(shards.Shards))
		}
	})

	var nEvents int
	t.Run("Produce", func(t *testing.T) {
		out, _ := shoplake(t, env, false, append([]string{"sim", "events"}, world...)...)
		nEvents = strings.Count(out, "\n")
		var rep struct {
			Sent, Acknowledged, Refused int
		}
		shoplakeJSON(t, env, &rep, append([]string{"produce"}, world...)...)
		if rep.Acknowledged != nEvents || rep.Refused != 0 {
			t.Fatalf("produce acknowledged %d, refused %d; want the %d events of sim events", rep.Acknowledged, rep.Refused, nEvents)
		}
	})

	type consumeRep struct {
		Totals stream.ConsumeStats `json:"totals"`
	}
	t.Run("Consume", func(t *testing.T) {
		var first, again consumeRep
		shoplakeJSON(t, env, &first, "consume")
		if got := first.Totals; got.Valid != nEvents || got.Invalid != 0 || got.Duplicates != 0 || got.Objects == 0 {
			t.Fatalf("consume: %+v; want all %d events to RAW", got, nEvents)
		}
		shoplakeJSON(t, env, &again, "consume")
		if got := again.Totals; got.Records != 0 || got.Objects != 0 {
			t.Errorf("second consume read %d records and wrote %d objects; want nothing (checkpoints)", got.Records, got.Objects)
		}
	})

	t.Run("Ingest", func(t *testing.T) {
		srcURL := startSimServe(t, env, world)
		ienv := append(env[:len(env):len(env)], "SHOPLAKE_FAKESTORE_BASE_URL="+srcURL)
		type ingestRep struct {
			Complete bool
			Dates    []struct{ Status string }
		}
		var first, again ingestRep
		shoplakeJSON(t, ienv, &first, "ingest", "--from", firstDate, "--to", lastDate)
		if !first.Complete || len(first.Dates) != 2 || first.Dates[0].Status != "committed" || first.Dates[1].Status != "committed" {
			t.Fatalf("ingest: %+v; want two committed dates", first)
		}
		shoplakeJSON(t, ienv, &again, "ingest", "--from", firstDate, "--to", lastDate)
		for _, d := range again.Dates {
			if d.Status != "unchanged" {
				t.Errorf("second ingest: a date is %q, want unchanged", d.Status)
			}
		}
	})

	tenv := append(env[:len(env):len(env)], "SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY="+hashKey)
	var hashes []warehouse.TableHash
	t.Run("Transform", func(t *testing.T) {
		shoplake(t, tenv, false, "transform")
		shoplake(t, env, false, "check") // check needs no email key, and no FakeStore
		wh := openWarehouse(t, dataDir)
		defer wh.Close()
		w := simWorld(t)
		_, diffs, err := scenarios.CompareMarts(ctx, wh, w)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range diffs {
			t.Errorf("%s (%d rows, oracle %d) differs from the oracle:\n%s", d.Mart, d.Rows, d.OracleRows, d.Diff)
		}
		if hashes, err = wh.TableHashes(ctx); err != nil {
			t.Fatal(err)
		}
		for _, h := range hashes {
			if h.Table == "core.events" && h.Rows != int64(nEvents) {
				t.Errorf("core.events has %d rows, want the %d events produced", h.Rows, nEvents)
			}
		}
	})

	t.Run("Rerun", func(t *testing.T) {
		shoplake(t, tenv, false, "transform")
		var again []warehouse.TableHash
		func() {
			wh := openWarehouse(t, dataDir)
			defer wh.Close()
			var err error
			if again, err = wh.TableHashes(ctx); err != nil {
				t.Fatal(err)
			}
		}()
		if fmt.Sprint(again) != fmt.Sprint(hashes) {
			t.Errorf("a second transform changed the tables:\nbefore %v\nafter  %v", hashes, again)
		}
	})
}

// awsConfig is the SDK configuration of the test's own clients (moto,
// dummy credentials).
func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultAWS(context.Background(), region)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider("testing", "testing", "")
	return cfg
}

func s3Client(t *testing.T) *s3.Client {
	return lake.NewS3Client(awsConfig(t), motoURL)
}

func kinesisClient(t *testing.T) *kinesis.Client {
	return stream.NewKinesisClient(awsConfig(t), motoURL)
}

func openWarehouse(t *testing.T, dataDir string) *warehouse.Warehouse {
	t.Helper()
	wh, err := warehouse.Open(context.Background(), filepath.Join(dataDir, "warehouse.duckdb"), warehouse.Options{EmailHashKey: []byte(hashKey)})
	if err != nil {
		t.Fatal(err)
	}
	return wh
}

func simWorld(t *testing.T) *sim.World {
	t.Helper()
	cfg := config.DefaultConfig()
	fmt.Sscan(users, &cfg.Sim.Users)
	fmt.Sscan(days, &cfg.Sim.Days)
	wcfg, err := pipeline.WorldConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.NewWorld(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// startSimServe runs shoplake sim serve in its own process and returns its
// URL.
func startSimServe(t *testing.T, env []string, world []string) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(shoplakeBin, append([]string{"sim", "serve", "--addr", addr}, world...)...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, addr) {
		t.Fatalf("sim serve: %q, %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return "http://" + addr
}

// TestAWS_Lambda runs the Lambda function's real entry point (main,
// lambda.Start) as Lambda's provided.al2023 runtime would: the process
// polls a Runtime API, here served by the test, for a real-format Kinesis
// event built from records read back from the stream in moto, and writes
// RAW objects to moto's S3. A retry of the same event (Lambda's at-least-
// once delivery) writes nothing new.
func TestAWS_Lambda(t *testing.T) {
	ctx := context.Background()
	env := baseEnv(t, t.TempDir())
	const name = "lambda-e2e"
	shoplake(t, append(env[:len(env):len(env)], "SHOPLAKE_KINESIS_STREAM="+name, "SHOPLAKE_KINESIS_SHARDS=1"), false, "setup")
	awsCfg := awsConfig(t)
	kin := kinesisClient(t)
	// Records on the stream: two valid events and one that breaks the
	// contract.
	payloads := []string{
		`{"event_id":"7b0c5a0e-0d5e-4c1e-9d6f-000000000001","event_type":"page_view","event_time":"2026-01-05T10:00:00Z","session_id":"s1","user_id":null,"anonymous_id":"a1","product_id":null,"schema_version":1}`,
		`{"event_id":"7b0c5a0e-0d5e-4c1e-9d6f-000000000002","event_type":"product_view","event_time":"2026-01-05T10:00:05Z","session_id":"s1","user_id":null,"anonymous_id":"a1","product_id":3,"schema_version":1}`,
		`{"event_id":"not-a-uuid","event_type":"teleport"}`,
	}
	for _, p := range payloads {
		if _, err := kin.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String(name), PartitionKey: aws.String("s1"), Data: []byte(p)}); err != nil {
			t.Fatal(err)
		}
	}
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String(name), ShardId: shards.Shards[0].ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Records) != len(payloads) {
		t.Fatalf("read %d records back, want %d", len(recs.Records), len(payloads))
	}
	// The event as Lambda's Kinesis event source mapping delivers it.
	arn := fmt.Sprintf("arn:aws:kinesis:%s:123456789012:stream/%s", region, name)
	var ev events.KinesisEvent
	for _, r := range recs.Records {
		var rec events.KinesisEventRecord
		rec.AwsRegion, rec.EventSource, rec.EventName, rec.EventVersion = region, "aws:kinesis", "aws:kinesis:record", "1.0"
		rec.EventSourceArn, rec.InvokeIdentityArn = arn, "arn:aws:iam::123456789012:role/shoplake-consumer"
		rec.EventID = aws.ToString(shards.Shards[0].ShardId) + ":" + aws.ToString(r.SequenceNumber)
		rec.Kinesis.KinesisSchemaVersion, rec.Kinesis.PartitionKey = "1.0", aws.ToString(r.PartitionKey)
		rec.Kinesis.SequenceNumber, rec.Kinesis.Data = aws.ToString(r.SequenceNumber), r.Data
		rec.Kinesis.ApproximateArrivalTimestamp = events.SecondsEpochTime{Time: aws.ToTime(r.ApproximateArrivalTimestamp)}
		ev.Records = append(ev.Records, rec)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(`"data":"`+base64.StdEncoding.EncodeToString([]byte(payloads[0]))+`"`)) {
		t.Fatalf("the event does not carry the record's data base64-encoded as Lambda does: %s", body)
	}
	lenv := append(env[:len(env):len(env)], "SHOPLAKE_KINESIS_STREAM="+name, "SHOPLAKE_S3_PREFIX=lambda/")

	store := lake.NewS3Store(lake.NewS3Client(awsCfg, motoURL), bucket, "lambda/")
	for attempt := 1; attempt <= 2; attempt++ {
		resp, stdout := invokeLambda(t, lenv, body)
		checkLambdaEMF(t, stdout, name, len(ev.Records))
		var out events.KinesisEventResponse
		if err := json.Unmarshal(resp, &out); err != nil {
			t.Fatalf("attempt %d: response %s: %v", attempt, resp, err)
		}
		if len(out.BatchItemFailures) != 0 {
			t.Fatalf("attempt %d: batchItemFailures %v, want none", attempt, out.BatchItemFailures)
		}
		raw, err := store.List(ctx, "raw/events/")
		if err != nil {
			t.Fatal(err)
		}
		quarantined, err := store.List(ctx, "quarantine/events/")
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != 1 || len(quarantined) != 1 {
			t.Fatalf("attempt %d: %d RAW and %d QUARANTINE objects, want 1 and 1 (a retry rewrites nothing)", attempt, len(raw), len(quarantined))
		}
		if !strings.Contains(raw[0].Key, name+"-"+aws.ToString(shards.Shards[0].ShardId)) {
			t.Errorf("RAW key %s does not name the stream and shard", raw[0].Key)
		}
		b, err := store.Get(ctx, raw[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		lines, _ := io.ReadAll(zr)
		if got := strings.Count(string(lines), "\n"); got != 2 {
			t.Errorf("attempt %d: RAW object holds %d events, want the 2 valid ones", attempt, got)
		}
	}
}

// checkLambdaEMF checks that the function printed its metrics on stdout as
// EMF: a document of namespace shoplake counting the event's records read
// from stream.
func checkLambdaEMF(t *testing.T, stdout []byte, stream string, records int) {
	t.Helper()
	for _, line := range bytes.Split(stdout, []byte("\n")) {
		var doc struct {
			AWS struct {
				CloudWatchMetrics []struct{ Namespace string }
			} `json:"_aws"`
			Stream string   `json:"stream"`
			Read   *float64 `json:"shoplake_consumer_records_read_total"`
		}
		if json.Unmarshal(line, &doc) != nil || doc.Read == nil {
			continue
		}
		if len(doc.AWS.CloudWatchMetrics) != 1 || doc.AWS.CloudWatchMetrics[0].Namespace != "shoplake" || doc.Stream != stream || *doc.Read != float64(records) {
			t.Fatalf("EMF document %s: want namespace shoplake, stream %s, %d records read", line, stream, records)
		}
		return
	}
	t.Fatalf("the function printed no EMF document of records read on stdout:\n%s", stdout)
}

// invokeLambda runs the Lambda binary against a Runtime API served here,
// hands it event as one invocation, and returns the function's response
// and what it printed on stdout until then.
func invokeLambda(t *testing.T, env []string, event []byte) (resp, stdout []byte) {
	t.Helper()
	var (
		mu       sync.Mutex
		served   bool
		response = make(chan []byte, 1)
		failure  = make(chan string, 1)
	)
	const reqID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := !served
		served = true
		mu.Unlock()
		if !first {
			<-r.Context().Done() // no second invocation: the process is stopped
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", reqID)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(time.Minute).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:"+region+":123456789012:function:shoplake-consumer")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
		_, _ = w.Write(event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		response <- b
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		failure <- string(b)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		failure <- "init: " + string(b)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()

	cmd := exec.Command(bootstrapBin)
	cmd.Env = append(env[:len(env):len(env)], "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(), "_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=shoplake-consumer", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256")
	var stderr bytes.Buffer
	out := &syncBuffer{}
	cmd.Stderr = &stderr
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// done is closed when the process has exited and its output is
	// copied (waitErr is then set): receiving from it never blocks twice.
	var waitErr error
	done := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-done
	}
	defer func() {
		stop()
		t.Logf("lambda stderr:\n%s", stderr.String())
	}()
	select {
	case b := <-response:
		// The function prints its metrics before it answers; once it is
		// stopped, everything it printed has been copied.
		stop()
		return b, out.Bytes()
	case f := <-failure:
		t.Fatalf("the function reported an error: %s", f)
	case <-done:
		t.Fatalf("the function exited before answering: %v\n%s", waitErr, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("the function did not answer within 2 minutes")
	}
	return nil, nil
}

// syncBuffer is a bytes.Buffer that a process's output copier writes while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
