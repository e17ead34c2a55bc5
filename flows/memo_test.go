package flows

import (
	"github.com/fraudnavi/fraudnavi/flows/linelimit"

	"strings"
	"testing"
	"time"
)

// memoOf asks for the case summary, typing the command, and returns its
// text and copy buttons.
func memoOf(t *testing.T, c *convo) (string, []Button) {
	t.Helper()
	r := c.say("経緯メモ")
	for _, m := range r.Reply.Messages {
		if len(m.Buttons) > 0 && m.Buttons[0].Kind == ButtonCopy {
			return m.Text, m.Buttons
		}
	}
	t.Fatalf("経緯メモ gave no message with a copy button:\n%s", allText(r))
	return "", nil
}

// TestMemoIsMadeOfTapsAndTheirTimes walks the Amazon flow over a night
// that crosses the leap day, typing things in between, and asks for the
// case summary (issue 15, build 6): it dates the situation and each item
// done with the time of the tap, in Tokyo, lists what is left and the
// blanks for the numbers to ask for, and holds nothing the user typed.
func TestMemoIsMadeOfTapsAndTheirTimes(t *testing.T) {
	e := contentEngine(t)
	c := newConvo(t, e)
	const typed = "山田花子と申します。よろしく"
	steps := []struct {
		at    time.Time
		tap   string
		typed string
	}{
		{at: time.Date(2028, 2, 28, 23, 50, 0, 0, Tokyo), tap: "Amazonの乗っ取り・注文"},
		{at: time.Date(2028, 2, 28, 23, 55, 0, 0, Tokyo), tap: "ログインできる"},
		{at: time.Date(2028, 2, 29, 0, 10, 0, 0, Tokyo), tap: "できた・次へ"},
		{at: time.Date(2028, 2, 29, 0, 12, 0, 0, Tokyo), typed: typed},
		{at: time.Date(2028, 3, 1, 9, 5, 0, 0, Tokyo), tap: "変えた・次へ"},
		{at: time.Date(2028, 3, 1, 9, 30, 0, 0, Tokyo), tap: "メニュー"},
	}
	for _, s := range steps {
		c.now = s.at
		if s.tap != "" {
			c.tap(s.tap)
		} else {
			c.say(s.typed)
		}
	}
	memo, buttons := memoOf(t, c)
	for _, want := range []string{
		"3月1日(水)作成",
		"Amazonアカウントの乗っ取り・身に覚えのない注文（2月28日(月)から）",
		"2月29日(火) 00:10 " + itemLabel(e, "a_mail"),
		"3月1日(水) 09:05 " + itemLabel(e, "a_pass"),
		"■ まだのこと\n・" + itemLabel(e, "a_2fa"),
		"受理番号＿＿",
		"Amazon：連絡した日時＿＿",
	} {
		if !strings.Contains(memo, want) {
			t.Errorf("the memo does not say %q:\n%s", want, memo)
		}
	}
	for _, typedPart := range []string{"山田", "花子", "よろしく"} {
		if strings.Contains(memo, typedPart) {
			t.Errorf("the memo holds typed text %q:\n%s", typedPart, memo)
		}
	}
	if len(buttons) != 1 || buttons[0].Value != memo {
		t.Errorf("the copy button does not copy the memo as shown: %d buttons", len(buttons))
	}
}

// TestMemoFromEverySummaryStep: each flow's last step offers the memo, and
// a card flow's memo asks for the card company's numbers while another's
// does not (issue 15, build 6).
func TestMemoFromEverySummaryStep(t *testing.T) {
	e := contentEngine(t)
	for _, f := range e.g.Flows {
		for _, st := range f.Steps {
			if !st.Summary {
				continue
			}
			t.Run(st.ID, func(t *testing.T) {
				c := &convo{t: t, e: e, now: night, st: State{Step: st.ID, Flow: f.ID, Flows: []string{f.ID}, Version: 1}}
				c.do(Input{Kind: InputPostback, Data: cmdData(cmdResume)})
				c.tap("経緯メモ") // fails the test when the summary step does not offer it
				memo, _ := memoOf(t, c)
				cardFlow := f.ID == "amazon" || f.ID == "card" || f.ID == "phishing" || f.ID == "scamcall"
				if got := strings.Contains(memo, "カード会社：電話した日時"); got != cardFlow {
					t.Errorf("memo asks for the card company's numbers: %v, want %v:\n%s", got, cardFlow, memo)
				}
			})
		}
	}
}

func TestSplitLinesKeepsEveryLineWithinTheClipboard(t *testing.T) {
	long := strings.Repeat("あ", 7)
	tests := []struct {
		name string
		in   string
		n    int
		want []string
	}{
		{"fits", "ab\ncd", 10, []string{"ab\ncd"}},
		{"cut at a line end", "abc\ndef\ngh", 8, []string{"abc\ndef", "gh"}},
		{"a line longer than the clipboard", long + "\nx", 3, []string{"あああ", "あああ", "あ\nx"}},
		// LINE counts the clipboard in UTF-16 units: an emoji is two.
		{"emoji count two units", "🍎🍎🍎", 4, []string{"🍎🍎", "🍎"}},
		{"a ZWJ family is not cut", "a👨‍👩‍👧", 8, []string{"a", "👨‍👩‍👧"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitLines(tt.in, linelimit.Limit{Max: tt.n, Unit: linelimit.UTF16})
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("splitLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if strings.ReplaceAll(strings.Join(got, "\n"), "\n", "") != strings.ReplaceAll(tt.in, "\n", "") {
				t.Errorf("text lost: %q", got)
			}
		})
	}
}

// scriptOf is the words to say of the step the user is at, and what its
// copy button copies.
func scriptOf(t *testing.T, r Result) (shown, copied string) {
	t.Helper()
	for _, m := range r.Reply.Messages {
		for _, b := range m.Buttons {
			if b.Kind == ButtonCopy && strings.HasPrefix(m.Text, "【") {
				return m.Text, b.Value
			}
		}
	}
	t.Fatalf("no words to say at %s:\n%s", r.State.Step, allText(r))
	return "", ""
}

// TestScriptsSayOnlyWhatIsTrue walks to the words a victim reads out and
// checks they follow the answers tapped (issue 15, defect 5 and build 4).
func TestScriptsSayOnlyWhatIsTrue(t *testing.T) {
	e := contentEngine(t)
	tests := []struct {
		name      string
		taps      []string
		want, not []string
	}{
		{
			name: "locked out by the attacker: not 「パスワードを変更したあと」",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできない"},
			want: []string{"いまは、このアカウントにログインできません"},
			not:  []string{"パスワードを変更したあと"},
		},
		{
			name: "locked out after changing the password oneself",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできる", "できた・次へ", "ログインできなくなった"},
			want: []string{"パスワードを変更したあと、このアカウントにログインできなくなりました"},
			not:  []string{"いまは、このアカウントにログインできません"},
		},
		{
			name: "「先にカードを止めたい」: Amazon not reached yet, no charge seen yet",
			taps: []string{"Amazonの乗っ取り・注文", "先にカードを止めたい", "番号がわかった・次へ"},
			want: []string{"Amazonにはこれから連絡します", "身に覚えのない利用がないか調べてください"},
			not:  []string{"Amazonにはすでに連絡", "私の利用ではありません", "加盟店名"},
		},
		{
			name: "Amazon reached first",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできない", "連絡した・次へ", "カードで払われていた", "番号がわかった・次へ"},
			want: []string{"Amazonにはすでに連絡しています", "○月○日の、□□での○○円は、私の利用ではありません", "加盟店名"},
			not:  []string{"これから連絡します"},
		},
		{
			name: "an unknown charge checked on the statement",
			taps: []string{"カードに知らない請求", "心当たりはない", "番号がわかった・次へ"},
			want: []string{"明細に、身に覚えのない請求がありました", "利用日", "金額"},
		},
		{
			name: "card details entered on a fake site",
			taps: []string{"怪しいリンクを開いた", "カード情報を入力した", "番号がわかった・次へ"},
			want: []string{"このカードの情報を入力してしまいましたので"},
		},
		{
			name: "not sure what was entered: the card is stopped without claiming it was entered",
			taps: []string{"怪しいリンクを開いた", "わからない", "カードを止める", "番号がわかった・次へ"},
			want: []string{"入力してしまったかもしれないので"},
			not:  []string{"入力してしまいましたので"},
		},
		{
			name: "a card to stop now (lost or stolen): no unknown charge claimed",
			taps: []string{"カードを今すぐ止めたい", "番号がわかった・次へ"},
			want: []string{"このカードの利用を止めたくて"},
			not:  []string{"身に覚えのない請求"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConvo(t, e)
			var r Result
			for _, l := range tt.taps {
				r = c.tap(l)
			}
			shown, copied := scriptOf(t, r)
			if !strings.Contains(shown, copied) {
				t.Errorf("the copy button copies other words than shown:\n%s\n--\n%s", shown, copied)
			}
			for _, w := range tt.want {
				if !strings.Contains(shown, w) {
					t.Errorf("the words do not say %q:\n%s", w, shown)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(shown, w) {
					t.Errorf("the words say %q:\n%s", w, shown)
				}
			}
		})
	}
}

// TestCheckRejectsConditionsNoAnswerMeets: a script, memo or checklist
// condition on an answer no choice sets, or on a value it never takes,
// is reported with its file and line.
func TestCheckRejectsConditionsNoAnswerMeets(t *testing.T) {
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"card.yaml": func(t *testing.T, s string) string {
			s = replaceOnce(t, s, "        - when: {checked: \"yes\"}\n", "        - when: {checkd: \"yes\"}\n")
			return replaceOnce(t, s, "    when: {card: bank}\n", "    when: {card: banks}\n")
		},
		"texts.yaml": func(t *testing.T, s string) string {
			return replaceOnce(t, s, "    - when: {police: \"no\"}\n", "    - unless: {police: maybe}\n")
		},
	})
	wantProblems(t, dir, []problemWant{
		{"card.yaml", `script of step "card_words": no choice sets the answer "checkd"`},
		{"card.yaml", `checklist item "k_bank": no choice sets card to "banks"`},
		{"texts.yaml", `memo fact: no choice sets police to "maybe"`},
	})
}
