package flows

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func staffEngine(t *testing.T, opts ...EngineOption) (*Engine, *Graph) {
	t.Helper()
	g, err := Load(Content())
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(g, opts...), g
}

var weekdayStaff = StaffChat{
	Hours:    Hours{Weekdays: []Period{{From: "10:00", To: "17:00"}}},
	QuietFor: 2 * time.Hour,
}

// TestStaffChatKeepsTheBotQuiet walks a user who asks for a person at 23:30
// on a Tuesday: they are told who answers and from when, the bot says
// nothing to what they write, except the warning about a card number (quoting
// it) and the answer to a crisis, until 「ボットに戻る」.
func TestStaffChatKeepsTheBotQuiet(t *testing.T) {
	e, g := staffEngine(t, WithStaffChat(weekdayStaff))
	st := State{Step: g.Start}
	steps := []struct {
		name      string
		in        Input
		at        time.Time
		want      []string // in the reply, in order of messages
		wantQuiet bool     // no message at all
		quote     string   // the first message quotes this token
	}{
		{"相談窓口 offers the staff", Input{Kind: InputText, Text: "相談窓口"}, night,
			[]string{"【人と話せる窓口】"}, false, ""},
		{"asking for a person", Input{Kind: InputPostback, Data: cmdData(cmdStaff)}, night,
			[]string{"担当のスタッフ（人）がお返事します", "平日 10:00〜17:00", "11月25日(水) 10:00 から", "11月25日(水) 01:30には自動でボットに戻ります"}, false, ""},
		{"a message for the staff", Input{Kind: InputText, Text: "カードに知らない請求がありました"}, night.Add(time.Minute),
			nil, true, ""},
		{"a tap on an old chip", Input{Kind: InputPostback, Data: cmdData(CmdHelp)}, night.Add(2 * time.Minute),
			nil, true, ""},
		{"a typed card number", Input{Kind: InputText, Text: "4111 1111 1111 1111", QuoteToken: "q7"}, night.Add(3 * time.Minute),
			[]string{"カード番号のようなものが送られました"}, false, "q7"},
		{"a crisis", Input{Kind: InputText, Text: "もう死にたい"}, night.Add(4 * time.Minute),
			[]string{"つらい気持ちを話してくれて"}, false, ""},
		{"ボットに戻る", Input{Kind: InputText, Text: "ボットに戻る"}, night.Add(5 * time.Minute),
			[]string{"ボットの案内に戻りました", "どんなことが起きましたか"}, false, ""},
		{"the bot answers again", Input{Kind: InputText, Text: "ヘルプ"}, night.Add(6 * time.Minute),
			[]string{"【使い方】"}, false, ""},
	}
	for _, s := range steps {
		res := e.Next(st, s.in, s.at)
		st = res.State
		var texts []string
		for _, m := range res.Reply.Messages {
			texts = append(texts, m.Text)
		}
		all := strings.Join(texts, "\n")
		if s.wantQuiet != (len(res.Reply.Messages) == 0) {
			t.Errorf("%s: quiet %v, want %v: %q", s.name, len(res.Reply.Messages) == 0, s.wantQuiet, all)
		}
		for _, w := range s.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: the reply lacks %q:\n%s", s.name, w, all)
			}
		}
		if s.quote != "" && res.Reply.Messages[0].QuoteToken != s.quote {
			t.Errorf("%s: the warning does not quote the message (%q)", s.name, res.Reply.Messages[0].QuoteToken)
		}
		if s.name == "相談窓口 offers the staff" && (len(res.Reply.QuickReplies) == 0 || res.Reply.QuickReplies[0].Label != g.Texts.StaffOfferLabel) {
			t.Errorf("相談窓口 does not offer %q first: %+v", g.Texts.StaffOfferLabel, res.Reply.QuickReplies)
		}
	}
	if !st.QuietUntil.IsZero() {
		t.Errorf("still quiet until %v after ボットに戻る", st.QuietUntil)
	}
}

// TestStaffChatQuietEnds: the quiet ends by itself after QuietFor, and at
// once when the operator turns staff chat off; with it off, an old
// 「担当者と話す」 chip lists the phone lines instead.
func TestStaffChatQuietEnds(t *testing.T) {
	on, g := staffEngine(t, WithStaffChat(weekdayStaff))
	off, _ := staffEngine(t)
	asked := on.Next(State{Step: g.Start}, Input{Kind: InputPostback, Data: cmdData(cmdStaff)}, night).State
	if want := night.Add(2 * time.Hour); !asked.QuietUntil.Equal(want) {
		t.Fatalf("quiet until %v, want %v", asked.QuietUntil, want)
	}
	tests := []struct {
		name string
		e    *Engine
		st   State
		in   Input
		at   time.Time
		want string
	}{
		{"just before the time", on, asked, Input{Kind: InputText, Text: "ヘルプ"}, night.Add(2*time.Hour - time.Minute), ""},
		{"the time has passed", on, asked, Input{Kind: InputText, Text: "ヘルプ"}, night.Add(2 * time.Hour), "ボットの案内に戻りました"},
		{"staff chat turned off", off, asked, Input{Kind: InputText, Text: "ヘルプ"}, night.Add(time.Minute), "【使い方】"},
		{"an old chip with staff chat off", off, State{Step: g.Start}, Input{Kind: InputPostback, Data: cmdData(cmdStaff)}, night, "【人と話せる窓口】"},
	}
	for _, tt := range tests {
		res := tt.e.Next(tt.st, tt.in, tt.at)
		got := ""
		if len(res.Reply.Messages) > 0 {
			got = res.Reply.Messages[0].Text
		}
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: the reply starts %q, want %q", tt.name, got, tt.want)
		}
		if tt.want != "" && !res.State.QuietUntil.IsZero() {
			t.Errorf("%s: still quiet", tt.name)
		}
	}
}

func TestParseStaffHours(t *testing.T) {
	tests := []struct {
		in       string
		weekdays string
		weekends string
		bad      bool
	}{
		{in: "10:00-17:00", weekdays: "10:00-17:00"},
		{in: "09:30-17:15, 10:00-16:00", weekdays: "09:30-17:15", weekends: "10:00-16:00"},
		{in: "17:00-10:00", bad: true},
		{in: "10-17", bad: true},
		{in: "10:00-17:00,10:00-16:00,11:00-12:00", bad: true},
		{in: "always", bad: true},
	}
	for _, tt := range tests {
		h, err := ParseStaffHours(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrStaffHours) {
				t.Errorf("%q: err %v, want ErrStaffHours", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		got := func(ps []Period) string {
			if len(ps) == 0 {
				return ""
			}
			return ps[0].From + "-" + ps[0].To
		}
		if got(h.Weekdays) != tt.weekdays || got(h.Weekends) != tt.weekends {
			t.Errorf("%q: weekdays %q weekends %q", tt.in, got(h.Weekdays), got(h.Weekends))
		}
	}
}
