package bot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestWarningQuotesTheTypedMessage: a typed card number or code is answered
// with a warning that quotes the user's message, so that they see which one
// to unsend, and tells them how (「送信取消」).
func TestWarningQuotesTheTypedMessage(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		tests := []struct{ name, typed string }{
			{"card number", "4111 1111 1111 1111"},
			{"one-time code", "認証コードは 482913 です"},
			{"password", "パスワードは abc12345"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, b, loadFlows(t, ""))
				user := storagetest.UserID()
				h.post(h.follow(user))
				ev := h.text(user, tt.typed)
				if code := h.post(ev); code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
				rs := h.replyTo(ev)
				if len(rs) != 1 {
					t.Fatalf("%d replies, want 1", len(rs))
				}
				warning := rs[0].Messages[0]
				if warning.QuoteToken == "" || warning.QuoteToken != ev.Message.QuoteToken {
					t.Errorf("the warning quotes %q, want the typed message's %q", warning.QuoteToken, ev.Message.QuoteToken)
				}
				if !strings.Contains(warning.Text, "「送信取消」") {
					t.Errorf("the warning does not say 「送信取消」: %q", warning.Text)
				}
				h.noRejections()
			})
		}
	})
}
