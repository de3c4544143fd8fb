package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/shoplake/shoplake/scenarios"
)

func TestMain(m *testing.M) {
	// No colours: the golden screens are plain text.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// small is the scenario the TUI tests replay: one day, a consumer crash
// at 02:00 on the timeline.
func small() scenarios.Scenario {
	at := scenarios.Moment{Day: 1, Offset: 2 * time.Hour}
	return scenarios.Scenario{
		Name: "tui-test", Seed: 5, World: scenarios.World{Users: 40, Days: 1, Traffic: 3},
		Faults: []scenarios.Fault{{Kind: scenarios.ConsumerCrash, At: &at, Every: 1, Count: 1}},
	}
}

// session is a program under teatest with what it printed so far.
type session struct {
	t   *testing.T
	tm  *teatest.TestModel
	out bytes.Buffer
}

func start(t *testing.T, sc scenarios.Scenario, dir string) *session {
	t.Helper()
	m := New(context.Background(), sc, Options{SaveDir: dir})
	s := &session{t: t, tm: teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))}
	s.waitFor("next: opening") // the replay is ready
	return s
}

// waitFor reads the program's output until it shows want (ANSI removed).
func (s *session) waitFor(want string) {
	s.t.Helper()
	teatest.WaitFor(s.t, s.tm.Output(), func(b []byte) bool {
		s.out.Write(b)
		return strings.Contains(ansi.Strip(s.out.String()), want)
	}, teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func (s *session) key(k string) {
	switch k {
	case "tab":
		s.tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	case "esc":
		s.tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	case "enter":
		s.tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	case " ":
		s.tm.Send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	default:
		s.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
	}
}

// stepTo presses n until the title shows tick n.
func (s *session) stepTo(n int) {
	s.t.Helper()
	for {
		fm := s.peek()
		if fm >= n {
			return
		}
		s.key("n")
		s.waitFor(fmt.Sprintf("tick %d/", fm+1))
	}
}

var tickRE = regexp.MustCompile(`tick (\d+)/`)

// peek returns the last tick the screen showed.
func (s *session) peek() int {
	all := tickRE.FindAllStringSubmatch(ansi.Strip(s.out.String()), -1)
	if len(all) == 0 {
		return 0
	}
	var n int
	fmt.Sscan(all[len(all)-1][1], &n)
	return n
}

// quit ends the program and returns its final model, closed at cleanup.
func (s *session) quit() Model {
	s.t.Helper()
	s.key("q")
	fm := s.tm.FinalModel(s.t, teatest.WithFinalTimeout(30*time.Second)).(Model)
	s.t.Cleanup(func() { _ = fm.Close() })
	return fm
}

// screen renders the final model at 80x24 without colours.
func screen(m Model) []byte { return []byte(ansi.Strip(m.View()) + "\n") }

// TestTUI_Golden replays the small scenario and compares the screen with
// golden files (go test ./tui -update rewrites them) at given ticks and
// panels: the opening, the crash's hour, the day's close on the marts and
// the end on the checks.
func TestTUI_Golden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tick  int
		keys  []string
		until string
	}{
		{name: "Opening", tick: 1},
		{name: "CrashHour", tick: 4, keys: []string{"5"}},
		{name: "DayClosedMarts", tick: 26, keys: []string{"4"}},
		{name: "DoneChecks", keys: []string{"e", "5"}, until: "done: every check passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, small(), t.TempDir())
			s.stepTo(tc.tick)
			for _, k := range tc.keys {
				s.key(k)
			}
			if tc.until != "" {
				s.waitFor(tc.until)
			}
			fm := s.quit()
			if got := fm.v.st.Tick; tc.tick > 0 && got != tc.tick {
				t.Fatalf("tick %d, want %d", got, tc.tick)
			}
			golden.RequireEqual(t, screen(fm))
		})
	}
}

