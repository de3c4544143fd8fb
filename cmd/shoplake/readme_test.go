package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's examples are tests: every fenced block whose first line is a
// shell prompt ("$ ") is a sequence of commands, each followed by the output
// the README promises. readmeBlocks parses them; readmeMatch compares an
// output with a promise; readme_run_test.go (build tag readme, make
// readme-test) turns them into one testscript that runs every command in the
// order shown, in one directory.
//
// A promise is read the way a person reads it:
//   - a line that is exactly "..." stands for any number of lines, none
//     included;
//   - "..." inside a line stands for any text;
//   - what differs from run to run is masked on both sides: durations,
//     rates, loopback ports, the retry jitter's seed, the consumer's owner
//     and the wall-clock time of a transform run;
//   - runs of spaces count as one, so a wider duration does not move a
//     table's columns out of the comparison.

// readmeStep is one "$ command" of the README and the output shown under it.
type readmeStep struct {
	Line    int      // the README line of the command
	Command string   // the command, continuation lines joined by "\\\n"
	Want    []string // the output shown, as written
}

// readmeBlock is one fenced block of commands.
type readmeBlock struct {
	Line  int
	Steps []readmeStep
}

// readmeBlocks returns the README's command blocks in order. A fenced block
// whose first line is not a prompt (a layout, a screen of the TUI) is not
// one.
func readmeBlocks(text string) ([]readmeBlock, error) {
	var (
		blocks []readmeBlock
		inside bool
		first  bool
		cur    *readmeBlock
	)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	continuing := false
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if inside {
				if cur != nil {
					if continuing {
						return nil, fmt.Errorf("README line %d: the block ends inside a command continued with \\", n)
					}
					blocks = append(blocks, *cur)
					cur = nil
				}
				inside = false
				continue
			}
			inside, first = true, true
			continue
		}
		if !inside {
			continue
		}
		if first {
			first = false
			if !strings.HasPrefix(line, "$ ") {
				continue // not a block of commands
			}
			cur = &readmeBlock{Line: n}
		}
		if cur == nil {
			continue
		}
		switch {
		case continuing:
			s := &cur.Steps[len(cur.Steps)-1]
			s.Command += "\n" + line
			continuing = strings.HasSuffix(line, "\\")
		case strings.HasPrefix(line, "$ "):
			cmd := strings.TrimPrefix(line, "$ ")
			cur.Steps = append(cur.Steps, readmeStep{Line: n, Command: cmd})
			continuing = strings.HasSuffix(line, "\\")
		default:
			s := &cur.Steps[len(cur.Steps)-1]
			s.Want = append(s.Want, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if inside {
		return nil, fmt.Errorf("README: a fenced block is not closed")
	}
	return blocks, nil
}

// readmeMasks replace what differs from run to run, in the promise and in
// the output alike.
var readmeMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	// Durations as Go prints them (255ms, 1.04s, 14m31s, 1h 15m 0s).
	{regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b`), "<dur>"},
	{regexp.MustCompile(`(<dur> ?)+`), "<dur> "},
	{regexp.MustCompile(`\b\d+(\.\d+)? events/s\b`), "<rate> events/s"},
	{regexp.MustCompile(`\b(127\.0\.0\.1|localhost):\d+`), "$1:<port>"},
	{regexp.MustCompile(`retry jitter seed -?\d+`), "retry jitter seed <seed>"},
	{regexp.MustCompile(`\bowner [^ ,]+`), "owner <owner>"},
	{regexp.MustCompile(`\b(promoted|blocked|failed) at \d{4}-\d\d-\d\dT[0-9:.]+Z`), "$1 at <time>"},
	{regexp.MustCompile(`\s+`), " "},
}

func readmeMask(line string) string {
	for _, m := range readmeMasks {
		line = m.re.ReplaceAllString(line, m.with)
	}
	return strings.TrimSpace(line)
}

// readmeMatch reports whether got (an output's lines) keeps the promise
// want. With prefix, got may go on past the promise (a server that keeps
// printing). On a mismatch, the reason names the first promised line that
// no output line keeps.
func readmeMatch(want, got []string, prefix bool) (bool, string) {
	type pat struct {
		any bool // a "..." line
		re  *regexp.Regexp
		raw string
	}
	pats := make([]pat, 0, len(want))
	for _, w := range want {
		if strings.TrimSpace(w) == "..." {
			pats = append(pats, pat{any: true, raw: w})
			continue
		}
		parts := strings.Split(readmeMask(w), "...")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		pats = append(pats, pat{re: regexp.MustCompile("^" + strings.Join(parts, ".*") + "$"), raw: w})
	}
	lines := make([]string, len(got))
	for i, g := range got {
		lines[i] = readmeMask(g)
	}
	// Memoized match of pats[i:] against lines[j:]; deepest tracks the
	// furthest promise kept, for the reason.
	memo := map[[2]int]bool{}
	deepest := 0
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i > deepest {
			deepest = i
		}
		if i == len(pats) {
			return prefix || j == len(lines)
		}
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var ok bool
		if pats[i].any {
			for jj := j; jj <= len(lines) && !ok; jj++ {
				ok = match(i+1, jj)
			}
		} else {
			ok = j < len(lines) && pats[i].re.MatchString(lines[j]) && match(i+1, j+1)
		}
		memo[k] = ok
		return ok
	}
	if match(0, 0) {
		return true, ""
	}
	if deepest < len(pats) {
		return false, fmt.Sprintf("no output line keeps the promise %q (promise line %d of %d)", pats[deepest].raw, deepest+1, len(pats))
	}
	return false, "the output goes on past the promise"
}

// readmeLongRunning reports whether a command serves until interrupted:
// the test starts it in the background, waits for its promised output, and
// stops it at the end of its block.
func readmeLongRunning(cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	if strings.HasSuffix(cmd, "&") {
		return true
	}
	for _, p := range []string{"shoplake serve", "shoplake sim serve", "shoplake dashboard"} {
		if cmd == p || strings.HasPrefix(cmd, p+" ") {
			return true
		}
	}
	return strings.Contains(cmd, " --follow")
}

// readREADME returns the command blocks of the repository's README.md.
func readREADME(t *testing.T) []readmeBlock {
	t.Helper()
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(text))
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

func TestREADMEBlocks_Parse(t *testing.T) {
	blocks := readREADME(t)
	steps := 0
	for _, b := range blocks {
		steps += len(b.Steps)
		for _, s := range b.Steps {
			if strings.HasPrefix(s.Command, "shoplake") && !strings.Contains(s.Command, "2>/dev/null") && len(s.Want) == 0 && !readmeLongRunning(s.Command) {
				t.Errorf("README line %d: %q shows no output; every command the README shows prints something, so show it (abridged with ... if long)", s.Line, s.Command)
			}
		}
	}
	// The README shows the demo, serve, ingest, check, a scenario, the
	// swarm, sim serve and events, metrics, cost, prune and mode aws: if the
	// parser finds fewer blocks, it lost some, and the test of the README
	// would pass without running them.
	if len(blocks) < 12 || steps < 25 {
		t.Fatalf("README: %d blocks of %d commands parsed; the parser lost some", len(blocks), steps)
	}
}

func TestREADMEMatch(t *testing.T) {
	for _, c := range []struct {
		name   string
		want   string
		got    string
		prefix bool
		ok     bool
	}{
		{"exact", "a\nb", "a\nb", false, true},
		{"line differs", "a\nb", "a\nc", false, false},
		{"output goes on", "a", "a\nb", false, false},
		{"server goes on", "a", "a\nb", true, true},
		{"elided lines", "a\n...\nd", "a\nb\nc\nd", false, true},
		{"elided none", "a\n...\nd", "a\nd", false, true},
		{"elision keeps order", "a\n...\nd", "d\na", false, false},
		{"elided text", `x "a", ...}`, `x "a", "b": 1}`, false, true},
		{"durations masked", "done in 7.154s [255ms]", "done in 12.5s [1m2.3s]", false, true},
		{"durations only masked", "done in 7.154s, 12 rows", "done in 7.154s, 13 rows", false, false},
		{"columns", "a     1s  b", "a 1.25s b", false, true},
		{"ports", "s3 http://127.0.0.1:4566", "s3 http://127.0.0.1:39001", false, true},
		{"hash differs", "core.events 12808 900ee6db", "core.events 12808 900ee6dc", false, false},
		{"missing line", "a\nb\nc", "a\nc", false, false},
	} {
		ok, why := readmeMatch(strings.Split(c.want, "\n"), strings.Split(c.got, "\n"), c.prefix)
		if ok != c.ok {
			t.Errorf("%s: match = %v (%s), want %v", c.name, ok, why, c.ok)
		}
	}
}
