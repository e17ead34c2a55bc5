package bot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestFollowToTheCardCompanyWords walks the real flows through the webhook:
// a victim who adds the bot reaches the words to say to the card company,
// with a copy button holding them verbatim and nothing rejected by LINE.
func TestFollowToTheCardCompanyWords(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		eng := loadFlows(t, "")
		h := newHarness(t, b, eng)
		user := storagetest.UserID()
		h.post(h.follow(user))
		h.post(h.tap(user, "Amazonの乗っ取り・注文"))
		h.post(h.text(user, "ｶｰﾄﾞ会社の電話"))
		shown, copied := h.replyCopies(h.tap(user, "番号がわかった・次へ"))
		if !strings.Contains(shown, "【カード会社に伝えること】") {
			t.Fatalf("the words are not shown: %q", shown)
		}
		if want := eng.Words(h.state(user)); copied != want || want == "" {
			t.Fatalf("copy button copies %q, want %q", copied, want)
		}
		if st := h.state(user); st.Step != "amazon_card_words" || st.Version != 4 {
			t.Fatalf("state %q v%d", st.Step, st.Version)
		}
		h.noRejections()
	})
}

// TestMemoThroughTheWebhook: 「経緯メモ」 typed in LINE gives the case
// summary with a copy button LINE accepts, holding the call's time and the
// blank for the 受理番号, and none of what the user typed.
func TestMemoThroughTheWebhook(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, ""))
		user := storagetest.UserID()
		h.post(h.follow(user))
		h.post(h.tap(user, "カードに知らない請求"))
		h.post(h.text(user, "鈴木一郎です。昨日から困っています"))
		h.post(h.tap(user, "心当たりはない"))
		h.post(h.tap(user, "番号がわかった・次へ"))
		h.post(h.tap(user, "かけた・次へ"))
		_, copied := h.replyCopies(h.text(user, "経緯メモ"))
		for _, want := range []string{"【経緯メモ】", "カード会社に電話して、カードを止める", "受理番号＿＿"} {
			if !strings.Contains(copied, want) {
				t.Errorf("the copied memo does not hold %q:\n%s", want, copied)
			}
		}
		if strings.Contains(copied, "鈴木") {
			t.Errorf("the memo holds typed text:\n%s", copied)
		}
		h.noRejections()
	})
}

// replyCopies posts ev and returns the texts of its one reply and what the
// reply's copy button puts on the clipboard.
func (h *harness) replyCopies(ev linefake.Event) (shown, copied string) {
	h.t.Helper()
	if code := h.post(ev); code != http.StatusOK {
		h.t.Fatalf("status %d", code)
	}
	rs := h.replyTo(ev)
	if len(rs) != 1 {
		h.t.Fatalf("%d replies", len(rs))
	}
	for _, a := range actions(rs[0]) {
		if a.Type == "clipboard" {
			copied = a.ClipboardText
		}
	}
	return strings.Join(rs[0].Texts(), "\n"), copied
}
