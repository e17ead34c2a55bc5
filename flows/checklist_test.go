package flows

import (
	"strings"
	"testing"
)

// checklistOf is what 進捗 says: the items done and the items left.
func checklistOf(c *convo) (done, left string) {
	c.t.Helper()
	text := allText(c.say(c.e.g.commandLabel(CmdProgress)))
	g := c.e.g
	i := strings.Index(text, g.Texts.ProgressLeft)
	if i < 0 {
		i = len(text)
	}
	return text[:i], text[i:]
}

func itemLabel(e *Engine, id string) string {
	for _, f := range e.g.Flows {
		for _, it := range f.Checklist {
			if it.ID == id {
				return it.Label
			}
		}
	}
	panic("no checklist item " + id)
}

// The review's defect 4: the checklist ticked what was only shown. An item
// is done when the user says so, and stays on the list from the menu and
// from another situation until the user deletes the data.
func TestChecklistTellsTheTruth(t *testing.T) {
	e := contentEngine(t)
	tests := []struct {
		name       string
		taps       []string
		done, left []string // checklist item ids
	}{
		{
			name: "「あとでやる・次へ」 leaves the e-mail password and 2段階認証 open",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできる", "あとでやる・次へ", "変えた・次へ", "あとでやる・次へ"},
			done: []string{"a_pass"},
			left: []string{"a_mail", "a_2fa"},
		},
		{
			name: "「できた」 ticks them",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできる", "できた・次へ", "変えた・次へ", "オンにした・次へ"},
			done: []string{"a_mail", "a_pass", "a_2fa"},
		},
		{
			name: "「聞き忘れた」 leaves the police-report question open",
			taps: []string{"カードに知らない請求", "心当たりはない", "番号がわかった・次へ", "かけた・次へ", "聞き忘れた"},
			done: []string{"k_check", "k_call"},
			left: []string{"k_police"},
		},
		{
			name: "「聞き忘れた」 in the Amazon flow too",
			taps: []string{"Amazonの乗っ取り・注文", "先にカードを止めたい", "番号がわかった・次へ", "かけた・次へ", "聞き忘れた"},
			done: []string{"c_call"},
			left: []string{"c_police"},
		},
		{
			name: "a gift-card code given: 「あとでする」 leaves the issuer open, 「発行元に連絡した」 ticks it",
			taps: []string{"「不正利用」と連絡が来た", "教えた・払ってしまった", "ギフトカードの番号を教えた", "あとでする・次へ", "戻る", "発行元に連絡した"},
			done: []string{"sc_giftcard"},
		},
		{
			name: "money transferred: 「あとでする」 leaves the police and the bank open",
			taps: []string{"「不正利用」と連絡が来た", "教えた・払ってしまった", "お金を払った・振り込んだ", "あとでする・次へ"},
			left: []string{"sc_transfer"},
		},
		{
			name: "「メニュー」 keeps the checklist",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできる", "できた・次へ", "メニュー"},
			done: []string{"a_mail"},
			left: []string{"a_pass"},
		},
		{
			name: "another situation keeps the first one's checklist",
			taps: []string{"Amazonの乗っ取り・注文", "ログインできる", "できた・次へ", "メニュー", "カードに知らない請求", "心当たりはない"},
			done: []string{"a_mail", "k_check"},
			left: []string{"a_pass", "k_call"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConvo(t, e)
			for _, l := range tt.taps {
				c.tap(l)
			}
			done, left := checklistOf(c)
			for _, id := range tt.done {
				if !strings.Contains(done, itemLabel(e, id)) {
					t.Errorf("%s is not shown as done:\n%s%s", id, done, left)
				}
			}
			for _, id := range tt.left {
				if !strings.Contains(left, itemLabel(e, id)) {
					t.Errorf("%s is not shown as left:\n%s%s", id, done, left)
				}
			}
		})
	}
}

func TestDataDeletionClearsTheChecklist(t *testing.T) {
	e := contentEngine(t)
	c := newConvo(t, e)
	for _, l := range []string{"Amazonの乗っ取り・注文", "ログインできる", "できた・次へ"} {
		c.tap(l)
	}
	c.say(e.g.commandLabel(CmdDelete))
	c.tap(e.g.Texts.DeleteYes)
	if done, left := checklistOf(c); strings.Contains(done+left, itemLabel(e, "a_mail")) {
		t.Errorf("after データ削除 the checklist is still there:\n%s%s", done, left)
	}
}

// flows check refuses a checklist item completed by showing a step, or by
// a choice that says it is not done.
func TestCheckRejectsCompletingWithoutDone(t *testing.T) {
	dir := contentCopy(t, map[string]func(t *testing.T, s string) string{
		"amazon.yaml": func(t *testing.T, s string) string {
			s = replaceOnce(t, s, "  - id: amazon_review\n", "  - id: amazon_review\n    completes: [a_review]\n")
			// The first あとでやる・次へ is amazon_mail's.
			return replaceOnce(t, s, "      - label: あとでやる・次へ\n", "      - label: あとでやる・次へ\n        completes: [a_mail]\n")
		},
	})
	wantProblems(t, dir, []problemWant{
		{"amazon.yaml", `step "amazon_review" completes [a_review] when it is shown`},
		{"amazon.yaml", `choice "あとでやる・次へ" of step "amazon_mail" says "あとで"`},
	})
}
