package flows

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// night is a Tuesday 23:30 in Tokyo: the hour a victim usually writes.
var night = time.Date(2026, 11, 24, 23, 30, 0, 0, Tokyo)

func miniEngine(t *testing.T) *Engine {
	t.Helper()
	g, err := Load(os.DirFS("testdata/mini"))
	if err != nil {
		t.Fatalf("load mini flows: %v", err)
	}
	return NewEngine(g)
}

// convo drives an engine like a user would, tapping by label.
type convo struct {
	t   *testing.T
	e   *Engine
	st  State
	res Result
	now time.Time
}

func newConvo(t *testing.T, e *Engine) *convo {
	c := &convo{t: t, e: e, now: night}
	c.do(Input{Kind: InputFollow})
	return c
}

func (c *convo) do(in Input) Result {
	c.t.Helper()
	c.res = c.e.Next(c.st, in, c.now)
	c.st = c.res.State
	return c.res
}

func (c *convo) say(text string) Result { return c.do(Input{Kind: InputText, Text: text}) }

func (c *convo) tap(label string) Result {
	c.t.Helper()
	for _, q := range c.res.Reply.QuickReplies {
		if q.Label == label {
			return c.do(Input{Kind: InputPostback, Data: q.Data})
		}
	}
	c.t.Fatalf("no quick reply %q in %v", label, labels(c.res.Reply.QuickReplies))
	return Result{}
}

func labels(qs []QuickReply) []string {
	var ls []string
	for _, q := range qs {
		ls = append(ls, q.Label)
	}
	return ls
}

func allText(r Result) string {
	var b strings.Builder
	for _, m := range r.Reply.Messages {
		b.WriteString(m.Text)
		b.WriteString("\n")
		for _, btn := range m.Buttons {
			b.WriteString(btn.Value + "\n")
		}
	}
	return b.String()
}

func TestFollowShowsWelcomeAndMenu(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	if got := allText(c.res); !strings.Contains(got, "ようこそ") || !strings.Contains(got, "どうしましたか") {
		t.Fatalf("follow reply = %q, want the welcome and the menu", got)
	}
	if c.st.Step != "menu" || c.st.Version != 1 {
		t.Fatalf("state = %+v, want step menu version 1", c.st)
	}
	if !slices.Contains(labels(c.res.Reply.QuickReplies), "カードの請求") {
		t.Fatalf("menu quick replies = %v", labels(c.res.Reply.QuickReplies))
	}
}

func TestTypedTextMovesForward(t *testing.T) {
	tests := []struct {
		say  string
		step string
	}{
		{"請求", "card_start"},
		{"ｾｲｷｭｳ", "menu"}, // katakana of a kanji word does not match the kanji
		{"カードの請求です", "card_start"},
		{"カ ー ド の 請 求", "card_start"},
	}
	for _, tt := range tests {
		t.Run(tt.say, func(t *testing.T) {
			c := newConvo(t, miniEngine(t))
			c.say(tt.say)
			if c.st.Step != tt.step {
				t.Fatalf("after %q step = %q, want %q", tt.say, c.st.Step, tt.step)
			}
		})
	}
}

func TestUnmatchedTextKeepsTheStepAndItsButtons(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	before := c.st
	c.say("ふわふわ")
	if c.st.Step != before.Step || len(c.st.History) != len(before.History) {
		t.Fatalf("unmatched text moved the user: %+v", c.st)
	}
	if !strings.Contains(allText(c.res), "ボタンから選んでください") {
		t.Fatalf("reply = %q", allText(c.res))
	}
	if !slices.Contains(labels(c.res.Reply.QuickReplies), "電話した") {
		t.Fatalf("the step's choices are not offered again: %v", labels(c.res.Reply.QuickReplies))
	}
}

func TestTwoEquallyGoodChoicesAreNotGuessed(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.say("ログインできない")
	if c.st.Step != "card_kind" {
		t.Fatalf("ログインできない: step %q", c.st.Step)
	}
	c2 := newConvo(t, miniEngine(t))
	c2.tap("カードの請求")
	c2.say("ログイン") // fits two labels: ambiguous
	if c2.st.Step != "card_start" {
		t.Fatalf("ambiguous text moved the user to %q", c2.st.Step)
	}
}

func TestStaleTapShowsTheCurrentStep(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	menuTap := c.res.Reply.QuickReplies[0].Data
	c.tap("カードの請求")
	c.tap("電話した")
	c.do(Input{Kind: InputPostback, Data: menuTap})
	if c.st.Step != "card_kind" {
		t.Fatalf("old tap moved the user to %q", c.st.Step)
	}
	if !strings.Contains(allText(c.res), "古いボタン") || !strings.Contains(allText(c.res), "カードの種類") {
		t.Fatalf("reply = %q", allText(c.res))
	}
}

func TestForgedPostbacksChangeNothingButTheVersion(t *testing.T) {
	for _, data := range []string{"", "garbage%%", "s=card_start&v=999999&c=0", "s=menu&v=1&c=99", "s=menu&v=-1&c=0", "g=nope", "j=nope&c=0", "x=nope"} {
		c := newConvo(t, miniEngine(t))
		before := c.st
		c.do(Input{Kind: InputPostback, Data: data})
		if c.st.Step != before.Step || c.st.Version != before.Version+1 || len(c.res.Reminders) != 0 || c.res.Delete {
			t.Errorf("postback %q: state %+v result %+v", data, c.st, c.res)
		}
	}
}

func TestBackReturnsToThePreviousStep(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.say("戻る")
	if c.st.Step != "card_start" {
		t.Fatalf("back: step %q", c.st.Step)
	}
	c.tap("戻る")
	c.say("戻る")
	if c.st.Step != "menu" || !strings.Contains(allText(c.res), "これ以上戻れません") {
		t.Fatalf("back at start: step %q reply %q", c.st.Step, allText(c.res))
	}
}

func TestProgressListsDoneAndLeft(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.tap("銀行のカード")
	c.say("しんちょく") // not the word: unmatched
	c.say("進捗")
	got := allText(c.res)
	if !strings.Contains(got, "✅ カード会社に電話した") || !strings.Contains(got, "⬜ 銀行で再発行") {
		t.Fatalf("progress = %q", got)
	}
	if c.st.Step != "card_bank" {
		t.Fatalf("progress moved the user to %q", c.st.Step)
	}
}

func TestBranchOnlyItemsFollowTheAnswers(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.tap("普通のカード")
	if left := c.e.Left(c.st); len(left) != 0 {
		t.Fatalf("left for an ordinary card = %v, want none (the bank visit is for bank cards)", left)
	}
	if !strings.Contains(allText(c.res), "すべて済みました") {
		t.Fatalf("summary = %q", allText(c.res))
	}
}

func TestContactsAreOpenNowInTokyo(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.say("相談窓口")
	got := allText(c.res)
	if !strings.Contains(got, "○ カード会社の紛失・盗難窓口") || !strings.Contains(got, "× 消費者ホットライン") || !strings.Contains(got, "11/25(水) 09:00") {
		t.Fatalf("at 23:30 contacts = %q", got)
	}
	c.now = time.Date(2026, 11, 25, 10, 0, 0, 0, Tokyo)
	c.say("相談窓口")
	if got := allText(c.res); !strings.Contains(got, "○ 消費者ホットライン") {
		t.Fatalf("at 10:00 contacts = %q", got)
	}
	if bs := c.res.Reply.Messages[0].Buttons; len(bs) != 1 || bs[0].Value != "188" {
		t.Fatalf("open lines as call buttons = %+v", bs)
	}
}

func TestSensitiveTextIsNeverEchoed(t *testing.T) {
	for _, s := range []string{
		"4111 1111 1111 1111",
		"４１１１－１１１１－１１１１－１１１１",
		"カード番号は4111111111111111です",
		"123456",
		"パスワードは abc12345",
	} {
		c := newConvo(t, miniEngine(t))
		c.say(s)
		got := allText(c.res)
		if strings.Contains(got, "1111") || strings.Contains(got, "abc") || strings.Contains(got, "123456") {
			t.Errorf("%q echoed: %q", s, got)
		}
		if !strings.Contains(got, "送らないでください") {
			t.Errorf("%q: no warning in %q", s, got)
		}
	}
}

func TestDiscontinuedNumberIsExplained(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.say("0120-999-373に電話したけどつながらない")
	if got := allText(c.res); !strings.Contains(got, "使われていません") || !strings.Contains(got, "ヘルプ") {
		t.Fatalf("reply = %q", got)
	}
}

func TestDeleteAsksThenSignals(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.tap("通知を受け取る")
	c.say("データ削除")
	if c.res.Delete {
		t.Fatal("deleted without confirmation")
	}
	c.tap("削除する")
	if !c.res.Delete || c.st.Step != "" || len(c.st.Done) != 0 {
		t.Fatalf("delete: result %+v", c.res)
	}
	if len(c.res.Reminders) != 1 || c.res.Reminders[0].Op != ReminderCancel {
		t.Fatalf("delete did not cancel the reminder: %+v", c.res.Reminders)
	}
}

func TestReminderAcceptPickAndCancel(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.tap("通知を受け取る")
	want := time.Date(2026, 11, 25, 9, 0, 0, 0, Tokyo)
	if len(c.res.Reminders) != 1 || c.res.Reminders[0].Op != ReminderSchedule || !c.res.Reminders[0].Due.Equal(want) {
		t.Fatalf("accept: %+v, want schedule at %v", c.res.Reminders, want)
	}
	if !strings.Contains(allText(c.res), "11/25(水) 09:00") {
		t.Fatalf("ack = %q", allText(c.res))
	}
	c.say("リマインド一覧")
	if !strings.Contains(allText(c.res), "返金メールを確認") {
		t.Fatalf("list = %q", allText(c.res))
	}
	c.tap("停止:返金メールを確認")
	if len(c.res.Reminders) != 1 || c.res.Reminders[0].Op != ReminderCancel || len(c.st.Reminders) != 0 {
		t.Fatalf("cancel: %+v state %+v", c.res.Reminders, c.st.Reminders)
	}
}

func TestRemindIsStaleOnceDoneOrCancelled(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.tap("銀行のカード")
	c.tap("通知を受け取る")
	due := c.res.Reminders[0].Due
	if _, ok := c.e.Remind(c.st, "bank_visit", due); !ok {
		t.Fatal("an accepted reminder does not fire")
	}
	c.tap("行った")
	if r, ok := c.e.Remind(c.st, "bank_visit", due); ok {
		t.Fatalf("bank visit reminder fires although the visit step was reached: %+v", r)
	}
	if _, ok := c.e.Remind(c.st, "check_mail", due); ok {
		t.Fatal("a reminder never accepted fires")
	}
}

func TestFollowAgainOffersToResume(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.do(Input{Kind: InputFollow})
	if !strings.Contains(allText(c.res), "前回の続き") || c.st.Step != "card_start" {
		t.Fatalf("refollow: %q at %s", allText(c.res), c.st.Step)
	}
	c.tap("続きから")
	if !strings.Contains(allText(c.res), "カード裏面の番号") {
		t.Fatalf("resume shows %q", allText(c.res))
	}
	c.do(Input{Kind: InputFollow})
	c.tap("最初から")
	if c.st.Step != "menu" {
		t.Fatalf("restart: step %q", c.st.Step)
	}
}

func TestReminderWaitingForTheMorningIsNotDropped(t *testing.T) {
	c := newConvo(t, miniEngine(t))
	c.tap("カードの請求")
	c.tap("電話した")
	c.tap("通知を受け取る")
	due := c.res.Reminders[0].Due
	// The push slid past its time (night, retry, quota); the user writes meanwhile.
	c.now = due.Add(2 * time.Hour)
	c.say("ヘルプ")
	if _, ok := c.e.Remind(c.st, "check_mail", due); !ok {
		t.Fatal("a reminder still being retried was dropped when the user wrote")
	}
	c.say("リマインド一覧")
	if strings.Contains(allText(c.res), "返金メールを確認") {
		t.Fatalf("a reminder already due is listed as to come: %q", allText(c.res))
	}
	c.now = due.Add(25 * time.Hour)
	c.say("ヘルプ")
	if len(c.st.Reminders) != 0 {
		t.Fatalf("a day-old reminder is kept: %+v", c.st.Reminders)
	}
}
