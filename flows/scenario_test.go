package flows

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNightBranchesEndInSomethingDoableNow walks the branches a victim who
// has already paid takes, at hours when 188 and #9110 are closed (issue 15,
// defect 2): each must end in something that can be done now (a call to a
// line open now, or an official page), name who to contact, and say what
// the facts files say to keep and to beware of.
func TestNightBranchesEndInSomethingDoableNow(t *testing.T) {
	e := contentEngine(t)
	paid := []string{"「不正利用」と連絡が来た", "教えた・払ってしまった"}
	hours := []time.Time{
		night, // a Tuesday 23:30
		time.Date(2026, 11, 28, 23, 30, 0, 0, Tokyo), // a Saturday
		time.Date(2027, 1, 1, 3, 0, 0, 0, Tokyo),     // New Year's Day
	}
	tests := []struct {
		name     string
		tap      string
		wantCall string   // a contact that must be one tap away, "" for none
		wantLink []string // contacts that must be links
		wantSaid []string
	}{
		{
			name:     "gift-card code given: the issuer now, keep the card and receipt",
			tap:      "ギフトカードの番号を教えた",
			wantLink: []string{"google_play_giftcard", "apple_giftcard"},
			wantSaid: []string{"発行元", "カスタマーサービスに連絡", "レシート", "このチャットに送らないで"},
		},
		{
			name:     "money transferred: the police now, then the receiving bank; refund helpers are scams",
			tap:      "お金を払った・振り込んだ",
			wantCall: "police_110",
			wantSaid: []string{"まず警察", "振り込んだ先の銀行", "振込の控え", "○○機構", "返金を手伝います"},
		},
	}
	for _, tt := range tests {
		for _, now := range hours {
			t.Run(tt.name+" at "+now.Format(time.DateTime), func(t *testing.T) {
				c := newConvo(t, e)
				c.now = now
				for _, l := range paid {
					c.tap(l)
				}
				r := c.tap(tt.tap)
				doable := 0
				calls, links := map[string]bool{}, map[string]bool{}
				for _, m := range r.Reply.Messages {
					for _, b := range m.Buttons {
						id := e.g.contactByValue(b.Value).ID
						switch b.Kind {
						case ButtonCall:
							if !e.g.OpenAt(e.g.Contacts[id].Hours, now) {
								t.Errorf("call button to %s, closed now", id)
							}
							calls[id] = true
							doable++
						case ButtonLink:
							links[id] = true
							doable++
						}
					}
				}
				if doable == 0 {
					t.Fatalf("at %s nothing can be done now:\n%s", r.State.Step, allText(r))
				}
				if tt.wantCall != "" && !calls[tt.wantCall] {
					t.Errorf("no call button to %s", tt.wantCall)
				}
				for _, id := range tt.wantLink {
					if !links[id] {
						t.Errorf("no link to %s", id)
					}
				}
				said := allText(r)
				for _, s := range tt.wantSaid {
					if !strings.Contains(said, s) {
						t.Errorf("does not say %q:\n%s", s, said)
					}
				}
			})
		}
	}
}

// TestCoverageWindowGivesTheDate: where the 60-day rule is told (issue 15,
// defect 6), the user reads the first day a report made today covers, is
// told to look back over the last statements and is given the
// card-not-present rule; no step tells the rule without the date.
func TestCoverageWindowGivesTheDate(t *testing.T) {
	e := contentEngine(t)
	tests := []struct {
		now   time.Time
		since time.Time
	}{
		{night, time.Date(2026, 9, 25, 0, 0, 0, 0, Tokyo)},
		{time.Date(2027, 1, 10, 0, 30, 0, 0, Tokyo), time.Date(2026, 11, 11, 0, 0, 0, 0, Tokyo)},
		{time.Date(2028, 4, 29, 12, 0, 0, 0, Tokyo), time.Date(2028, 2, 29, 0, 0, 0, 0, Tokyo)},
	}
	shown := 0
	for _, f := range e.g.Flows {
		for _, st := range f.Steps {
			said := strings.Join(st.Text, "\n")
			if strings.Contains(said, "60日前") && e.g.coverageRule(&st) == nil {
				t.Errorf("step %s tells the 60-day rule without the date", st.ID)
			}
			// The card companies' rule; the cash card's, the carrier's and
			// Google Play's have their own texts (coverage_test.go).
			if r := e.g.coverageRule(&st); r == nil || r.ID != defaultCoverageRule {
				continue
			}
			shown++
			for _, tt := range tests {
				r := shownAt(e, st.ID, tt.now)
				checkReply(t, e, st.ID, r)
				got := allText(r)
				for _, want := range []string{
					e.g.FormatDate(tt.now) + "）",
					e.g.FormatDate(tt.since) + "以降",
					"2〜3か月分の明細",
					"明細が届いてから60日以内",
				} {
					if !strings.Contains(got, want) {
						t.Errorf("%s at %s does not say %q:\n%s", st.ID, tt.now, want, got)
					}
				}
				if strings.Contains(got, "返金されます") {
					t.Errorf("%s promises a refund", st.ID)
				}
			}
		}
	}
	if shown < 4 {
		t.Errorf("the date is shown at %d steps, want the 4 that tell the rule", shown)
	}
}

