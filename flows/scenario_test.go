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
