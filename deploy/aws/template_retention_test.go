package deploy_test

import (
	"os"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/shoplake/shoplake/lake"
)

// TestTemplate_LifecycleIsRetention: the bucket's LifecycleConfiguration in
// template.yaml is lake.Retention's, so that the cost model and shoplake
// prune reason about the lifecycle the stack deploys. The parameters'
// defaults equal DefaultRetention, the rules take their days from those
// parameters, and the rules' prefixes are the zones Retention names.
func TestTemplate_LifecycleIsRetention(t *testing.T) {
	body, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	root := doc.Content[0]
	params := child(t, root, "Parameters")
	def := func(name string) string {
		t.Helper()
		return child(t, child(t, params, name), "Default").Value
	}
	atoi := func(name string) int {
		t.Helper()
		n, err := strconv.Atoi(def(name))
		if err != nil {
			t.Fatalf("parameter %s: default %q is not a number", name, def(name))
		}
		return n
	}
	r := lake.DefaultRetention()
	for _, c := range []struct {
		param string
		got   int
		want  int
	}{
		{"RawInfrequentAccessDays", atoi("RawInfrequentAccessDays"), r.RawInfrequentAccessDays},
		{"RawArchiveDays", atoi("RawArchiveDays"), r.RawArchiveDays},
		{"QuarantineExpirationDays", atoi("QuarantineExpirationDays"), r.QuarantineExpireDays},
	} {
		if c.got != c.want {
			t.Errorf("template parameter %s defaults to %d; lake.DefaultRetention says %d", c.param, c.got, c.want)
		}
	}
	if got := def("RawArchiveStorageClass"); got != r.RawArchiveClass {
		t.Errorf("template parameter RawArchiveStorageClass defaults to %s; lake.DefaultRetention says %s", got, r.RawArchiveClass)
	}

	bucket := child(t, child(t, child(t, root, "Resources"), "LakeBucket"), "Properties")
	rules := child(t, child(t, bucket, "LifecycleConfiguration"), "Rules")
	byPrefix := map[string]*yaml.Node{}
	var abort *yaml.Node
	for _, rule := range rules.Content {
		if p := find(rule, "Prefix"); p != nil {
			byPrefix[p.Value] = rule
		}
		if a := find(rule, "AbortIncompleteMultipartUpload"); a != nil {
			abort = a
		}
	}
	raw := byPrefix["${LakePrefix}"+lake.RawPrefix]
	if raw == nil {
		t.Fatalf("no lifecycle rule on ${LakePrefix}%s; rules by prefix: %v", lake.RawPrefix, keys(byPrefix))
	}
	if find(raw, "ExpirationInDays") != nil {
		t.Errorf("the RAW rule expires objects; lake.Retention never expires RAW in the bucket (prune does, once staged)")
	}
	tiers := child(t, raw, "Transitions").Content
	if len(tiers) != 2 {
		t.Fatalf("the RAW rule has %d transitions, want 2 (STANDARD_IA, archive)", len(tiers))
	}
	for i, want := range [][2]string{{"STANDARD_IA", "!Ref RawInfrequentAccessDays"}, {"!Ref RawArchiveStorageClass", "!Ref RawArchiveDays"}} {
		class, days := child(t, tiers[i], "StorageClass"), child(t, tiers[i], "TransitionInDays")
		if got := refOr(class); got != want[0] {
			t.Errorf("RAW transition %d: storage class %s, want %s", i+1, got, want[0])
		}
		if got := refOr(days); got != want[1] {
			t.Errorf("RAW transition %d: days %s, want %s", i+1, got, want[1])
		}
	}
	q := byPrefix["${LakePrefix}"+lake.QuarantineExpiring]
	if q == nil {
		t.Fatalf("no expiry rule on ${LakePrefix}%s (lake.QuarantineExpiring); rules by prefix: %v", lake.QuarantineExpiring, keys(byPrefix))
	}
	if got := refOr(child(t, q, "ExpirationInDays")); got != "!Ref QuarantineExpirationDays" {
		t.Errorf("the QUARANTINE rule expires after %s, want !Ref QuarantineExpirationDays", got)
	}
	for p := range byPrefix {
		if p == "${LakePrefix}"+lake.QuarantinePrefix || p == "${LakePrefix}"+lake.StagingPrefix || p == "${LakePrefix}"+lake.QuarantineTransform {
			t.Errorf("a lifecycle rule on %s: the staging manifests name those files (lake.Retention keeps them)", p)
		}
	}
	if abort == nil {
		t.Fatal("no rule aborts incomplete multipart uploads")
	}
	if got, want := child(t, abort, "DaysAfterInitiation").Value, strconv.Itoa(r.AbortMultipartDays); got != want {
		t.Errorf("incomplete multipart uploads aborted after %s days; lake.DefaultRetention says %s", got, want)
	}
}

// child returns the value of key in the mapping node m, failing the test
// when it is not there.
func child(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	v := find(m, key)
	if v == nil {
		t.Fatalf("template.yaml: no %q at line %d", key, m.Line)
	}
	return v
}

func find(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// refOr returns "!Ref <parameter>" for a !Ref node, or a scalar's value.
func refOr(n *yaml.Node) string {
	if n.Tag == "!Ref" {
		return "!Ref " + n.Value
	}
	return n.Value
}
