package tui

import "github.com/charmbracelet/lipgloss"

// styles holds every style of the TUI, in one place. Colours are ANSI
// codes (0-15) so that the program looks right in any 16-colour terminal
// and tests render without a colour profile.
type styles struct {
	Title    lipgloss.Style // the top line
	Tab      lipgloss.Style // an inactive panel tab
	TabOn    lipgloss.Style // the active tab
	Header   lipgloss.Style // a table's header row, a section title
	Dim      lipgloss.Style // secondary text
	OK       lipgloss.Style // a passing check, a value equal to the oracle
	Bad      lipgloss.Style // a violation, a value that differs from the oracle
	Warn     lipgloss.Style // a fault fired, a warning check
	Bar      lipgloss.Style // the filled part of a bar or the timeline
	Help     lipgloss.Style // the help line
	Selected lipgloss.Style // the selected menu item
}

func newStyles() styles {
	return styles{
		Title:    lipgloss.NewStyle().Bold(true),
		Tab:      lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		TabOn:    lipgloss.NewStyle().Bold(true).Underline(true),
		Header:   lipgloss.NewStyle().Bold(true),
		Dim:      lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		OK:       lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		Bad:      lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Warn:     lipgloss.NewStyle().Foreground(lipgloss.Color("3")),
		Bar:      lipgloss.NewStyle().Foreground(lipgloss.Color("6")),
		Help:     lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		Selected: lipgloss.NewStyle().Reverse(true),
	}
}