// TestCoverageWindowIsReachedAfterTheCall walks, at 23:30, from a card
// number given away to the moment after the call: the date is there.
func TestCoverageWindowIsReachedAfterTheCall(t *testing.T) {
	e := contentEngine(t)
	c := newConvo(t, e)
	for _, l := range []string{"「不正利用」と連絡が来た", "教えた・払ってしまった", "カード番号などを教えた", "番号がわかった・次へ", "かけた・次へ"} {
		c.tap(l)
	}
	if want := e.g.FormatDate(time.Date(2026, 9, 25, 0, 0, 0, 0, Tokyo)) + "以降"; !strings.Contains(allText(c.res), want) {
		t.Fatalf("after the call at %s, no %q:\n%s", c.st.Step, want, allText(c.res))
	}
}

// TestCheckBeforeStoppingTheCard (issue 15, defect 1): a mail about an
// unknown order goes to the check first, the order history offers "not
// there", 「わからない」 is not "card", and every way to the card-stop script
// passes a step that asks to look in the official app or statement and
// offers "it was a fake mail" — except where the card itself is compromised
// (given away, typed into a fake site, lost), where stopping is right.
func TestCheckBeforeStoppingTheCard(t *testing.T) {
	e := contentEngine(t)
	t.Run("an unknown-order mail is checked first, without 大変でしたね", func(t *testing.T) {
		for _, said := range []string{"アマゾンから知らない注文のメールが来た", "アカウントが停止されるとSMSが来た"} {
			c := newConvo(t, e)
			r := c.say(said)
			if f := e.g.FlowOf(r.State.Step); f.ID != "msgcheck" {
				t.Errorf("%q opens %s (%s), want the message check", said, r.State.Step, f.ID)
			}
			if strings.Contains(allText(r), "大変でしたね") {
				t.Errorf("%q is answered as a takeover:\n%s", said, allText(r))
			}
		}
	})
	fake := func(t *testing.T, c *convo) {
		t.Helper()
		if c.st.Step != "msgcheck_fake" {
			t.Fatalf("at %s, want the fake-message guidance", c.st.Step)
		}
		said := allText(c.res)
		for _, s := range []string{"偽物", "カードを止める必要もありません", "リンクを開かない", e.g.Contacts["antiphishing_form"].Value} {
			if !strings.Contains(said, s) {
				t.Errorf("the fake-message guidance does not say %q:\n%s", s, said)
			}
		}
	}
	t.Run("the order is not in the order history", func(t *testing.T) {
		c := newConvo(t, e)
		for _, l := range []string{"Amazonの乗っ取り・注文", "ログインできる", "できた・次へ", "変えた・次へ", "オンにした・次へ", "見直した・次へ", "注文が見つからない", "メール・SMSで知った"} {
			c.tap(l)
		}
		fake(t, c)
	})
	t.Run("「わからない」 how it was paid: look first, no pay=card", func(t *testing.T) {
		c := newConvo(t, e)
		for _, l := range []string{"Amazonの乗っ取り・注文", "ログインできない", "連絡した・次へ", "わからない"} {
			c.tap(l)
		}
		if c.st.Step == "amazon_card_number" || c.st.Answers["pay"] == "card" {
			t.Fatalf("「わからない」 goes to %s with pay=%q", c.st.Step, c.st.Answers["pay"])
		}
		c.tap("注文が見つからない")
		c.tap("メール・SMSで知った")
		fake(t, c)
	})
	t.Run("「ない」 in a typed answer is not 「心当たりはない」", func(t *testing.T) {
		for _, typed := range []string{"まだ確認していない", "明細をまだ見ていない", "わからない", "よくわからないです"} {
			c := newConvo(t, e)
			c.tap("カードに知らない請求")
			c.say(typed)
			if c.st.Step != "card_start" {
				t.Errorf("%q at the card check goes to %s", typed, c.st.Step)
			}
		}
		// A plain 「ない」 answers the question, and the stop still checks first.
		c := newConvo(t, e)
		c.tap("カードに知らない請求")
		c.say("ないです")
		if c.st.Step != "card_number" {
			t.Fatalf("「ないです」 at the card check goes to %s", c.st.Step)
		}
		c.tap("明細・アプリになかった")
		fake(t, c)
	})
	t.Run("from the card check, 明細・アプリになかった", func(t *testing.T) {
		c := newConvo(t, e)
		for _, l := range []string{"カードに知らない請求", "心当たりはない", "明細・アプリになかった"} {
			c.tap(l)
		}
		fake(t, c)
	})
	t.Run("every way to a card-stop script passes the check", func(t *testing.T) {
		// Where the card itself is in someone else's hands, stopping it is right.
		compromised := map[string]bool{"scamcall": true, "phishing": true, "lost": true}
		check := func(st *Step) bool {
			for _, c := range st.Choices {
				if c.Next == "msgcheck_fake" {
					return true
				}
			}
			return false
		}
		seen := map[string]bool{}
		queue := []string{e.g.Start}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if seen[id] {
				continue
			}
			seen[id] = true
			st := e.g.Steps[id]
			if compromised[e.g.FlowOf(id).ID] || check(st) {
				continue
			}
			for _, a := range st.Actions {
				if a.Copy != nil && strings.Contains(a.Copy.Text, "カードの利用を止めて") {
					t.Errorf("the card-stop script at %s is reached without the check", id)
				}
			}
			for _, c := range st.Choices {
				queue = append(queue, c.Next)
			}
		}
		if !seen["card_start"] || !seen["amazon_start"] {
			t.Fatal("the walk did not reach the card and Amazon flows")
		}
	})
}

