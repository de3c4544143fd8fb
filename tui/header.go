package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/scenarios"
)

// renderHeader renders the title, the timeline with the faults on it, the
// faults fired and the panel tabs: four lines.
func renderHeader(m Model, w int) string {
	s := m.styles
	st := m.v.st
	phase := map[state]string{
		stateStarting: "starting", statePaused: "paused", statePlaying: "playing " + speeds[m.speed].label,
		stateMenu: "paused", stateViolation: "VIOLATION", stateDone: "done", stateFailed: "stopped",
	}[m.state]
	where := "the end"
	if st.Next != "" {
		where = fmt.Sprintf("%s %s", st.Next, st.NextAt.Format("01-02 15:04"))
	}
	// What changes first, so that a narrow terminal cuts the name.
	title := fmt.Sprintf("%s · tick %d/%d · next: %s · %s seed %d", phase, st.Tick, st.Ticks, where, m.sc.Name, m.sc.Seed)
	lines := []string{s.Title.Render(truncate(title, w)), renderTimeline(m, w), renderFaults(m, w), renderTabs(m, w)}
	return strings.Join(lines, "\n")
}

// tickOf returns the tick that replays t: 0 the opening snapshot, then 25
// ticks a day (24 hours and the close).
func tickOf(t, start time.Time) int {
	if t.Before(start) {
		return 0
	}
	d := t.Sub(start)
	day := int(d / (24 * time.Hour))
	return 1 + day*25 + int((d-time.Duration(day)*24*time.Hour)/time.Hour)
}

// renderTimeline draws the ticks as a bar: done, to do, the faults
// scheduled (▲) and where the replay is (●).
func renderTimeline(m Model, w int) string {
	s := m.styles
	st := m.v.st
	n := w - 2
	if n < 4 || st.Ticks == 0 {
		return ""
	}
	pos := func(tick int) int { return min(tick*n/max(st.Ticks, 1), n-1) }
	cells := make([]string, n)
	cur := pos(st.Tick)
	for i := range cells {
		switch {
		case i < cur:
			cells[i] = s.Bar.Render("━")
		default:
			cells[i] = s.Dim.Render("─")
		}
	}
	for _, f := range st.Faults {
		if !f.At.IsZero() {
			cells[pos(tickOf(f.At, st.Start))] = s.Warn.Render("▲")
		}
	}
	cells[cur] = s.Title.Render("●")
	return "[" + strings.Join(cells, "") + "]"
}

// renderFaults lists the scenario's faults, when they act and how often
// they fired.
func renderFaults(m Model, w int) string {
	s := m.styles
	st := m.v.st
	if len(st.Faults) == 0 {
		return s.Dim.Render("no faults (i injects one)")
	}
	var parts []string
	for _, f := range st.Faults {
		when := ""
		if !f.At.IsZero() {
			when = " " + scenarios.MomentOf(f.At, st.Start).String()
		}
		p := fmt.Sprintf("%s%s ×%d", f.Kind, when, f.Fired)
		if f.Fired > 0 {
			p = s.Warn.Render(p)
		}
		parts = append(parts, p)
	}
	return truncate("faults: "+strings.Join(parts, " · "), w)
}

func renderTabs(m Model, w int) string {
	s := m.styles
	var parts []string
	for i, name := range panelNames {
		label := fmt.Sprintf("%d %s", i+1, name)
		if i == m.panel {
			parts = append(parts, s.TabOn.Render(label))
		} else {
			parts = append(parts, s.Tab.Render(label))
		}
	}
	return truncate(strings.Join(parts, "  "), w)
}

// renderMenu is the inject menu.
func renderMenu(m Model, w, h int) string {
	s := m.styles
	_, at := m.replay.Next()
	lines := []string{
		s.Header.Render("Inject a fault at " + scenarios.MomentOf(at, m.v.st.Start).String()),
		s.Dim.Render("The replay restarts from its seed with the fault in its scenario and"),
		s.Dim.Render("returns here; s then saves a file that replays it exactly."),
		"",
	}
	for i, inj := range scenarios.Injections() {
		line := fmt.Sprintf(" %d  %s ", i+1, inj)
		if i == m.menu {
			line = s.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// renderChecks is the invariant checkers' status: the live checks while
// the replay runs, every checker's result once it has run, and the steps
// that failed.
func renderChecks(m Model, w, h int) string {
	s := m.styles
	st := m.v.st
	checks := m.v.live
	title := "Invariants checked as the replay goes (the rest run at the last tick)"
	if st.Report != nil {
		checks, title = st.Report.Checks, "Every checker, after the heal phase"
	}
	lines := []string{s.Header.Render(title)}
	for _, c := range checks {
		mark := s.OK.Render("ok  ")
		if !c.OK {
			mark = s.Bad.Render("FAIL")
		}
		var counts []string
		for _, n := range c.Counts {
			counts = append(counts, fmt.Sprintf("%s=%d", n.Name, n.N))
		}
		lines = append(lines, fmt.Sprintf("%s %-22s %s", mark, c.Name, s.Dim.Render(strings.Join(counts, " "))))
		for _, v := range c.Violations {
			lines = append(lines, s.Bad.Render("     "+strings.ReplaceAll(v, "\n", " ")))
		}
	}
	if len(st.Steps) > 0 {
		lines = append(lines, "", s.Header.Render(fmt.Sprintf("Steps that failed (%d; the heal phase must catch them up)", len(st.Steps))))
		from := max(len(st.Steps)-(h-len(lines)-1), 0)
		for _, e := range st.Steps[from:] {
			lines = append(lines, s.Warn.Render(fmt.Sprintf("%s %s: %s", e.Phase, e.Step, e.Err)))
		}
	}
	return strings.Join(lines, "\n")
}

// truncate cuts s to w display cells.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

// fit cuts block to h lines of at most w cells, and pads it to h lines so
// that the footer stays at the bottom.
func fit(block string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(block, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func lineCount(s string) int { return strings.Count(s, "\n") + 1 }
