package bot

import (
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestConversationMetricsAfterAScriptedWalk: two victims through the real
// webhook, one to the end of the card flow, one who stops on the first step
// of the phishing flow, each asking for a person once. /metrics shows the
// entries into each flow and step, the one summary reached, the requests
// for a person, counts a redelivered event once, and holds neither user id
// nor anything they typed.
func TestConversationMetricsAfterAScriptedWalk(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, ""))
		finisher, quitter := storagetest.UserID(), storagetest.UserID()
		typed := "きのうの夜に気づきました"
		send := h.deliver

		send(h.follow(finisher))
		tap := h.tap(finisher, "カードに知らない請求")
		send(tap)
		send(tap.Redelivered()) // applied once: counted once
		send(h.tap(finisher, "心当たりがあった"))
		send(h.tap(finisher, "まとめへ"))
		send(h.text(finisher, "相談窓口"))

		send(h.follow(quitter))
		send(h.tap(quitter, "怪しいリンクを開いた"))
		send(h.text(quitter, typed))
		send(h.postback(quitter, "g=contacts")) // the rich menu's 相談窓口
		h.noRejections()

		metrics := scrape(t, h)
		for _, want := range []string{
			`fraudnavi_flow_entries_total{flow="menu"} 2`,
			`fraudnavi_flow_entries_total{flow="card"} 1`,
			`fraudnavi_flow_entries_total{flow="phishing"} 1`,
			`fraudnavi_step_entries_total{flow="card",step="card_start"} 1`,
			`fraudnavi_step_entries_total{flow="card",step="card_summary"} 1`,
			`fraudnavi_step_entries_total{flow="phishing",step="phishing_start"} 1`,
			`fraudnavi_flow_summaries_total{flow="card"} 1`,
			`fraudnavi_person_requests_total 2`,
		} {
			if !strings.Contains(metrics, want+"\n") {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(metrics, `fraudnavi_flow_summaries_total{flow="phishing"}`) {
			t.Error("/metrics shows a phishing summary nobody reached")
		}
		for _, private := range []string{finisher, quitter, storagetest.UserKeys().Key(finisher), storagetest.UserKeys().Key(quitter), typed} {
			if strings.Contains(metrics, private) {
				t.Errorf("/metrics holds %q", private)
			}
		}
	})
}
