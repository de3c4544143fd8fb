package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// The JSON contract (docs/JSON.md) is read by this test: every "### `Type`"
// section's table defines an object's fields, and the table under "## The
// commands" names the type each command's --json prints. TestJSONContract
// runs every command with --json and validates its output against it:
// every field documented, of its documented type, every field the
// documentation does not mark optional present. So a field renamed, added
// or retyped in the code without the documentation (or the reverse) fails.

// contractField is one row of a type's table.
type contractField struct {
	name     string
	typ      string
	optional bool // the type ends in "?": may be absent or null
}

type contract struct {
	types    map[string][]contractField
	commands map[string]string // "demo" -> "Demo"
}

var (
	typeHeading = regexp.MustCompile("^### `([A-Z][A-Za-z]*)`")
	tableRow    = regexp.MustCompile("^\\| `([^`]+)` +\\| `([^`]+)` +\\|")
	fieldName   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// readContract parses docs/JSON.md.
func readContract(path string) (*contract, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &contract{types: map[string][]contractField{}, commands: map[string]string{}}
	var cur string
	inCommands := false
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			inCommands = strings.HasPrefix(line, "## The commands")
			cur = ""
			continue
		case strings.HasPrefix(line, "### "):
			m := typeHeading.FindStringSubmatch(line)
			if m == nil {
				cur = ""
				continue
			}
			cur = m[1]
			if _, dup := c.types[cur]; dup {
				return nil, fmt.Errorf("%s:%d: type %s defined twice", path, n, cur)
			}
			c.types[cur] = nil
			continue
		}
		m := tableRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch {
		case inCommands:
			c.commands[m[1]] = m[2]
		case cur != "":
			fld := contractField{name: m[1], typ: m[2]}
			if strings.HasSuffix(fld.typ, "?") {
				fld.optional, fld.typ = true, strings.TrimSuffix(fld.typ, "?")
			}
			if !fieldName.MatchString(fld.name) {
				return nil, fmt.Errorf("%s:%d: field %q of %s is not snake_case", path, n, fld.name, cur)
			}
			c.types[cur] = append(c.types[cur], fld)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Every type a field names must be defined.
	for name, fields := range c.types {
		for _, fl := range fields {
			if err := c.checkType(fl.typ); err != nil {
				return nil, fmt.Errorf("%s: %s.%s: %v", path, name, fl.name, err)
			}
		}
	}
	for cmd, typ := range c.commands {
		if err := c.checkType(typ); err != nil {
			return nil, fmt.Errorf("%s: command %s: %v", path, cmd, err)
		}
	}
	return c, nil
}

var scalarTypes = map[string]bool{
	"integer": true, "number": true, "string": true, "boolean": true,
	"time": true, "date": true, "hour": true, "any": true,
}

// checkType reports whether typ is a scalar, a defined type, [T] or {T}.
func (c *contract) checkType(typ string) error {
	switch {
	case strings.HasPrefix(typ, "[") && strings.HasSuffix(typ, "]"):
		return c.checkType(typ[1 : len(typ)-1])
	case strings.HasPrefix(typ, "{") && strings.HasSuffix(typ, "}"):
		return c.checkType(typ[1 : len(typ)-1])
	case scalarTypes[typ]:
		return nil
	}
	if _, ok := c.types[typ]; !ok {
		return fmt.Errorf("type %s is not defined", typ)
	}
	return nil
}

// validate checks v against typ and returns every difference, each with
// its path in the output.
func (c *contract) validate(v any, typ, path string) []string {
	var errs []string
	bad := func(format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	switch {
	case typ == "any":
	case strings.HasPrefix(typ, "["):
		a, ok := v.([]any)
		if !ok {
			bad("want an array (%s), got %s", typ, kindOf(v))
			break
		}
		for i, x := range a {
			errs = append(errs, c.validate(x, typ[1:len(typ)-1], fmt.Sprintf("%s[%d]", path, i))...)
		}
	case strings.HasPrefix(typ, "{"):
		o, ok := v.(map[string]any)
		if !ok {
			bad("want an object keyed by name (%s), got %s", typ, kindOf(v))
			break
		}
		for _, k := range sortedKeys(o) {
			errs = append(errs, c.validate(o[k], typ[1:len(typ)-1], path+"."+k)...)
		}
	case typ == "integer":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			bad("want an integer, got %s", kindOf(v))
		}
	case typ == "number":
		if _, ok := v.(float64); !ok {
			bad("want a number, got %s", kindOf(v))
		}
	case typ == "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %s", kindOf(v))
		}
	case typ == "string", typ == "time", typ == "date", typ == "hour":
		s, ok := v.(string)
		if !ok {
			bad("want a %s, got %s", typ, kindOf(v))
			break
		}
		layout := map[string]string{"time": time.RFC3339Nano, "date": time.DateOnly, "hour": "2006-01-02T15Z"}[typ]
		if layout == "" {
			break
		}
		t, err := time.Parse(layout, s)
		if err != nil {
			bad("want a %s (%s), got %q", typ, layout, s)
		} else if typ == "time" && t.Location() != time.UTC {
			bad("want a time in UTC, got %q", s)
		}
	default:
		o, ok := v.(map[string]any)
		if !ok {
			bad("want an object %s, got %s", typ, kindOf(v))
			break
		}
		seen := map[string]bool{}
		for _, f := range c.types[typ] {
			seen[f.name] = true
			x, present := o[f.name]
			if !present || x == nil {
				if !f.optional {
					bad("field %s (%s) is missing or null; docs/JSON.md does not mark it optional", f.name, f.typ)
				}
				continue
			}
			errs = append(errs, c.validate(x, f.typ, path+"."+f.name)...)
		}
		for _, k := range sortedKeys(o) {
			if !seen[k] {
				bad("field %s is not in docs/JSON.md's %s", k, typ)
			}
		}
	}
	return errs
}

