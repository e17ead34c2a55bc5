package flows

import (
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
			if e.g.coverageRule(&st) == nil {
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
