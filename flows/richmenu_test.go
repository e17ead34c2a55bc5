package flows

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestRichMenuAreasReachCommands: each area of the shipped rich menu runs the
// global command it names, as typing that command's word does.
func TestRichMenuAreasReachCommands(t *testing.T) {
	g, err := Load(Content())
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(g)
	m := g.RichMenu
	if m == nil {
		t.Fatal("the shipped flows have no rich menu")
	}
	for i, a := range m.Areas {
		tapped := e.Next(State{Step: g.Start}, Input{Kind: InputPostback, Data: m.Data(i)}, night)
		typed := e.Next(State{Step: g.Start}, Input{Kind: InputText, Text: g.commandLabel(a.Command)}, night)
		if allText(tapped) != allText(typed) || allText(tapped) == g.Texts.Stale {
			t.Errorf("area %q answers %q, want what typing %q answers: %q", a.Label, allText(tapped), g.commandLabel(a.Command), allText(typed))
		}
		if r := m.Bounds(i); r.X+r.Width > m.Width || r.Y+r.Height > m.Height || r.Width <= 0 || r.Height <= 0 {
			t.Errorf("area %q is outside the image: %+v", a.Label, r)
		}
	}
	if last := m.Bounds(len(m.Areas) - 1); last.X+last.Width != m.Width || last.Y+last.Height != m.Height {
		t.Errorf("the areas do not cover the image: last %+v", last)
	}
}

// TestRichMenuCheck: flows check names the rich-menu problems a content
// editor might make, with file and line.
func TestRichMenuCheck(t *testing.T) {
	tests := []struct{ name, old, new, reason string }{
		{"unknown command", "command: help\n", "command: call_police\n", `"call_police" is not a global command`},
		{"internal command", "command: help\n", "command: delete_yes\n", `"delete_yes" is not a global command`},
		{"too narrow", "width: 2500\n", "width: 1000\n", "width/height is 1.19"},
		{"label too long", "label: ヘルプ\n", "label: ヘルプとこのボットの使いかたの説明ページです\n", "LINE allows 1–20"},
		{"chat bar too long", "chat_bar: メニュー（タップで開く）\n", "chat_bar: メニューはここをタップすると開きます\n", "LINE allows 1–14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
				richMenuFile: func(t *testing.T, s string) string { return replaceOnce(t, s, tt.old, tt.new) },
			})
			_, err := Load(os.DirFS(dir))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("loaded: err = %v", err)
			}
			for _, p := range verr.Problems {
				if p.File == richMenuFile && p.Line > 1 && strings.Contains(p.Reason, tt.reason) {
					return
				}
			}
			t.Errorf("no problem in %s saying %q; got:\n%v", richMenuFile, tt.reason, verr)
		})
	}
}
