package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/shoplake/shoplake/scenarios"
)

// state is what the program is doing.
type state int

const (
	stateStarting  state = iota // the replay is being set up
	statePaused                 // waiting for a key
	statePlaying                // stepping at the chosen speed
	stateMenu                   // the inject menu is open
	stateViolation              // paused on a broken invariant
	stateDone                   // every tick ran
	stateFailed                 // the replay could not go on
)

// The panels, in tab order.
var panelNames = []string{"stream", "lake", "warehouse", "marts", "checks"}

// speeds are the pauses between ticks when playing, slowest first.
var speeds = []struct {
	label string
	pause time.Duration
}{{"1/s", time.Second}, {"3/s", 300 * time.Millisecond}, {"10/s", 100 * time.Millisecond}, {"30/s", 33 * time.Millisecond}, {"max", 0}}

// Options are how the program runs.
type Options struct {
	// SaveDir is where s saves the run as a scenario file (default ".").
	SaveDir string
	// RunOptions are passed to every replay started (Dir must be empty:
	// a restart needs a fresh directory).
	Run scenarios.RunOptions
}

// Model is the root model. It owns one scenarios.Replay at a time; every
// call on it runs in a command, one at a time (busy).
type Model struct {
	ctx    context.Context
	sc     scenarios.Scenario // as replayed, injections included
	opts   Options
	replay *scenarios.Replay

	state   state
	busy    bool
	v       view
	panel   int
	page    int // marts page
	speed   int
	menu    int         // the selected injection
	target  int         // fast-forward to this tick, then pause
	pending *tea.KeyMsg // a key pressed while busy, handled once at rest
	toFault bool
	fired   int // faults fired when "run to the next fault" started
	message string
	err     error

	width, height int
	keys          keyMap
	help          help.Model
	styles        styles
}

// New returns the program's model for sc; Init starts the replay.
func New(ctx context.Context, sc scenarios.Scenario, opts Options) Model {
	if opts.SaveDir == "" {
		opts.SaveDir = "."
	}
	h := help.New()
	h.Width = 80
	return Model{ctx: ctx, sc: sc, opts: opts, speed: 2, width: 80, height: 24, keys: newKeys(), help: h, styles: newStyles()}
}

// Replay returns the replay shown (nil while starting). The caller closes
// it when the program ends (Close).
func (m Model) Replay() *scenarios.Replay { return m.replay }

// Close releases the replay.
func (m Model) Close() error {
	if m.replay == nil {
		return nil
	}
	return m.replay.Close()
}

// Scenario returns the scenario replayed, injections included.
func (m Model) Scenario() scenarios.Scenario { return m.sc }

// Messages.
type (
	startedMsg struct {
		replay *scenarios.Replay
		v      view
		err    error
	}
	steppedMsg struct {
		v   view
		err error
	}
	playMsg  struct{ replay *scenarios.Replay }
	savedMsg struct {
		path string
		err  error
	}
)

// Init starts the replay.
func (m Model) Init() tea.Cmd { return startCmd(m.ctx, nil, m.sc, m.opts.Run) }

// startCmd closes old, if any, and starts sc.
func startCmd(ctx context.Context, old *scenarios.Replay, sc scenarios.Scenario, o scenarios.RunOptions) tea.Cmd {
	return func() tea.Msg {
		if old != nil {
			_ = old.Close()
		}
		p, err := scenarios.Start(ctx, sc, o)
		if err != nil {
			return startedMsg{err: err}
		}
		v, err := readView(ctx, p, true)
		return startedMsg{replay: p, v: v, err: err}
	}
}

// stepCmd runs one tick of p and reads the view.
func stepCmd(ctx context.Context, p *scenarios.Replay) tea.Cmd {
	return func() tea.Msg {
		kind, _ := p.Next()
		if err := p.Step(ctx); err != nil {
			return steppedMsg{err: err}
		}
		v, err := readView(ctx, p, kind != scenarios.TickHour)
		return steppedMsg{v: v, err: err}
	}
}

