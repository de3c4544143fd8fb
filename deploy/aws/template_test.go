package deploy_test

import (
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shoplake/shoplake/metrics/lambdametrics"
	"github.com/shoplake/shoplake/stream"
)

// The alarms that carry the names of the Prometheus alerts
// (deploy/prometheus/alerts.yaml, docs/RUNBOOK.md).
var namedAlarms = []string{
	"ShoplakeConsumerLag",
	"ShoplakeQuarantineRate",
	"ShoplakeWriteThrottles",
	"ShoplakeShardSaturation",
	"ShoplakeLambdaErrors",
	"ShoplakeStorageGrowth",
}

// awsMetrics are the metrics AWS publishes that an alarm may watch, with
// the dimension sets each is published with, as AWS documents them:
// Kinesis Data Streams "Monitoring the service with CloudWatch" (stream
// level, basic), Lambda "Types of metrics for Lambda functions", S3 "Daily
// storage metrics for buckets" (BucketSizeBytes: one StorageType a class),
// SQS "Available CloudWatch metrics for Amazon SQS".
var awsMetrics = map[string]map[string][]string{
	"AWS/Kinesis": {
		"IncomingRecords":                          {"StreamName"},
		"IncomingBytes":                            {"StreamName"},
		"WriteProvisionedThroughputExceeded":       {"StreamName"},
		"ReadProvisionedThroughputExceeded":        {"StreamName"},
		"GetRecords.IteratorAgeMilliseconds":       {"StreamName"},
		"PutRecords.ThrottledRecords":              {"StreamName"},
		"PutRecords.FailedRecords":                 {"StreamName"},
		"GetRecords.Records":                       {"StreamName"},
		"PutRecord.Success":                        {"StreamName"},
		"SubscribeToShardEvent.MillisBehindLatest": {"StreamName", "ConsumerName"},
	},
	"AWS/Lambda": {
		"Errors":               {"FunctionName"},
		"Throttles":            {"FunctionName"},
		"IteratorAge":          {"FunctionName"},
		"Invocations":          {"FunctionName"},
		"Duration":             {"FunctionName"},
		"ConcurrentExecutions": {"FunctionName"},
	},
	"AWS/S3": {
		"BucketSizeBytes": {"BucketName", "StorageType"},
		"NumberOfObjects": {"BucketName", "StorageType"},
	},
	"AWS/SQS": {
		"ApproximateNumberOfMessagesVisible":    {"QueueName"},
		"ApproximateAgeOfOldestMessage":         {"QueueName"},
		"NumberOfMessagesSent":                  {"QueueName"},
		"ApproximateNumberOfMessagesNotVisible": {"QueueName"},
	},
}

// s3StorageTypes are the StorageType values of BucketSizeBytes for the
// classes the lake's lifecycle rules use.
var s3StorageTypes = []string{"StandardStorage", "StandardIAStorage", "GlacierInstantRetrievalStorage", "GlacierStorage"}

// lambdaSeries is what the consumer Lambda prints as EMF: the families of
// a lambdametrics.Registry after an invocation with every kind of outcome,
// each with its series' labels (the same as metrics.New()'s families of
// those names: lambdametrics.TestSameSeriesAsMetrics).
func lambdaSeries(t *testing.T) map[string][]map[string]string {
	t.Helper()
	m := lambdametrics.New()
	now := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	m.Invocation(now, stream.LambdaStats{
		Stream: "clickstream", Records: 5, Valid: 2, Invalid: 2, Duplicates: 1, Objects: 2, Existing: 1, Conflicts: 1,
		InvalidReasons: map[string]int{stream.ReasonInvalidJSON: 1, stream.ReasonMissingField: 1},
		Shards:         []stream.LambdaShard{{Stream: "clickstream", ShardID: "shardId-000000000000", Records: 5, NewestArrival: now}},
	})
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]string{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[f.GetName()] = append(out[f.GetName()], labels)
		}
	}
	return out
}

// TestTemplate_Alarms: the alarms of template.yaml watch metrics that
// exist. A shoplake metric is one the Lambda prints, with exactly the
// dimensions of one of its series (CloudWatch matches the whole set) and
// the values a series takes; an AWS metric is one AWS publishes, with its
// dimensions. Every Prometheus alert with a CloudWatch side has its alarm,
// named after it, and every metric math expression names its inputs.
func TestTemplate_Alarms(t *testing.T) {
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	resources := get(doc.Content[0], "Resources")
	if resources == nil {
		t.Fatal("template.yaml has no Resources")
	}
	emf := lambdaSeries(t)
	if len(emf) == 0 {
		t.Fatal("the Lambda prints no series")
	}

	alarms := map[string]*yaml.Node{}
	for i := 0; i < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		if v := get(res, "Type"); v != nil && v.Value == "AWS::CloudWatch::Alarm" {
			alarms[name] = get(res, "Properties")
		}
	}
	for _, name := range namedAlarms {
		p := alarms[name]
		if p == nil {
			t.Errorf("no alarm %s", name)
			continue
		}
		if n := get(p, "AlarmName"); n == nil || n.Tag != "!Sub" || n.Value != name+"-${AWS::StackName}" {
			t.Errorf("alarm %s: AlarmName should be !Sub %s-${AWS::StackName}", name, name)
		}
	}

	names := make([]string, 0, len(alarms))
	for name := range alarms {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := alarms[name]
		t.Run(name, func(t *testing.T) {
			var watched []*yaml.Node // Metric objects: Namespace, MetricName, Dimensions
			if ms := get(p, "Metrics"); ms != nil {
				checkMetricMath(t, ms)
				for _, q := range ms.Content {
					if stat := get(q, "MetricStat"); stat != nil {
						watched = append(watched, get(stat, "Metric"))
					}
				}
			} else {
				watched = append(watched, p)
			}
			if len(watched) == 0 {
				t.Fatal("watches no metric")
			}
			for _, m := range watched {
				checkMetric(t, m, emf)
			}
			if a := get(p, "AlarmActions"); a == nil || !strings.Contains(nodeText(a), "AlarmTopicArn") || !strings.Contains(nodeText(a), "AlarmTopic") {
				t.Error("AlarmActions should notify the AlarmEmail topic and AlarmTopicArn, those that are set")
			}
		})
	}
}

