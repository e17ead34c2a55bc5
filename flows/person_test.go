package flows

import "testing"

// TestAskedForPerson: 相談窓口, typed or tapped in the rich menu, is what the
// operator counts as asking for a person; other commands and steps are not.
func TestAskedForPerson(t *testing.T) {
	g, err := Load(Content())
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(g)
	tests := []struct {
		name string
		in   Input
		want bool
	}{
		{"typed 相談窓口", Input{Kind: InputText, Text: "相談窓口"}, true},
		{"rich menu 相談窓口", Input{Kind: InputPostback, Data: cmdData(CmdContacts)}, true},
		{"typed ヘルプ", Input{Kind: InputText, Text: "ヘルプ"}, false},
		{"rich menu 進捗", Input{Kind: InputPostback, Data: cmdData(CmdProgress)}, false},
		{"a first message", Input{Kind: InputFollow}, false},
	}
	for _, tt := range tests {
		res := e.Next(State{Step: g.Start}, tt.in, night)
		if res.AskedForPerson != tt.want {
			t.Errorf("%s: AskedForPerson %v, want %v", tt.name, res.AskedForPerson, tt.want)
		}
	}
}
