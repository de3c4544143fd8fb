package tui

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/scenarios"
)

// The README shows two screens of `shoplake tui` on the demo, each in the
// fenced block after the paragraph that ends with one of these captions
// (a caption may be wrapped over two lines: whitespace is normalised).
const (
	readmeCaptionFault = "After `f`, the stream panel at the hour the consumer crash is due (it strikes at the third checkpoint, in the next hour, hence ×0):"
	readmeCaptionEnd   = "After `e` and `5`, the checks at the end:"
)

// TestTUI_README drives the model of `shoplake tui` without a scenario file
// (scenarios.Demo, as cmd/shoplake/tui.go builds it) at 80x24 with the keys
// the README names, as scripts/tui-tmux.sh pressed them (each key once the
// replay is at rest), and requires the screen to equal the README's block
// line by line: tick, timeline, faults fired, counts, shards, checks and
// the tables' digest. Trailing spaces are trimmed on both sides; nothing is
// masked, since nothing on these screens depends on the wall clock (the
// stream panel's "put 1.0 s" is the producer's backoff on the simulated
// clock, at least a second, and MillisBehindLatest is measured on that
// clock too), and a replay of one seed is the same bytes every time.
//
// The model is driven by its own Update, each command run to completion
// before the next key (drive), not under teatest: one replay then gives
// both screens, in some 7 s instead of two replays. The real program's
// screens are what scripts/tui-tmux.sh f e 5 prints.
func TestTUI_README(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeScreens(string(b))
	for _, c := range []string{readmeCaptionFault, readmeCaptionEnd} {
		if _, ok := blocks[c]; !ok {
			t.Fatalf("README.md: no fenced block after a paragraph ending with %q (the TUI screens of \"Watching a replay\")", c)
		}
	}

	m := driveStart(t, New(context.Background(), scenarios.Demo(), Options{SaveDir: t.TempDir()}))
	m = driveKeys(t, m, "f")
	compareScreen(t, readmeCaptionFault, blocks[readmeCaptionFault], m)
	m = driveKeys(t, m, "e", "5")
	if m.state != stateDone {
		t.Fatalf("after e the replay is not done (state %d, tick %d/%d)", m.state, m.v.st.Tick, m.v.st.Ticks)
	}
	compareScreen(t, readmeCaptionEnd, blocks[readmeCaptionEnd], m)
}

// readmeBlock is a fenced block of the README: its lines, and the line
// number (from 1) of its first line in the file.
type readmeBlock struct {
	line  int
	lines []string
}

// readmeScreens returns the fenced blocks of md that follow a paragraph
// ending with a caption (a blank line may separate them), by caption.
func readmeScreens(md string) map[string]readmeBlock {
	out := map[string]readmeBlock{}
	lines := strings.Split(md, "\n")
	var para []string // the paragraph before the current line
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			if strings.TrimSpace(l) == "" {
				if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "```") {
					continue // keep the paragraph for the fence that follows
				}
				para = nil
			} else {
				para = append(para, strings.TrimSpace(l))
			}
			continue
		}
		text := strings.Join(strings.Fields(strings.Join(para, " ")), " ")
		para = nil
		block := readmeBlock{line: i + 2}
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			block.lines = append(block.lines, lines[i])
		}
		for _, c := range []string{readmeCaptionFault, readmeCaptionEnd} {
			if strings.HasSuffix(text, c) {
				out[c] = block
			}
		}
	}
	return out
}

// compareScreen requires m's screen, without colours, to equal the block
// line by line, trailing spaces trimmed, naming the first README line that
// differs.
func compareScreen(t *testing.T, caption string, want readmeBlock, m Model) {
	t.Helper()
	got := strings.Split(ansi.Strip(m.View()), "\n")
	trim := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = strings.TrimRight(l, " ")
		}
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		return out
	}
	g, w := trim(got), trim(want.lines)
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("README.md:%d (line %d of the screen under %q) differs from the program's screen:\n README:  %q\n program: %q\nthe program's screen at 80x24 (if it is right, it goes into the README):\n%s",
				want.line+i, i+1, caption, wl, gl, strings.Join(g, "\n"))
			return
		}
	}
}

// driveStart runs m's Init at 80x24 until the replay is ready.
func driveStart(t *testing.T, m Model) Model {
	t.Helper()
	mm, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = mm.(Model)
	m = drive(t, m, m.Init())
	t.Cleanup(func() { _ = m.Close() })
	if m.state != statePaused {
		t.Fatalf("the replay did not start: state %d, %v", m.state, m.err)
	}
	return m
}

// driveKeys presses each key and runs what it starts until the replay is at
// rest, as a user who waits for the screen to settle between keys.
func driveKeys(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		mm, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		m = drive(t, mm.(Model), cmd)
		if m.state == stateFailed {
			t.Fatalf("after key %q: %v", k, m.err)
		}
	}
	return m
}

// drive runs cmd and feeds its messages to m, one at a time as the program
// would, until no command is left.
func drive(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the replay did not come to rest: state %d, tick %d/%d", m.state, m.v.st.Tick, m.v.st.Ticks)
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			mm, next := m.Update(msg)
			m = mm.(Model)
			queue = append(queue, next)
		}
	}
	return m
}
