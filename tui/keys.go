package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key binding, with its help text.
type keyMap struct {
	Play, Step, Faster, Slower, NextFault, End key.Binding
	Restart, Inject, Save                      key.Binding
	NextPanel, Panel, MartsPage                key.Binding
	Help, Quit                                 key.Binding
	// In the inject menu.
	Up, Down, Choose, Cancel key.Binding
}

func newKeys() keyMap {
	return keyMap{
		Play:      key.NewBinding(key.WithKeys(" ", "p"), key.WithHelp("space", "play/pause")),
		Step:      key.NewBinding(key.WithKeys("n", "right"), key.WithHelp("n", "step a tick")),
		Faster:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "faster")),
		Slower:    key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "slower")),
		NextFault: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "to next fault")),
		End:       key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "run to the end")),
		Restart:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart from the seed")),
		Inject:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "inject")),
		Save:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save as a scenario")),
		NextPanel: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "panel")),
		Panel:     key.NewBinding(key.WithKeys("1", "2", "3", "4", "5"), key.WithHelp("1-5", "panel")),
		MartsPage: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "next marts page")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "keys")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		Choose:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "inject")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp is the help line.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Play, k.Step, k.NextFault, k.Inject, k.NextPanel, k.Help, k.Quit}
}

// FullHelp is the help shown with ?.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Play, k.Step, k.Faster, k.Slower},
		{k.NextFault, k.End, k.Restart},
		{k.Inject, k.Save, k.MartsPage},
		{k.NextPanel, k.Panel, k.Help, k.Quit},
	}
}

// menuKeys is the help of the inject menu.
type menuKeys keyMap

func (k menuKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Choose, k.Cancel}
}

func (k menuKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }
