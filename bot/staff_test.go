package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestStaffChatThroughTheWebhook: with staff chat on, a user who asks for a
// person through the real webhook is told when the staff answer; the quiet
// is in their stored state, applied once (a redelivered request changes
// nothing), and while it lasts LINE receives no reply but the warning about
// a typed card number, quoting it; 「ボットに戻る」 ends it. Both requests
// for a person (相談窓口 and the staff chip) are on /metrics.
func TestStaffChatThroughTheWebhook(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		g := loadFlows(t, "").Graph()
		staff := flows.StaffChat{Hours: flows.Hours{Weekdays: []flows.Period{{From: "10:00", To: "17:00"}}}, QuietFor: 12 * time.Hour}
		h := newHarness(t, b, flows.NewEngine(g, flows.WithStaffChat(staff)))
		user := storagetest.UserID()
		send := h.deliver
		send(h.follow(user))
		send(h.text(user, "相談窓口"))
		ask := h.tap(user, g.Texts.StaffOfferLabel)
		replies := send(ask)
		if len(replies) != 1 || !strings.Contains(strings.Join(replies[0].Texts(), "\n"), "11月25日(水) 10:00 から") {
			t.Fatalf("the request for a person is not told when the staff answer: %v", replies)
		}
		quietUntil := night.Add(12 * time.Hour)
		if st := h.state(user); !st.QuietUntil.Equal(quietUntil) {
			t.Fatalf("stored quiet until %v, want %v", st.QuietUntil, quietUntil)
		}

		h.clock.Advance(time.Minute)
		version := h.state(user).Version
		send(ask.Redelivered())
		if st := h.state(user); st.Version != version || !st.QuietUntil.Equal(quietUntil) {
			t.Fatalf("a redelivered request was applied again: version %d → %d, quiet until %v", version, st.Version, st.QuietUntil)
		}
		if got := send(h.text(user, "明細に知らない請求があります")); len(got) != 0 {
			t.Fatalf("the bot replied while the staff answer: %v", got[0].Texts())
		}
		card := h.text(user, "4111 1111 1111 1111")
		got := send(card)
		if len(got) != 1 || got[0].Messages[0].QuoteToken != card.Message.QuoteToken ||
			!strings.Contains(got[0].Messages[0].Text, "カード番号のようなものが送られました") {
			t.Fatalf("no quoted warning about the card number while quiet: %+v", got)
		}
		back := send(h.text(user, "ボットに戻る"))
		if len(back) != 1 || !strings.Contains(strings.Join(back[0].Texts(), "\n"), g.Texts.StaffBack) {
			t.Fatalf("ボットに戻る was not answered: %v", back)
		}
		if st := h.state(user); !st.QuietUntil.IsZero() {
			t.Fatalf("still quiet until %v after ボットに戻る", st.QuietUntil)
		}
		h.noRejections()
		if m := scrape(t, h); !strings.Contains(m, "fraudnavi_person_requests_total 2\n") {
			t.Error("/metrics does not count 相談窓口 and the staff request as two requests for a person")
		}
	})
}