// TestNewSituationsOfferSomethingNowAtNight walks each situation added to the
// menu in issue 15 at 23:30 on a weekday, along the first choice of every
// step (and each way of paying): before its summary the user meets something
// doable now — a line open now, an official page, or a 24-hour route — and
// the lost-card words never claim an unknown charge on the statement.
func TestNewSituationsOfferSomethingNowAtNight(t *testing.T) {
	e := contentEngine(t)
	now := []string{"24時間", "いつでも", "いまの時間でも"}
	tests := []struct {
		name string
		taps []string
	}{
		{"lost wallet", []string{"カード・財布をなくした", "財布ごとなくした"}},
		{"gift card given", []string{"お金・ギフト券を払った", "ギフトカードの番号を教えた"}},
		{"bank transfer", []string{"お金・ギフト券を払った", "銀行で振り込んだ"}},
		{"payment app or crypto", []string{"お金・ギフト券を払った", "支払いアプリ・暗号資産"}},
		{"carrier billing", []string{"スマホ料金・アプリの請求"}},
		{"fake virus warning", []string{"画面に警告が出た"}},
		{"remote-control app", []string{"画面に警告が出た", "アプリを入れてしまった"}},
		{"helping a parent who lost a card", []string{"家族のことで相談", "カード・財布をなくした"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConvo(t, e)
			for _, l := range tt.taps {
				c.tap(l)
			}
			doable := ""
			for i := 0; !e.g.Steps[c.st.Step].Summary; i++ {
				if i > 30 {
					t.Fatalf("no summary after 30 steps, at %s", c.st.Step)
				}
				checkReply(t, e, c.st.Step, c.res)
				for _, m := range c.res.Reply.Messages {
					for _, b := range m.Buttons {
						if b.Kind == ButtonLink || b.Kind == ButtonCall {
							doable = c.st.Step
						}
					}
				}
				for _, s := range now {
					if strings.Contains(allText(c.res), s) {
						doable = c.st.Step
					}
				}
				for _, a := range e.g.Steps[c.st.Step].Actions {
					if a.Copy != nil && e.g.FlowOf(c.st.Step).ID == "lost" && strings.Contains(a.Copy.Text, "身に覚えのない") {
						t.Errorf("the lost-card words at %s claim an unknown charge: %q", c.st.Step, a.Copy.Text)
					}
				}
				c.tap(e.g.Steps[c.st.Step].Choices[0].Label)
			}
			if doable == "" {
				t.Errorf("at 23:30 nothing on the way to %s can be done now", c.st.Step)
			}
		})
	}
}

