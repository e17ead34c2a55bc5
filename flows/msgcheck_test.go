package flows

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPastedMessage: a message with a link, pasted at any step, is
// answered with its analysis and the next steps; a card number in it is
// still refused first; the state keeps nothing of it.
func TestPastedMessage(t *testing.T) {
	e := contentEngine(t)
	const sms = "【Amazon】お客様のアカウントで身に覚えのないご注文を確認しました。至急ご確認ください https://amazon-co-jp.verify-acc.top/login 0120-111-222"
	tests := []struct {
		name, at, text string
		// step is where the user is afterwards, says a part of the reply.
		step, says string
	}{
		{"at the menu", "menu", sms, "msgcheck_result", "verify-acc.top で、Amazonの公式サイトではありません"},
		{"in the middle of a flow", "card_start", sms, "msgcheck_result", "開かないでください"},
		{"at the paste step", "msgcheck_paste", sms, "msgcheck_result", "電話しないでください"},
		{"no link at the paste step", "msgcheck_paste", "お荷物が不在のため持ち帰りました。", "msgcheck_result", "リンクは見つかりませんでした"},
		{"a command at the paste step", "msgcheck_paste", "メニュー", "menu", "どんなことが起きましたか"},
		{"no link elsewhere: the conversation goes on", "menu", "アマゾンに勝手にログインされた", "amazon_start", ""},
		{"a pasted message without a link", "card_start", "【ヤマト運輸】お荷物のお届けにあがりましたが、宛先不明のため持ち帰りました。再配達のご依頼は下記の番号へ 050-1234-5678", "msgcheck_result", "電話しないでください"},
		{"a card number wins", "menu", sms + " 4111 1111 1111 1111", "menu", "カード番号のようなもの"},
		{"an official link", "menu", "https://www.amazon.co.jp/gp/css/order-history", "msgcheck_result", "Amazonの公式のドメインです"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{Step: tt.at, Flow: e.g.FlowOf(tt.at).ID, Version: 3}
			r := e.Next(st, Input{Kind: InputText, Text: tt.text}, nightTime())
			checkReply(t, e, tt.name, r)
			if r.State.Step != tt.step {
				t.Errorf("at %q, want %q", r.State.Step, tt.step)
			}
			var reply strings.Builder
			for _, m := range r.Reply.Messages {
				reply.WriteString(m.Text + "\n")
			}
			if !strings.Contains(reply.String(), tt.says) {
				t.Errorf("the reply lacks %q:\n%s", tt.says, reply.String())
			}
			stored, err := json.Marshal(r.State)
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{"verify-acc", "amazon-co-jp", "0120", "4111", "amazon.co.jp", "不在"} {
				if strings.Contains(string(stored), part) {
					t.Errorf("the state holds %q: %s", part, stored)
				}
			}
		})
	}
}

// TestCheckMessage: the command-line analysis is the bot's answer.
func TestCheckMessage(t *testing.T) {
	e := contentEngine(t)
	got := e.CheckMessage("https://bit.ly/3abcd")
	if !strings.Contains(got, "短縮URL") || !strings.Contains(got, "bit.ly") {
		t.Errorf("CheckMessage = %q", got)
	}
}
