package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"fmt"
	"net/url"
	"time"
)

// richMenuFile is the rich menu's definition, the third file that is not a flow.
const richMenuFile = "richmenu.yaml"

// RichMenu is the persistent menu at the bottom of the chat: a grid of areas,
// each sending one global command's postback.
type RichMenu struct {
	Name    string         `yaml:"name"`
	ChatBar string         `yaml:"chat_bar"`
	Width   int            `yaml:"width"`
	Height  int            `yaml:"height"`
	Columns int            `yaml:"columns"`
	Areas   []RichMenuArea `yaml:"areas"`
}

// RichMenuArea is one tappable area: its label and the command it runs.
type RichMenuArea struct {
	Label   string `yaml:"label"`
	Command string `yaml:"command"`
}

// Rect is an area's place on the image, in pixels.
type Rect struct{ X, Y, Width, Height int }

// Bounds returns where area i is on the image: the grid is filled row by row.
func (m *RichMenu) Bounds(i int) Rect {
	rows := (len(m.Areas) + m.Columns - 1) / m.Columns
	w, h := m.Width/m.Columns, m.Height/rows
	col, row := i%m.Columns, i/m.Columns
	r := Rect{X: col * w, Y: row * h, Width: w, Height: h}
	// The last column and row take the pixels the division left over.
	if col == m.Columns-1 {
		r.Width = m.Width - r.X
	}
	if row == rows-1 {
		r.Height = m.Height - r.Y
	}
	return r
}

// Data is the postback data area i sends, the one a command's button sends.
func (m *RichMenu) Data(i int) string { return cmdData(m.Areas[i].Command) }

// LINE's limits on a rich menu (Messaging API reference, "Rich menu object").
const (
	richMenuMinWidth  = 800
	richMenuMaxWidth  = 2500
	richMenuMinHeight = 250
)

// checkRichMenu checks the menu against LINE's limits, and that every area's
// postback reaches a global command: run through the engine, it must not be
// answered as a stale button.
func (l *loader) checkRichMenu() {
	m := l.g.RichMenu
	if m == nil {
		return // a flow set without a menu (test flows); the shipped one has it
	}
	switch {
	case m.Width < richMenuMinWidth || m.Width > richMenuMaxWidth:
		l.problem(richMenuFile, "$.width", "width %d; LINE allows %d–%d px", m.Width, richMenuMinWidth, richMenuMaxWidth)
	case m.Height < richMenuMinHeight:
		l.problem(richMenuFile, "$.height", "height %d; LINE needs at least %d px", m.Height, richMenuMinHeight)
	case float64(m.Width)/float64(m.Height) < 1.45:
		l.problem(richMenuFile, "$.height", "width/height is %.2f; LINE needs at least 1.45", float64(m.Width)/float64(m.Height))
	}
	if n := linelimit.RichMenuChatBar.Len(m.ChatBar); n == 0 || n > linelimit.RichMenuChatBar.Max {
		l.problem(richMenuFile, "$.chat_bar", "has %d characters; LINE allows 1–%d", n, linelimit.RichMenuChatBar.Max)
	}
	// Room for the content hash bot/richmenu appends ("-" and 16 hex digits).
	if maxName := linelimit.RichMenuName.Max - 20; m.Name == "" || linelimit.RichMenuName.Len(m.Name) > maxName {
		l.problem(richMenuFile, "$.name", "must be 1–%d characters", maxName)
	}
	if len(m.Areas) == 0 || len(m.Areas) > linelimit.RichMenuAreas || m.Columns < 1 || m.Columns > len(m.Areas) {
		l.problem(richMenuFile, "$.areas", "%d areas in %d columns; LINE allows 1–%d areas", len(m.Areas), m.Columns, linelimit.RichMenuAreas)
		return
	}
	for i, a := range m.Areas {
		l.checkLabel(richMenuFile, fmt.Sprintf("$.areas[%d].label", i), a.Label)
	}
	if len(l.problems) > 0 {
		return // the engine needs a sound graph
	}
	e := NewEngine(l.g)
	for i, a := range m.Areas {
		res := e.Next(State{Step: l.g.Start}, Input{Kind: InputPostback, Data: m.Data(i)}, richMenuCheckTime)
		if !reachesCommand(m.Data(i)) || startsWith(res.Reply, l.g.Texts.Stale) {
			l.problem(richMenuFile, fmt.Sprintf("$.areas[%d].command", i), "%q is not a global command of %s", a.Command, textsFile)
		}
	}
}

// richMenuCheckTime is any time: a command's answer changes with the hour,
// whether it is a command does not.
var richMenuCheckTime = time.Date(2026, 11, 24, 12, 0, 0, 0, Tokyo)

// reachesCommand reports whether postback data names a command.
func reachesCommand(data string) bool {
	q, err := url.ParseQuery(data)
	return err == nil && q.Get(keyCommand) != ""
}

func startsWith(r Reply, text string) bool {
	return len(r.Messages) > 0 && r.Messages[0].Text == text
}