// readView reads the replay's state; the marts only when a build may have
// changed them (withMarts).
func readView(ctx context.Context, p *scenarios.Replay, withMarts bool) (view, error) {
	st, err := p.Status(ctx)
	if err != nil {
		return view{}, err
	}
	v := view{st: st, live: p.LiveChecks()}
	if withMarts {
		if v.marts, err = loadMarts(ctx, p); err != nil {
			return view{}, err
		}
	}
	return v, nil
}

func saveCmd(sc scenarios.Scenario, dir string, tick int) tea.Cmd {
	return func() tea.Msg {
		b, err := scenarios.Marshal(sc)
		if err != nil {
			return savedMsg{err: err}
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-tick%d.yaml", sc.Name, tick))
		header := fmt.Sprintf("# Saved by shoplake tui at tick %d; replay it with:\n#   shoplake scenario run %s\n", tick, path)
		if err := os.WriteFile(path, append([]byte(header), b...), 0o644); err != nil {
			return savedMsg{err: err}
		}
		return savedMsg{path: path}
	}
}

func (m Model) playCmd() tea.Cmd {
	p := m.replay
	pause := speeds[m.speed].pause
	if pause == 0 {
		return func() tea.Msg { return playMsg{replay: p} }
	}
	return tea.Tick(pause, func(time.Time) tea.Msg { return playMsg{replay: p} })
}

// Update handles global keys, then resizes, then the replay's messages,
// then the keys of the current state.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if key.Matches(msg, m.keys.Quit) && (m.state != stateMenu || msg.String() == "ctrl+c") {
			return m, tea.Quit
		}
		if key.Matches(msg, m.keys.Help) {
			m.help.ShowAll = !m.help.ShowAll
			return m, nil
		}
		if m.state == stateMenu {
			return m.updateMenu(msg)
		}
		return m.updateKeys(msg)
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case startedMsg:
		m.busy = false
		if msg.err != nil {
			m.state, m.err = stateFailed, msg.err
			return m, nil
		}
		m.replay, m.v, m.state = msg.replay, msg.v, statePaused
		return m.nextThenPending()
	case steppedMsg:
		m.busy = false
		if msg.err != nil {
			m.state, m.err = stateFailed, msg.err
			return m, nil
		}
		m.v = msg.v
		return m.nextThenPending()
	case playMsg:
		if msg.replay == m.replay && m.state == statePlaying && !m.busy {
			m.busy = true
			return m, stepCmd(m.ctx, m.replay)
		}
		return m, nil
	case savedMsg:
		if msg.err != nil {
			m.message = "save failed: " + msg.err.Error()
		} else {
			m.message = "saved " + msg.path
		}
		return m, nil
	}
	return m, nil
}

// nextThenPending is next, then the key pressed while busy, if the replay
// is at rest.
func (m Model) nextThenPending() (tea.Model, tea.Cmd) {
	nm, cmd := m.next()
	mm := nm.(Model)
	if mm.busy || mm.pending == nil {
		return mm, cmd
	}
	k := *mm.pending
	mm.pending = nil
	if mm.state == statePlaying {
		return mm, cmd // playing goes on; a key pressed meanwhile is dropped
	}
	return mm.updateKeys(k)
}

// next decides what follows a tick: pause on a violation or at the end,
// go on fast-forwarding, running to a fault or playing.
func (m Model) next() (tea.Model, tea.Cmd) {
	if bad := m.violations(); len(bad) > 0 && m.state != stateViolation {
		m.state, m.target, m.toFault = stateViolation, 0, false
		return m, nil
	}
	if m.replay.Done() {
		if m.state != stateViolation {
			m.state = stateDone
		}
		m.target, m.toFault = 0, false
		return m, nil
	}
	tick := m.v.st.Tick
	if m.target <= tick {
		m.target = 0
	}
	switch {
	case m.target > tick:
		m.busy = true
		return m, stepCmd(m.ctx, m.replay)
	case m.toFault:
		if firedSum(m.v.st) > m.fired {
			m.toFault, m.state = false, statePaused
			m.message = "a fault fired"
			return m, nil
		}
		m.busy = true
		return m, stepCmd(m.ctx, m.replay)
	case m.state == statePlaying:
		return m, m.playCmd()
	}
	return m, nil
}

