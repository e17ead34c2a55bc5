package bot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestNothingPastedIsKept: a pasted message with a link, a phone number
// and a card-like number, then the same without the card number (which is
// analysed), then the link alone: none of it, nor the analysis (the link's
// owner), is in Redis, the logs or the metrics. The replies name the
// link's owner on purpose; they are what the user asked for.
func TestNothingPastedIsKept(t *testing.T) {
	const (
		link  = "https://smbcard.verify.co.jp.dfg538.com/login?id=7731"
		phone = "0120-987-654"
		card  = "4111 1111 1111 1111"
	)
	pasted := []string{
		"【三井住友カード】ご利用を一時停止しました。至急ご確認ください " + link + " お問い合わせ " + phone + " カード " + card,
		"【三井住友カード】ご利用を一時停止しました。至急ご確認ください " + link + " お問い合わせ " + phone,
		link,
	}
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, ""), withSealedOutbox())
		writes := recordCommands(h.rdb)
		user := storagetest.UserID()
		var dumps []string
		send := func(ev linefake.Event) []linefake.Reply {
			t.Helper()
			if code := h.post(ev); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			dumps = append(dumps, dumpRedis(t, h.rdb, b.Name == "embedded", user, "")...)
			return h.replyTo(ev)
		}
		send(h.follow(user))
		send(h.tap(user, "届いたメール・SMSを確かめる"))
		for i, s := range pasted {
			rs := send(h.text(user, s))
			if len(rs) != 1 {
				t.Fatalf("%d replies to a pasted message", len(rs))
			}
			text := strings.Join(rs[0].Texts(), "\n")
			switch {
			case i == 0 && !strings.Contains(text, "送信取消"):
				t.Fatalf("a card number in a pasted message was not refused first:\n%s", text)
			case i > 0 && !strings.Contains(text, "dfg538.com"):
				t.Fatalf("the pasted message was not analysed:\n%s", text)
			}
		}
		if st := h.state(user); st.Step != "msgcheck_result" {
			t.Fatalf("at %q after the analysis, want msgcheck_result", st.Step)
		}
		kept := map[string][]string{"redis": dumps, "redis commands": writes.lines(), "logs": strings.Split(h.logs.String(), "\n")}
		for _, l := range strings.Split(scrape(t, h), "\n") {
			if name, _, ok := strings.Cut(l, " "); ok && strings.HasPrefix(l, "fraudnavi_") {
				kept["metrics"] = append(kept["metrics"], name)
			}
		}
		never := append([]string{link, "dfg538", "smbcard", "verify.co.jp", "7731", phone, "0120987654", card, "4111111111111111", "一時停止", user}, pasted...)
		assertNothingKept(t, kept, never)
	})
}
