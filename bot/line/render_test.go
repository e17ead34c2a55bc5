package line

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/linelimit"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

func TestTelURI(t *testing.T) {
	tests := map[string]string{
		"188":          "tel:188",
		"#9110":        "tel:%239110",
		"0120-000-000": "tel:0120000000",
	}
	for in, want := range tests {
		if got := TelURI(in); got != want {
			t.Errorf("TelURI(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCallButtonSaysTheNumberOnce: the button names whom it dials and the
// number, never the number twice.
func TestCallButtonSaysTheNumberOnce(t *testing.T) {
	tests := []struct{ name, number, want string }{
		{"警察相談専用電話 #9110", "#9110", "警察相談専用電話 #9110"},
		{"消費者ホットライン 188", "188", "消費者ホットライン 188"},
		{"警察相談専用電話", "#9110", "警察相談専用電話 #9110"},
		// A flex button's label holds 40 characters (a quick reply's, 20).
		{"とても長い名前の相談窓口の電話番号です", "0120-000-000", "とても長い名前の相談窓口の電話番号です 0120-000-000"},
		{"とても長い名前の相談窓口の電話番号ですとても長い名前の相談窓口の", "0120-000-000", "とても長い名前の相談窓口の電話番号ですとても長い名前の相談窓口の"},
	}
	for _, tt := range tests {
		msgs := mustRender(t, flows.Reply{Messages: []flows.Message{{Text: "電話", Buttons: []flows.Button{{Kind: flows.ButtonCall, Label: tt.name, Value: tt.number}}}}})
		bubble := msgs[0].(*messaging_api.FlexMessage).Contents.(*messaging_api.FlexBubble)
		got := bubble.Footer.Contents[0].(*messaging_api.FlexButton).Action.(*messaging_api.UriAction).Label
		if got != tt.want {
			t.Errorf("call button for %q %q says %q, want %q", tt.name, tt.number, got, tt.want)
		}
	}
}

func TestRenderLimits(t *testing.T) {
	long := strings.Repeat("あいうえお\n", 1500) // 9,000 UTF-16 units
	var qs []flows.QuickReply
	for range 15 {
		qs = append(qs, flows.QuickReply{Label: "とても長いラベルなので二十文字を超えてしまいます", Data: "s=x&v=1&c=0", DisplayText: "x"})
	}
	r := flows.Reply{
		Messages: []flows.Message{
			{Text: long},
			{Text: "a"}, {Text: "b"}, {Text: "c"},
			{Text: "電話", Buttons: []flows.Button{{Kind: flows.ButtonCall, Label: "警察相談専用電話", Value: "#9110"}}},
		},
		QuickReplies: qs,
	}
	msgs := mustRender(t, r)
	if len(msgs) != 5 {
		t.Fatalf("%d messages, want 5 (LINE's limit)", len(msgs))
	}
	first := msgs[0].(*messaging_api.TextMessage)
	if n := len([]rune(first.Text)); n > 5000 || !strings.HasSuffix(first.Text, "\n") {
		t.Fatalf("the long text was not split at a line break within the limit (%d runes)", n)
	}
	last, ok := msgs[4].(*messaging_api.TextMessage)
	if !ok || last.QuickReply == nil {
		t.Fatalf("quick replies are not on the last message: %T", msgs[4])
	}
	if n := len(last.QuickReply.Items); n != 13 {
		t.Fatalf("%d quick replies, want 13", n)
	}
	for _, it := range last.QuickReply.Items {
		if it.Type != "action" {
			t.Fatalf("quick reply item without type action: %+v", it)
		}
		if l := it.Action.(*messaging_api.PostbackAction).Label; len([]rune(l)) > 20 {
			t.Fatalf("label %q over 20 characters", l)
		}
	}
}

// TestEveryStepPassesTheStrictFake renders every step of the real flows, as
// a tap on an old button shows it (with the engine's note before it), and
// sends it to the strict fake LINE API: LINE would accept all of it.
func TestEveryStepPassesTheStrictFake(t *testing.T) {
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	eng := flows.NewEngine(g)
	fake := linefake.New()
	defer fake.Close()
	c, err := NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for id := range g.Steps {
		st := flows.State{Step: id, Version: 3, History: []string{g.Start}}
		res := eng.Next(st, flows.Input{Kind: flows.InputPostback, Data: "s=elsewhere&v=1&c=0"}, nightTime)
		if err := c.Reply(fake.IssueReplyToken(), res.Reply); err != nil {
			raw, _ := MessagesJSON(res.Reply)
			t.Errorf("step %s rejected: %v\n%s", id, err, raw)
		}
	}
	for _, cmd := range []string{"進捗", "相談窓口", "ヘルプ", "リマインド一覧", "データ削除"} {
		res := eng.Next(flows.State{Step: g.Start}, flows.Input{Kind: flows.InputText, Text: cmd}, nightTime)
		if err := c.Reply(fake.IssueReplyToken(), res.Reply); err != nil {
			t.Errorf("%s rejected: %v", cmd, err)
		}
	}
	if r := fake.Rejected(); len(r) > 0 {
		t.Fatalf("rejections: %v", r)
	}
}

var nightTime = time.Date(2026, 11, 24, 23, 30, 0, 0, flows.Tokyo)

// TestRenderCountsLikeLINE: labels and texts with emoji, flags, skin tones
// and combining marks are kept when they fit LINE's count (the same the
// content validator uses), cut at a whole grapheme cluster when they do not,
// and the strict fake accepts every body. A quick reply's label holds 20, a
// flex button's 40: the button gets the label twice.
func TestRenderCountsLikeLINE(t *testing.T) {
	fake := linefake.New()
	defer fake.Close()
	c, err := NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	family, flag, thumb := "👨‍👩‍👧", "🇯🇵", "👍🏽"
	for _, tt := range []struct {
		name, label string
		cut         bool
	}{
		{"20 ZWJ families", strings.Repeat(family, 20), false},
		{"19 flags and a voiced kana", strings.Repeat(flag, 19) + "か\u3099", false},
		{"21 skin-toned thumbs", strings.Repeat(thumb, 21), true},
		{"21 letters with combining acute", strings.Repeat("e\u0301", 21), true},
		{"21 apples (surrogate pairs)", strings.Repeat("🍎", 21), true},
	} {
		if fits := linelimit.Label.Fits(tt.label); fits == tt.cut {
			t.Fatalf("%s: the validator's count says fits=%v, LINE's rule says %v", tt.name, fits, !tt.cut)
		}
		r := flows.Reply{
			Messages:     []flows.Message{{Text: tt.label, Buttons: []flows.Button{{Kind: flows.ButtonCopy, Label: tt.label + tt.label, Value: tt.label}}}},
			QuickReplies: []flows.QuickReply{{Label: tt.label, Data: "s=x&v=1&c=0", DisplayText: tt.label}},
		}
		msgs := mustRender(t, r)
		flex := msgs[0].(*messaging_api.FlexMessage)
		button := flex.Contents.(*messaging_api.FlexBubble).Footer.Contents[0].(*messaging_api.FlexButton)
		quick := flex.QuickReply.Items[0].Action.(*messaging_api.PostbackAction)
		for _, l := range []struct{ got, sent string }{
			{button.Action.(*messaging_api.ClipboardAction).Label, tt.label + tt.label},
			{quick.Label, tt.label},
		} {
			kept, cut := strings.CutSuffix(l.got, "…")
			switch {
			case cut != tt.cut:
				t.Errorf("%s: label %q, cut=%v, want %v", tt.name, l.got, cut, tt.cut)
			case !strings.HasPrefix(l.sent, kept) || linelimit.Label.Len(kept)+linelimit.Label.Len(l.sent[len(kept):]) != linelimit.Label.Len(l.sent):
				t.Errorf("%s: label %q splits a grapheme cluster", tt.name, l.got)
			}
		}
		if err := c.Reply(fake.IssueReplyToken(), r); err != nil {
			t.Errorf("%s: LINE (the fake) rejects it: %v", tt.name, err)
		}
	}
	// A text of 2,500 apples is exactly 5,000 UTF-16 units: one message. One
	// skin-toned thumb more needs a second, and the cut does not split it.
	apples := strings.Repeat("🍎", 2500)
	for _, tt := range []struct {
		text  string
		parts []string
	}{
		{apples, []string{apples}},
		{apples + thumb, []string{apples, thumb}},
		{strings.Repeat("a", 4998) + thumb, []string{strings.Repeat("a", 4998), thumb}},
	} {
		r := flows.Reply{Messages: []flows.Message{{Text: tt.text}}}
		var got []string
		for _, m := range mustRender(t, r) {
			got = append(got, m.(*messaging_api.TextMessage).Text)
		}
		if !slices.Equal(got, tt.parts) {
			t.Errorf("a text of %d UTF-16 units was sent as %d parts of %v units, want %d", linelimit.Text.Len(tt.text), len(got), partUnits(got), len(tt.parts))
		}
		if err := c.Reply(fake.IssueReplyToken(), r); err != nil {
			t.Errorf("a text of %d UTF-16 units: LINE (the fake) rejects it: %v", linelimit.Text.Len(tt.text), err)
		}
	}
	if r := fake.Rejected(); len(r) > 0 {
		t.Fatalf("rejections: %v", r)
	}
}

func partUnits(parts []string) []int {
	var n []int
	for _, p := range parts {
		n = append(n, linelimit.Text.Len(p))
	}
	return n
}

// mustRender is Render for replies the engine builds, which always render.
func mustRender(tb testing.TB, r flows.Reply) []messaging_api.MessageInterface {
	tb.Helper()
	msgs, err := Render(r)
	if err != nil {
		tb.Fatal(err)
	}
	return msgs
}

// TestUnknownButtonKindIsAnError: a button kind the renderer does not know
// is not sent as a link (it used to be, whatever it meant), and nothing of
// the reply is sent.
func TestUnknownButtonKindIsAnError(t *testing.T) {
	fake := linefake.New()
	defer fake.Close()
	c, err := NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := flows.Reply{Messages: []flows.Message{
		{Text: "最初のお知らせ"},
		{Text: "ボタン", Buttons: []flows.Button{{Kind: flows.ButtonLink + 1, Label: "開く", Value: "https://www.npa.go.jp/"}}},
	}}
	if _, err := Render(r); !errors.Is(err, ErrUnknownButton) {
		t.Fatalf("Render: err = %v, want ErrUnknownButton", err)
	}
	if _, err := MessagesJSON(r); !errors.Is(err, ErrUnknownButton) {
		t.Errorf("MessagesJSON: err = %v, want ErrUnknownButton", err)
	}
	if err := c.Reply(fake.IssueReplyToken(), r); !errors.Is(err, ErrUnknownButton) {
		t.Errorf("Reply: err = %v, want ErrUnknownButton", err)
	}
	if err := c.Push("U0123456789abcdef0123456789abcdef", "123e4567-e89b-12d3-a456-426614174000", r); !errors.Is(err, ErrUnknownButton) {
		t.Errorf("Push: err = %v, want ErrUnknownButton", err)
	}
	if n := len(fake.Replies()) + len(fake.Pushes()); n != 0 {
		t.Errorf("%d messages reached LINE", n)
	}
}