// violations lists the broken invariants: the live checks, and the
// report's checks once it exists.
func (m Model) violations() []string {
	var out []string
	checks := m.v.live
	if m.v.st.Report != nil {
		checks = m.v.st.Report.Checks
	}
	for _, c := range checks {
		for _, v := range c.Violations {
			out = append(out, c.Name+": "+v)
		}
	}
	return out
}

// nextScheduled returns the fault whose start is the next ahead of the
// replay, if any.
func nextScheduled(st scenarios.Status) (scenarios.FaultStatus, bool) {
	var next scenarios.FaultStatus
	found := false
	for _, f := range st.Faults {
		if f.At.IsZero() || f.At.Before(st.NextAt) || st.Next == "" {
			continue
		}
		if !found || f.At.Before(next.At) {
			next, found = f, true
		}
	}
	return next, found
}

func firedSum(st scenarios.Status) int {
	n := 0
	for _, f := range st.Faults {
		n += f.Fired
	}
	return n
}

// updateKeys handles the keys of the paused, playing, violation and done
// states.
func (m Model) updateKeys(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	m.message = ""
	switch {
	case key.Matches(msg, k.NextPanel):
		m.panel = (m.panel + 1) % len(panelNames)
	case key.Matches(msg, k.Panel):
		m.panel = int(msg.String()[0] - '1')
	case key.Matches(msg, k.MartsPage):
		m.page = (m.page + 1) % 3
	case key.Matches(msg, k.Faster):
		m.speed = min(m.speed+1, len(speeds)-1)
	case key.Matches(msg, k.Slower):
		m.speed = max(m.speed-1, 0)
	case key.Matches(msg, k.Restart) && m.busy:
		m.pending = &msg
	case key.Matches(msg, k.Restart):
		if m.replay != nil {
			m.state, m.busy, m.target, m.toFault = stateStarting, true, 0, false
			return m, startCmd(m.ctx, m.replay, m.sc, m.opts.Run)
		}
	case key.Matches(msg, k.Play) && m.state == statePlaying:
		// Pausing works mid-tick: the tick in flight finishes, no other
		// follows.
		m.state = statePaused
	case m.busy:
		// The keys below need the replay at rest: the last one pressed
		// waits for the tick in flight.
		m.pending = &msg
	case m.replay == nil || m.state == stateStarting || m.state == stateFailed:
	case key.Matches(msg, k.Save):
		return m, saveCmd(m.sc, m.opts.SaveDir, m.v.st.Tick)
	case m.state == stateDone:
	case key.Matches(msg, k.Play):
		m.state = statePlaying
		m.busy = true
		return m, stepCmd(m.ctx, m.replay)
	case key.Matches(msg, k.Step):
		m.state, m.busy = statePaused, true
		return m, stepCmd(m.ctx, m.replay)
	case key.Matches(msg, k.NextFault):
		// To the next fault on the timeline, past the hour it starts in;
		// without one ahead, until a fault fires.
		m.state, m.busy = statePaused, true
		if f, ok := nextScheduled(m.v.st); ok {
			m.target = tickOf(f.At, m.v.st.Start) + 1
			m.message = fmt.Sprintf("ran to %s at %s", f.Kind, scenarios.MomentOf(f.At, m.v.st.Start))
		} else {
			m.toFault, m.fired = true, firedSum(m.v.st)
		}
		return m, stepCmd(m.ctx, m.replay)
	case key.Matches(msg, k.End):
		m.state, m.target, m.busy = statePaused, m.v.st.Ticks, true
		return m, stepCmd(m.ctx, m.replay)
	case key.Matches(msg, k.Inject):
		if k, _ := m.replay.Next(); k == scenarios.TickHour {
			m.state, m.menu = stateMenu, 0
		} else {
			m.message = "faults are injected at an hour of the fault phase"
		}
	}
	return m, nil
}