// TestSmallerDefects pins the review's smaller items (issue 15, defect 7).
func TestSmallerDefects(t *testing.T) {
	e := contentEngine(t)
	t.Run("no card number found: a way on, not 相談窓口 answering 「カードの裏面の番号へ」", func(t *testing.T) {
		for _, id := range []string{"card_find", "amazon_card_find", "scamcall_card_find", "phishing_card_find"} {
			st := e.g.Steps[id]
			if strings.Contains(strings.Join(st.Text, "\n"), "「相談窓口」と送って") {
				t.Errorf("%s sends the user to 相談窓口, which only says 「カードの裏面の番号へ」", id)
			}
			if !slices.ContainsFunc(st.Choices, func(c Choice) bool { return c.Next == "lost_start" }) {
				t.Errorf("%s offers no way on when the card is not at hand", id)
			}
		}
	})
	t.Run("card-company hours reminders wait for a working day", func(t *testing.T) {
		at := func(mo time.Month, d, h int) time.Time { return time.Date(2026, mo, d, h, 30, 0, 0, Tokyo) }
		tests := []struct{ now, want time.Time }{
			{at(11, 27, 23), time.Date(2026, 11, 30, 10, 0, 0, 0, Tokyo)}, // Friday night → Monday
			{at(12, 31, 23), time.Date(2027, 1, 4, 10, 0, 0, 0, Tokyo)},   // → after 1/1 and the weekend
		}
		for _, id := range []string{"amazon_rem_card", "card_rem_hours"} {
			def := e.g.Reminders[id]
			if !strings.Contains(def.Text, "9時〜10時ごろ") {
				t.Errorf("%s does not give the sourced opening hours: %q", id, def.Text)
			}
			for _, tt := range tests {
				if got := e.g.Due(def, tt.now); !got.Equal(tt.want) {
					t.Errorf("%s asked at %v is due %v, want %v", id, tt.now, got, tt.want)
				}
			}
		}
	})
	t.Run("a card with キャッシング is not taken for a bank-integrated card", func(t *testing.T) {
		for _, id := range []string{"card_reissue_unsure", "amazon_reissue_unsure"} {
			st := e.g.Steps[id]
			if !strings.Contains(strings.Join(st.Text, "\n"), "キャッシング") {
				t.Errorf("%s does not tell キャッシング apart", id)
			}
			for _, c := range st.Choices {
				if slices.Contains(c.Match, "ATMでも使う") {
					t.Errorf("%s: %q takes any ATM use for a bank card", id, c.Label)
				}
			}
		}
	})
	t.Run("no card steps after 「カード以外だった」", func(t *testing.T) {
		c := newConvo(t, e)
		for _, l := range []string{"Amazonの乗っ取り・注文", "ログインできない", "連絡した・次へ", "カード以外だった"} {
			c.tap(l)
		}
		for i := 0; !e.g.Steps[c.st.Step].Summary; i++ {
			if i > 20 {
				t.Fatalf("no summary, at %s", c.st.Step)
			}
			if strings.HasPrefix(c.st.Step, "amazon_card") || strings.HasPrefix(c.st.Step, "amazon_reissue") || c.st.Step == "amazon_next_card" || c.st.Step == "amazon_comp" {
				t.Errorf("not paid by card, yet at %s", c.st.Step)
			}
			c.tap(e.g.Steps[c.st.Step].Choices[0].Label)
		}
	})
	t.Run("188 is named in the Amazon and card flows", func(t *testing.T) {
		for _, f := range []string{"amazon", "card"} {
			found := false
			for _, st := range e.g.Steps {
				if e.g.FlowOf(st.ID).ID == f && slices.ContainsFunc(st.Actions, func(a Action) bool { return a.Call == "hotline_188" }) {
					found = true
				}
			}
			if !found {
				t.Errorf("flow %s never offers 188", f)
			}
		}
	})
	t.Run("the card-number warning does not make a caller hang up on their issuer", func(t *testing.T) {
		if strings.Contains(e.g.Texts.CardNumber, "聞かれたら詐欺を疑ってください") {
			t.Errorf("the warning says any request is a scam: %q", e.g.Texts.CardNumber)
		}
	})
	t.Run("contacts cite the page that says it, not the 2016 blog or a homepage", func(t *testing.T) {
		// inochi_free: facts-2 §3.1 names the municipalities' notices without their pages.
		for id, c := range e.g.Contacts {
			u, err := url.Parse(c.Source)
			if c.Status != "active" || id == "inochi_free" || err != nil {
				continue
			}
			if u.Host == "yuruiblog.com" || strings.Trim(u.Path, "/") == "" {
				t.Errorf("contact %s is sourced to %s", id, c.Source)
			}
		}
	})
}

// TestWordsAnElderlyReaderMayNotKnowAreExplained: in each flow, the first
// step text (in file order) that uses SMS, サブスク, ブラウザ, 端末 or
// スクリーンショット explains it in brackets right after (issue 15, defect 7).
func TestWordsAnElderlyReaderMayNotKnowAreExplained(t *testing.T) {
	e := contentEngine(t)
	for _, f := range e.g.Flows {
		for _, w := range []string{"SMS", "サブスク", "ブラウザ", "端末", "スクリーンショット"} {
		steps:
			for _, st := range f.Steps {
				for _, text := range st.Text {
					i := strings.Index(text, w)
					if i < 0 {
						continue
					}
					rest := strings.TrimPrefix(text[i+len(w):], "リプション")
					if !strings.HasPrefix(rest, "（") {
						t.Errorf("%s: %q first appears at %s unexplained: %q", f.File, w, st.ID, text)
					}
					break steps
				}
			}
		}
	}
}
