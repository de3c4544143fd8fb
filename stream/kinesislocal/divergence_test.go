package kinesislocal_test

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// ConformanceImplEnv names the environment variable that says which
// implementation KINESIS_CONFORMANCE_ENDPOINT points at: one of the keys of
// conformanceImpls. It is required with an endpoint, so that a run against
// a new implementation tolerates no divergence by accident; without an
// endpoint it may only be "local".
const ConformanceImplEnv = "KINESIS_CONFORMANCE_IMPL"

// conformanceImpls are the implementations the suite knows, by the value of
// KINESIS_CONFORMANCE_IMPL, with the name DIVERGENCE lines give them.
var conformanceImpls = map[string]string{
	"local": "kinesislocal", // this package's server, in process or behind `shoplake serve`
	"aws":   "AWS",
	"moto":  "moto", // moto_server 5.x
}

// divergence is a known way an implementation differs from Kinesis on AWS.
type divergence struct {
	impl string // the key of conformanceImpls it concerns
	aws  string // what AWS does
	does string // what the implementation does instead
}

// divergences are the differences from AWS the suite tolerates, by name
// "<impl>/<what>". Only the implementation under test's are tolerated:
// none is ever registered for "local" or "aws", which the suite holds to
// AWS's behaviour. A subtest checks the behaviour with expectAWS under the
// divergence's name; a registered divergence that a run checks and does not
// observe fails the suite, so the list stays true as the implementation
// improves. docs/AWS.md lists them.
var divergences = map[string]divergence{
	"moto/accepts-oversize-record": {
		impl: "moto",
		aws:  "refuses a PutRecord whose data exceeds 1 MiB with ValidationException",
		does: "accepts and stores it (PutRecords does refuse an entry over 1 MiB)",
	},
	"moto/writes-to-closed-shard": {
		impl: "moto",
		aws:  "writes the records put after a SplitShard or MergeShards to the open child shards that cover their hash keys; a closed parent takes no more records",
		does: "keeps writing them to the oldest shard that covers their hash key, the closed parent, so the child shards stay empty (the children are listed with the right hash ranges and parents)",
	},
	"moto/closed-shard-never-ends": {
		impl: "moto",
		aws:  "ends a closed shard: the GetRecords call that reaches its end returns no NextShardIterator and lists its ChildShards",
		does: "always returns a NextShardIterator and never ChildShards, so a reader stays on the closed parent and never finds its children",
	},
}

// divergenceLog records, for one run of TestConformance, which registered
// divergences of the implementation under test were checked and which were
// observed. It is shared by the copies of conformance.
type divergenceLog struct {
	impl     string
	mu       sync.Mutex
	checked  map[string]bool
	observed map[string]bool
}

// conformanceImpl returns the implementation under test, from
// KINESIS_CONFORMANCE_IMPL and whether an endpoint is set, or an error that
// says what to set.
func conformanceImpl(endpoint string) (string, error) {
	impl := os.Getenv(ConformanceImplEnv)
	known := slices.Sorted(maps.Keys(conformanceImpls))
	switch {
	case endpoint == "" && impl == "":
		return "local", nil
	case endpoint == "" && impl != "local":
		return "", fmt.Errorf("%s=%s without %s: the suite runs against this package's server; set %s to test %s", ConformanceImplEnv, impl, ConformanceEndpointEnv, ConformanceEndpointEnv, impl)
	case impl == "":
		return "", fmt.Errorf("%s=%s needs %s, the implementation behind it (one of %s), so that only its known divergences from AWS are tolerated", ConformanceEndpointEnv, endpoint, ConformanceImplEnv, strings.Join(known, ", "))
	case conformanceImpls[impl] == "":
		return "", fmt.Errorf("%s=%s: unknown implementation; want one of %s (add a new one to conformanceImpls)", ConformanceImplEnv, impl, strings.Join(known, ", "))
	case endpoint == "aws" && impl != "aws":
		return "", fmt.Errorf("%s=aws is AWS itself: %s must be aws, not %s", ConformanceEndpointEnv, ConformanceImplEnv, impl)
	}
	return impl, nil
}