// TestTUI_Keys presses every key of the help and checks it does what the
// help says.
func TestTUI_Keys(t *testing.T) {
	dir := t.TempDir()
	s := start(t, small(), dir)
	s.key("n")
	s.waitFor("tick 1/")
	s.key("f") // the crash at 02:00 is the next fault
	s.waitFor("ran to consumer_crash at day 1 02:00")
	s.key(" ")
	s.waitFor("playing 10/s")
	s.key(" ")
	s.waitFor("paused")
	s.key("+")
	s.key(" ")
	s.waitFor("playing 30/s")
	s.key(" ")
	s.key("-")
	s.key("-")
	s.key("?")
	s.waitFor("restart from the seed")
	s.key("?")
	s.key("tab")
	s.key("m")
	s.key("i")
	s.waitFor("Inject a fault at")
	s.key("esc")
	s.key("s")
	s.waitFor("saved ")
	s.key("e")
	s.waitFor("done: every check passed")
	s.key("r")
	s.out.Reset()
	s.waitFor("next: opening")
	fm := s.quit()
	if fm.speed != 1 || fm.panel != 1 || fm.page != 1 || fm.help.ShowAll || fm.state != statePaused || fm.v.st.Tick != 0 {
		t.Fatalf("after the keys: speed %d panel %d page %d full help %v state %d tick %d; want 1 1 1 false paused 0",
			fm.speed, fm.panel, fm.page, fm.help.ShowAll, fm.state, fm.v.st.Tick)
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(saved) != 1 {
		t.Fatalf("saved files: %v", saved)
	}
}

// TestTUI_InjectSaveReplay injects a fault from the menu, saves the run as
// a scenario file, plays to the end, and checks that the file replays to
// the same tables.
func TestTUI_InjectSaveReplay(t *testing.T) {
	dir := t.TempDir()
	s := start(t, small(), dir)
	s.stepTo(13) // 12:00, a busy hour
	s.key("i")
	s.waitFor("Inject a fault at day 1 12:00")
	s.out.Reset()
	s.key("3")                                                   // duplicate burst
	s.waitFor("injected at day 1 12:00, replayed from the seed") // shown once back at tick 13
	s.key("s")
	s.waitFor("saved ")
	s.key("e")
	s.waitFor("done: every check passed")
	fm := s.quit()
	rep := fm.v.st.Report
	if rep == nil || !rep.OK {
		t.Fatalf("the replay did not pass: %+v", rep)
	}
	saved, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(saved) != 1 {
		t.Fatalf("saved files: %v", saved)
	}
	sc, err := scenarios.Load(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sc.Faults); n != 2 || sc.Faults[1].Kind != scenarios.ProducerRetryDups || sc.Faults[1].At.String() != "day 1 12:00" {
		t.Fatalf("saved faults: %+v", sc.Faults)
	}
	again, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.OK || again.Hashes != rep.Hashes {
		var b bytes.Buffer
		again.WriteText(&b)
		t.Fatalf("the saved file replays to tables %s (ok %v), the TUI's run to %s:\n%s", again.Hashes, again.OK, rep.Hashes, b.String())
	}
	fired := 0
	for _, f := range again.Faults {
		if f.Kind == scenarios.ProducerRetryDups {
			fired = f.Fired
		}
	}
	if fired == 0 {
		t.Fatal("the injected fault never fired in the replay of the file")
	}
}

// TestTUI_Resize renders every panel and the menu at several terminal
// sizes: no line wider than the terminal, no more lines than it has.
func TestTUI_Resize(t *testing.T) {
	var m tea.Model = New(context.Background(), small(), Options{SaveDir: t.TempDir()})
	m, _ = m.Update(m.Init()())
	t.Cleanup(func() { _ = m.(Model).Close() })
	for range 5 {
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
		m, _ = m.Update(cmd())
	}
	for _, size := range [][2]int{{80, 24}, {60, 20}, {120, 40}, {40, 12}} {
		m, _ = m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, k := range []string{"1", "2", "3", "4", "5", "i", "esc"} {
			msg := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
			if k == "esc" {
				msg = tea.KeyMsg{Type: tea.KeyEsc}
			}
			m, _ = m.Update(msg)
			lines := strings.Split(m.View(), "\n")
			if len(lines) > size[1] {
				t.Errorf("%dx%d after %q: %d lines", size[0], size[1], k, len(lines))
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%dx%d after %q: line %d is %d wide: %q", size[0], size[1], k, i, w, ansi.Strip(l))
				}
			}
		}
	}
}