// checkMetric checks one watched metric against what is published.
func checkMetric(t *testing.T, m *yaml.Node, emf map[string][]map[string]string) {
	t.Helper()
	ns, name := scalar(get(m, "Namespace")), scalar(get(m, "MetricName"))
	dims := map[string]*yaml.Node{}
	if d := get(m, "Dimensions"); d != nil {
		for _, kv := range d.Content {
			dims[scalar(get(kv, "Name"))] = get(kv, "Value")
		}
	}
	dimNames := make([]string, 0, len(dims))
	for k := range dims {
		dimNames = append(dimNames, k)
	}
	sort.Strings(dimNames)

	if !strings.HasPrefix(ns, "AWS/") {
		if ns != lambdametrics.Namespace {
			t.Fatalf("namespace %q: the Lambda prints its metrics in %q", ns, lambdametrics.Namespace)
		}
		series := emf[name]
		if len(series) == 0 {
			t.Fatalf("%s: the Lambda prints no such metric (it prints %v)", name, keys(emf))
		}
		// A series with exactly these dimensions, and the fixed values.
		for _, labels := range series {
			if !slices.Equal(dimNames, keys(labels)) {
				continue
			}
			ok := true
			for k, v := range dims {
				switch {
				case k == "stream":
					if v.Tag != "!Ref" || v.Value != "Stream" {
						t.Errorf("%s: dimension stream = %s %s, want !Ref Stream (the Lambda names the event's stream)", name, v.Tag, v.Value)
					}
				case v.Tag == "!!str":
					ok = ok && labels[k] == v.Value
				default:
					t.Errorf("%s: dimension %s = %s %s: want a literal", name, k, v.Tag, v.Value)
				}
			}
			if ok {
				return
			}
		}
		t.Fatalf("%s with dimensions %v: no series the Lambda prints has them (it prints %v)", name, nodeMap(dims), series)
	}

	published, ok := awsMetrics[ns][name]
	if !ok {
		t.Fatalf("%s %s: not a metric AWS publishes (or teach awsMetrics, with its source)", ns, name)
	}
	want := slices.Clone(published)
	sort.Strings(want)
	if !slices.Equal(dimNames, want) {
		t.Fatalf("%s %s with dimensions %v: AWS publishes it with %v", ns, name, dimNames, want)
	}
	if st := dims["StorageType"]; st != nil && !slices.Contains(s3StorageTypes, st.Value) {
		t.Errorf("%s %s: StorageType %q is not one of %v", ns, name, st.Value, s3StorageTypes)
	}
}

var mathID = regexp.MustCompile(`^[a-z][A-Za-z0-9_]*$`)

// mathWord is a word of an expression: an id, or a function (uppercase).
var mathWord = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// checkMetricMath checks a Metrics array: ids valid and distinct, one
// query returned, and every lowercase word of an expression an id defined
// in the array.
func checkMetricMath(t *testing.T, ms *yaml.Node) {
	t.Helper()
	ids := map[string]bool{}
	returned := 0
	for _, q := range ms.Content {
		id := scalar(get(q, "Id"))
		if !mathID.MatchString(id) || ids[id] {
			t.Errorf("metric query id %q: want a distinct id starting with a lowercase letter", id)
		}
		ids[id] = true
		if r := get(q, "ReturnData"); r != nil && r.Value == "true" {
			returned++
		}
	}
	if returned != 1 {
		t.Errorf("%d queries return data, want 1 (the alarm's expression)", returned)
	}
	for _, q := range ms.Content {
		e := get(q, "Expression")
		if e == nil {
			continue
		}
		expr := e.Value
		if e.Tag == "!Sub" {
			expr = regexp.MustCompile(`\$\{[A-Za-z:]+\}`).ReplaceAllString(expr, "1")
		}
		for _, w := range mathWord.FindAllString(expr, -1) {
			if w == strings.ToUpper(w) { // a function: FILL, DIFF, IF, MAX, PERIOD
				continue
			}
			if !ids[w] {
				t.Errorf("expression %q: %s is not an id of the alarm's queries", e.Value, w)
			}
		}
	}
}

// get returns the value of key in mapping n (nil when absent).
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// nodeText is n and its children's values, for a contains check.
func nodeText(n *yaml.Node) string {
	var b strings.Builder
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		b.WriteString(n.Value + " ")
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func nodeMap(m map[string]*yaml.Node) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = strings.TrimSpace(v.Tag + " " + v.Value)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