// newDivergenceLog returns the log of a run against impl. When tb ends, it
// fails tb for every divergence of impl that the run checked without
// observing it, and logs those it did not check.
func newDivergenceLog(tb testing.TB, impl string) *divergenceLog {
	tb.Helper()
	l := &divergenceLog{impl: impl, checked: map[string]bool{}, observed: map[string]bool{}}
	tb.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, name := range slices.Sorted(maps.Keys(divergences)) {
			d := divergences[name]
			switch {
			case d.impl != impl:
			case l.checked[name] && !l.observed[name]:
				tb.Errorf("divergence %s is gone: %s now %s; remove it from divergences and docs/AWS.md", name, conformanceImpls[impl], d.aws)
			case !l.checked[name]:
				tb.Logf("divergence %s was not checked in this run", name)
			}
		}
	})
	return l
}

// expectAWS checks a behaviour of AWS that the divergence name describes:
// ok reports whether the implementation under test has it, and format and
// args say what was observed. It returns ok. When ok is false and name is
// registered for the implementation under test, it logs "DIVERGENCE name:
// ..." and the caller must return, leaving the subtest passed; otherwise
// it fails t with format and args, and the caller returns as well. Either
// way the check counts towards the end-of-run test that registered
// divergences still exist.
func (c conformance) expectAWS(t testing.TB, name string, ok bool, format string, args ...any) bool {
	t.Helper()
	d, known := divergences[name]
	if !known {
		t.Fatalf("expectAWS: no divergence named %s", name)
	}
	l := c.divergences
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked[name] = true
	switch {
	case ok:
	case d.impl == l.impl:
		l.observed[name] = true
		t.Logf("DIVERGENCE %s: AWS %s; %s %s. Observed: %s", name, d.aws, conformanceImpls[d.impl], d.does, fmt.Sprintf(format, args...))
	default:
		t.Errorf(format, args...)
	}
	return ok
}

var divergenceName = regexp.MustCompile(`^([a-z0-9]+)/[a-z0-9]+(-[a-z0-9]+)*$`)

// TestConformance_Divergences checks the registry: every name is
// "<impl>/<what>" with impl the implementation it concerns, never local or
// aws, and says both sides.
func TestConformance_Divergences(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(divergences)) {
		d := divergences[name]
		m := divergenceName.FindStringSubmatch(name)
		switch {
		case m == nil:
			t.Errorf("divergence %q: want a name <impl>/<what-in-kebab-case>", name)
		case m[1] != d.impl:
			t.Errorf("divergence %s concerns %q: the name must start with it", name, d.impl)
		case conformanceImpls[d.impl] == "":
			t.Errorf("divergence %s concerns %q, not a key of conformanceImpls", name, d.impl)
		case d.impl == "local" || d.impl == "aws":
			t.Errorf("divergence %s: the suite holds %s to AWS's behaviour; fix the difference instead", name, d.impl)
		}
		if d.aws == "" || d.does == "" {
			t.Errorf("divergence %s: say what AWS does and what %s does", name, d.impl)
		}
	}
}

// TestConformance_Impl checks how KINESIS_CONFORMANCE_IMPL and
// KINESIS_CONFORMANCE_ENDPOINT choose the implementation under test.
func TestConformance_Impl(t *testing.T) {
	const moto = "http://127.0.0.1:5301"
	for _, tc := range []struct {
		name, endpoint, impl, want, err string
	}{
		{"LocalByDefault", "", "", "local", ""},
		{"Local", "", "local", "local", ""},
		{"ErrImplWithoutEndpoint", "", "moto", "", "without KINESIS_CONFORMANCE_ENDPOINT"},
		{"ErrEndpointWithoutImpl", moto, "", "", "needs KINESIS_CONFORMANCE_IMPL"},
		{"Moto", moto, "moto", "moto", ""},
		{"ErrUnknownImpl", moto, "localstack", "", "unknown implementation"},
		{"AWS", "aws", "aws", "aws", ""},
		{"ErrAWSEndpointOtherImpl", "aws", "moto", "", "must be aws"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(ConformanceImplEnv, tc.impl)
			got, err := conformanceImpl(tc.endpoint)
			if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("conformanceImpl(%q) with %s=%q = %q, %v; want %q, error containing %q", tc.endpoint, ConformanceImplEnv, tc.impl, got, err, tc.want, tc.err)
			}
		})
	}
}