// updateMenu handles the inject menu: the chosen injection restarts the
// replay from its seed with the fault in the scenario, at the hour about to
// be replayed, and fast-forwards to where it was.
func (m Model) updateMenu(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	items := scenarios.Injections()
	switch {
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Quit):
		m.state = statePaused
	case key.Matches(msg, k.Up):
		m.menu = (m.menu + len(items) - 1) % len(items)
	case key.Matches(msg, k.Down):
		m.menu = (m.menu + 1) % len(items)
	case len(msg.String()) == 1 && msg.String()[0] >= '1' && msg.String()[0] < '1'+byte(len(items)):
		m.menu = int(msg.String()[0] - '1')
		fallthrough
	case key.Matches(msg, k.Choose):
		inj := items[m.menu]
		_, at := m.replay.Next()
		m.sc = inj.Apply(m.sc, at, m.v.st.Start)
		m.target = m.v.st.Tick
		m.state, m.busy = stateStarting, true
		m.message = fmt.Sprintf("injected at %s, replayed from the seed: %s", scenarios.MomentOf(at, m.v.st.Start), inj)
		return m, startCmd(m.ctx, m.replay, m.sc, m.opts.Run)
	}
	return m, nil
}

// View renders the screen: the header (title, timeline, faults, tabs), the
// active panel, the status line and the help.
func (m Model) View() string {
	w, h := max(m.width, 20), max(m.height, 8)
	s := m.styles
	header := renderHeader(m, w)
	var footer []string
	footer = append(footer, m.statusLine(w))
	if m.state == stateMenu {
		footer = append(footer, m.help.View(menuKeys(m.keys)))
	} else {
		footer = append(footer, m.help.View(m.keys))
	}
	for i := range footer {
		footer[i] = fit(footer[i], w, lineCount(footer[i]))
	}
	foot := strings.Join(footer, "\n")
	bodyH := max(h-lineCount(header)-lineCount(foot), 0)
	var body string
	switch {
	case m.state == stateFailed:
		body = s.Bad.Render("the replay stopped: " + m.err.Error())
	case m.replay == nil:
		body = s.Dim.Render("starting the replay (building the world, opening the endpoints)…")
	case m.state == stateMenu:
		body = renderMenu(m, w, bodyH)
	default:
		switch panelNames[m.panel] {
		case "stream":
			body = renderStream(m.v, s, w, bodyH)
		case "lake":
			body = renderLake(m.v, s, w, bodyH)
		case "warehouse":
			body = renderWarehouse(m.v, s, w, bodyH)
		case "marts":
			body = renderMarts(m.v, s, m.page, w, bodyH)
		case "checks":
			body = renderChecks(m, w, bodyH)
		}
	}
	body = fit(body, w, bodyH)
	return header + "\n" + body + "\n" + foot
}

// statusLine is the line above the help: a violation, the last message,
// or what the program is doing.
func (m Model) statusLine(w int) string {
	s := m.styles
	var line string
	switch {
	case m.state == stateViolation:
		v := m.violations()
		line = s.Bad.Render(fmt.Sprintf("PAUSED on a violation (%d): %s", len(v), v[0]))
	case m.target > 0:
		line = s.Dim.Render(fmt.Sprintf("fast-forward to tick %d…", m.target))
	case m.message != "":
		line = m.message
	case m.state == stateStarting:
		line = s.Dim.Render("starting…")
	case m.state == stateDone && m.v.st.Report != nil && m.v.st.Report.OK:
		line = s.OK.Render("done: every check passed · tables " + m.v.st.Report.Hashes)
	case m.state == stateDone:
		line = "done"
	case m.toFault:
		line = s.Dim.Render("running to the next fault…")
	}
	return truncate(line, w)
}