func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case float64:
		return fmt.Sprintf("number %v", x)
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(o map[string]any) []string {
	ks := make([]string, 0, len(o))
	for k := range o {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// checkJSON validates a command's --json output against the contract.
func checkJSON(t *testing.T, c *contract, command, out string) {
	t.Helper()
	typ, ok := c.commands[command]
	if !ok {
		t.Fatalf("docs/JSON.md's table of commands has no %q", command)
	}
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("shoplake %s --json printed no JSON: %v\n%s", command, err, out)
	}
	for _, e := range c.validate(v, typ, command) {
		t.Error(e)
	}
}

func TestJSONContract_Doc(t *testing.T) {
	c, err := readContract(filepath.Join("..", "..", "docs", "JSON.md"))
	if err != nil {
		t.Fatal(err)
	}
	// Every command with --json is in the table.
	root := newRootCmd()
	var missing []string
	for _, cmd := range allCommands(root) {
		if cmd.Flags().Lookup("json") == nil {
			continue
		}
		name := strings.TrimPrefix(cmd.CommandPath(), "shoplake ")
		if _, ok := c.commands[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("commands with --json that docs/JSON.md does not document: %v", missing)
	}
}

// allCommands returns cmd and every command under it.
func allCommands(cmd *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{cmd}
	for _, c := range cmd.Commands() {
		out = append(out, allCommands(c)...)
	}
	return out
}

// TestJSONContract runs every command with --json on a small world and
// validates each output against docs/JSON.md.
func TestJSONContract(t *testing.T) {
	c, err := readContract(filepath.Join("..", "..", "docs", "JSON.md"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	data := filepath.Join(root, "data")
	// run runs a command with --json; one that must fail (verify with a
	// finding) still prints its JSON.
	runExit := func(t *testing.T, fails bool, command string, args ...string) {
		t.Helper()
		full := append(strings.Fields(command), args...)
		out, stderr, err := execute(t, append(full, "--json")...)
		if (err != nil) != fails {
			t.Fatalf("shoplake %s: error %v, want failing %v\n%s", strings.Join(full, " "), err, fails, stderr)
		}
		checkJSON(t, c, command, out)
	}
	run := func(t *testing.T, command string, args ...string) { t.Helper(); runExit(t, false, command, args...) }
	// The batch and warehouse commands over one demo's data directory.
	run(t, "demo", "--seed", "5", "--days", "2", "--users", "60", "--data-dir", data)
	run(t, "transform", "--data-dir", data)
	run(t, "check", "--data-dir", data)
	run(t, "verify", "--data-dir", data)
	// A RAW object overwritten in the lake: verify lists it as corrupt.
	raws, err := filepath.Glob(filepath.Join(bucketDir(data), "raw", "events", "*", "*", "*.ndjson.gz"))
	if err != nil || len(raws) == 0 {
		t.Fatalf("no RAW event object under %s (%v)", data, err)
	}
	corrupted := filepath.Join(root, "corrupted")
	if err := copyDir(data, corrupted); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(data, raws[0])
	if err := os.WriteFile(filepath.Join(corrupted, rel), []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	runExit(t, true, "verify", "--data-dir", corrupted)
	// check before any run; a real prune (its result) on a copy.
	run(t, "check", "--data-dir", filepath.Join(root, "none"))
	pruned := filepath.Join(root, "pruned")
	if err := copyDir(data, pruned); err != nil {
		t.Fatal(err)
	}
	run(t, "prune", "--now", "2027-01-01", "--raw-days", "90", "--data-dir", pruned)
	run(t, "prune", "--dry-run", "--now", "2027-01-01", "--raw-days", "90", "--curated-keep", "1", "--data-dir", data)
	run(t, "cost", "--data-dir", data)
	run(t, "cost", "--events-per-day", "1000000")
	run(t, "ingest", "--from", "2026-01-05", "--to", "2026-01-06", "--data-dir", filepath.Join(root, "batch"))
	// The stream's commands in a directory of their own.
	stream := filepath.Join(root, "stream")
	run(t, "setup", "--data-dir", stream)
	run(t, "produce", "--days", "1", "--users", "40", "--data-dir", stream)
	// NDJSON with a blank line and a record over Kinesis's 1 MiB: skipped
	// and refused, with the reason.
	events, stderr, err := execute(t, "sim", "events", "--users", "5", "--days", "1")
	if err != nil {
		t.Fatalf("sim events: %v\n%s", err, stderr)
	}
	huge := `{"session_id":"s","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	input := filepath.Join(root, "input.ndjson")
	if err := os.WriteFile(input, []byte(events+"\n"+huge+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runExit(t, true, "produce", "--input", input, "--data-dir", stream)
	run(t, "consume", "--data-dir", stream)
	run(t, "scenario kinds")
	for _, f := range []string{"api_down.yaml", "malformed_records.yaml"} {
		run(t, "scenario run", filepath.Join("..", "..", "scenarios", "testdata", f), "--data-dir", filepath.Join(root, f))
	}
	run(t, "scenario swarm", "--seeds", "1", "--first-seed", "3")
}

// copyDir copies the tree src to dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func TestJSONContract_Validate(t *testing.T) {
	c := &contract{types: map[string][]contractField{
		"T": {{name: "n", typ: "integer"}, {name: "at", typ: "time"}, {name: "day", typ: "date"},
			{name: "list", typ: "[U]"}, {name: "by", typ: "{integer}"}, {name: "opt", typ: "string", optional: true}},
		"U": {{name: "x", typ: "number"}},
	}}
	good := `{"n": 1, "at": "2026-01-05T10:00:00Z", "day": "2026-01-05", "list": [{"x": 1.5}], "by": {"core.events": 3}}`
	for _, tc := range []struct {
		name, doc string
		errs      int
	}{
		{"good", good, 0},
		{"unknown field", strings.Replace(good, `"n": 1`, `"n": 1, "N": 2`, 1), 1},
		{"missing field", strings.Replace(good, `"n": 1, `, ``, 1), 1},
		{"not an integer", strings.Replace(good, `"n": 1`, `"n": 1.5`, 1), 1},
		{"time not UTC", strings.Replace(good, `10:00:00Z`, `10:00:00+01:00`, 1), 1},
		{"date as a time", strings.Replace(good, `"day": "2026-01-05"`, `"day": "2026-01-05T00:00:00Z"`, 1), 1},
		{"null list", strings.Replace(good, `[{"x": 1.5}]`, `null`, 1), 1},
		{"wrong item", strings.Replace(good, `{"x": 1.5}`, `{"x": "1.5"}`, 1), 1},
		{"optional null", strings.Replace(good, `"n": 1`, `"n": 1, "opt": null`, 1), 0},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.doc), &v); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if errs := c.validate(v, "T", "x"); len(errs) != tc.errs {
			t.Errorf("%s: %d errors %v, want %d", tc.name, len(errs), errs, tc.errs)
		}
	}
}
