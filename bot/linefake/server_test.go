package linefake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

func newAPI(t *testing.T, srv *Server) *messaging_api.MessagingApiAPI {
	t.Helper()
	api, err := messaging_api.NewMessagingApiAPI(srv.Token(), messaging_api.WithEndpoint(srv.URL()))
	if err != nil {
		t.Fatalf("NewMessagingApiAPI: %v", err)
	}
	return api
}

func assertNothingRejected(t *testing.T, srv *Server) {
	t.Helper()
	if r := srv.Rejected(); len(r) != 0 {
		t.Errorf("Rejected() = %v, want none", r)
	}
}

// sdkMessages are valid messages built with the SDK the way the bot builds
// them; the fake must accept everything the SDK sends for them.
func sdkMessages() map[string][]messaging_api.MessageInterface {
	quickReply := &messaging_api.QuickReply{Items: []messaging_api.QuickReplyItem{
		{Type: "action", Action: &messaging_api.PostbackAction{Label: "はい", Data: "s=card_call&v=7&c=yes", DisplayText: "はい"}},
		{Type: "action", Action: &messaging_api.PostbackAction{Label: "いいえ", Data: "s=card_call&v=7&c=no", DisplayText: "いいえ"}},
		{Type: "action", Action: &messaging_api.DatetimePickerAction{
			Label: "日時を選ぶ", Data: "s=remind", Mode: messaging_api.DatetimePickerActionMODE_DATETIME,
			Initial: "2026-11-25T09:00", Min: "2026-11-01T00:00", Max: "2026-12-31T23:59",
		}},
		{Type: "action", Action: &messaging_api.DatetimePickerAction{Label: "日付", Data: "d", Mode: messaging_api.DatetimePickerActionMODE_DATE, Initial: "2026-11-25"}},
		{Type: "action", Action: &messaging_api.MessageAction{Label: "最初から", Text: "最初から"}},
		{Type: "action", Action: &messaging_api.UriAction{Label: "188に電話", Uri: "tel:188"}},
		{Type: "action", Action: &messaging_api.ClipboardAction{Label: "コピー", ClipboardText: "カードの利用を止めてください"}},
		{Type: "action", ImageUrl: "https://example.com/icon.png", Action: &messaging_api.CameraAction{Label: "カメラ"}},
	}}
	bubble := func(title string) messaging_api.FlexBubble {
		return messaging_api.FlexBubble{
			Hero: &messaging_api.FlexImage{Url: "https://example.com/hero.png", Size: "full", AspectMode: messaging_api.FlexImageASPECT_MODE_COVER},
			Body: &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: []messaging_api.FlexComponentInterface{
				&messaging_api.FlexText{Text: title, Weight: messaging_api.FlexTextWEIGHT_BOLD, Size: "xl"},
				&messaging_api.FlexText{Text: "カード会社に電話して、利用を止めてもらいましょう。", Wrap: true},
				&messaging_api.FlexSeparator{},
				&messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_BASELINE, Contents: []messaging_api.FlexComponentInterface{
					&messaging_api.FlexIcon{Url: "https://example.com/i.png"},
					&messaging_api.FlexText{Contents: []messaging_api.FlexSpan{{Text: "電話番号: "}, {Text: "188", Weight: messaging_api.FlexSpanWEIGHT_BOLD}}},
				}},
			}},
			Footer: &messaging_api.FlexBox{Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Spacing: "sm", Contents: []messaging_api.FlexComponentInterface{
				&messaging_api.FlexButton{Style: messaging_api.FlexButtonSTYLE_PRIMARY, Action: &messaging_api.UriAction{Label: "消費者ホットライン188に電話する", Uri: "tel:188"}},
				&messaging_api.FlexButton{Style: messaging_api.FlexButtonSTYLE_SECONDARY, Action: &messaging_api.ClipboardAction{Label: "伝える言葉をコピー", ClipboardText: "詐欺の被害にあいました。カードを止めてください。"}},
				&messaging_api.FlexButton{Style: messaging_api.FlexButtonSTYLE_LINK, Action: &messaging_api.PostbackAction{Label: "電話した", Data: "s=card_call&v=7&c=done", DisplayText: "電話しました"}},
			}},
			Styles: &messaging_api.FlexBubbleStyles{Footer: &messaging_api.FlexBlockStyle{Separator: true}},
		}
	}
	first := bubble("まずカードを止める")
	return map[string][]messaging_api.MessageInterface{
		"text with quick reply": {
			&messaging_api.TextMessage{Text: "どちらですか?", QuickReply: quickReply},
		},
		"flex bubble with tel and clipboard": {
			&messaging_api.FlexMessage{AltText: "カードを止める手順", Contents: &first},
		},
		"flex carousel": {
			&messaging_api.FlexMessage{AltText: "手順", Contents: &messaging_api.FlexCarousel{Contents: []messaging_api.FlexBubble{bubble("1"), bubble("2")}}},
		},
		"buttons template": {
			&messaging_api.TemplateMessage{AltText: "選んでください", Template: &messaging_api.ButtonsTemplate{
				Title:         "被害の種類",
				Text:          "当てはまるものを選んでください",
				DefaultAction: &messaging_api.UriAction{Label: "詳しく", Uri: "https://www.kokusen.go.jp/"},
				Actions: []messaging_api.ActionInterface{
					&messaging_api.PostbackAction{Label: "クレジットカード", Data: "k=card", DisplayText: "クレジットカード"},
					&messaging_api.PostbackAction{Label: "銀行振込", Data: "k=bank"},
					&messaging_api.UriAction{Label: "警察相談 #9110", Uri: "tel:%239110"},
					&messaging_api.DatetimePickerAction{Label: "時刻", Data: "t", Mode: messaging_api.DatetimePickerActionMODE_TIME, Initial: "09:00"},
				},
			}},
		},
		"confirm template": {
			&messaging_api.TemplateMessage{AltText: "確認", Template: &messaging_api.ConfirmTemplate{Text: "電話しましたか?", Actions: []messaging_api.ActionInterface{
				&messaging_api.MessageAction{Label: "はい", Text: "はい"},
				&messaging_api.MessageAction{Label: "いいえ", Text: "いいえ"},
			}}},
		},
		"five messages and a sticker": {
			&messaging_api.TextMessage{Text: "1"},
			&messaging_api.TextMessage{Text: "2"},
			&messaging_api.TextMessage{Text: "3", Sender: &messaging_api.Sender{Name: "ナビ", IconUrl: "https://example.com/n.png"}},
			&messaging_api.TextMessage{Text: "4"},
			&messaging_api.StickerMessage{PackageId: "446", StickerId: "1988"},
		},
		"text at 5000 UTF-16 units": {
			// 🍎 is 2 UTF-16 units: 2,500 runes that LINE counts as 5,000.
			&messaging_api.TextMessage{Text: strings.Repeat("🍎", 2500)},
		},
		"text message as a value": {
			messaging_api.TextMessage{Text: "values work for text too"},
		},
	}
}

func TestSDKMessagesAccepted(t *testing.T) {
	for name, msgs := range sdkMessages() {
		t.Run(name, func(t *testing.T) {
			srv := New()
			defer srv.Close()
			api := newAPI(t, srv)

			token := srv.IssueReplyToken()
			resp, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: token, Messages: msgs})
			if err != nil {
				t.Fatalf("ReplyMessage: %v; rejected: %v", err, srv.Rejected())
			}
			if len(resp.SentMessages) != len(msgs) {
				t.Errorf("reply: %d sentMessages, want %d", len(resp.SentMessages), len(msgs))
			}
			got := srv.RepliesFor(token)
			if len(got) != 1 || len(got[0].Messages) != len(msgs) || got[0].RequestID == "" || got[0].Received.IsZero() {
				t.Fatalf("RepliesFor(%q) = %+v, want one reply with %d messages", token, got, len(msgs))
			}

			key := NewRetryKey()
			if _, err := api.PushMessage(&messaging_api.PushMessageRequest{To: "U1234", Messages: msgs, CustomAggregationUnits: []string{}}, key); err != nil {
				t.Fatalf("PushMessage: %v; rejected: %v", err, srv.Rejected())
			}
			pushes := srv.PushesTo("U1234")
			if len(pushes) != 1 || pushes[0].RetryKey != key || len(pushes[0].Messages) != len(msgs) || !json.Valid(pushes[0].Body) {
				t.Fatalf("PushesTo = %+v, want one push with key %s", pushes, key)
			}
			assertNothingRejected(t, srv)
		})
	}
}

func TestDecodedMessages(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	msgs := sdkMessages()
	all := append(append([]messaging_api.MessageInterface{}, msgs["text with quick reply"]...), msgs["flex bubble with tel and clipboard"]...)
	if _, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: srv.IssueReplyToken(), Messages: all}); err != nil {
		t.Fatalf("ReplyMessage: %v", err)
	}
	r := srv.Replies()[0]
	if got := r.Texts(); len(got) != 2 || got[0] != "どちらですか?" || got[1] != "カードを止める手順" {
		t.Errorf("Texts() = %q", got)
	}
	items := r.Messages[0].QuickReply.Items
	if a := items[0].Action; items[0].Type != "action" || a.Type != "postback" || a.Data != "s=card_call&v=7&c=yes" || a.DisplayText != "はい" {
		t.Errorf("quick reply item 0 = %+v %+v", items[0], a)
	}
	if a := items[2].Action; a.Mode != "datetime" || a.Initial != "2026-11-25T09:00" {
		t.Errorf("datetime picker = %+v", a)
	}
	footer := r.Messages[1].Contents.Footer.Contents
	if a := footer[0].Action; footer[0].Type != "button" || a.Type != "uri" || a.URI != "tel:188" {
		t.Errorf("first footer button = %+v", footer[0])
	}
	if a := footer[1].Action; a.Type != "clipboard" || a.ClipboardText == "" {
		t.Errorf("second footer button action = %+v", a)
	}
}

type obj = map[string]any

func text(s string) obj { return obj{"type": "text", "text": s} }

func withQuickReply(items ...obj) obj {
	return obj{"type": "text", "text": "q", "quickReply": obj{"items": items}}
}

func item(action obj) obj { return obj{"type": "action", "action": action} }

func postback(label, data string) obj { return obj{"type": "postback", "label": label, "data": data} }

func picker(mode, initial string) obj {
	return obj{"type": "datetimepicker", "label": "日時", "data": "d", "mode": mode, "initial": initial}
}

func flexWithButton(action obj) obj {
	return obj{"type": "flex", "altText": "alt", "contents": obj{
		"type":   "bubble",
		"footer": obj{"type": "box", "layout": "vertical", "contents": []obj{{"type": "button", "action": action}}},
	}}
}

func buttons(title, txt string, actions ...obj) obj {
	t := obj{"type": "buttons", "text": txt, "actions": actions}
	if title != "" {
		t["title"] = title
	}
	return obj{"type": "template", "altText": "alt", "template": t}
}

func replyBody(msgs ...obj) string {
	return mustJSON(obj{"replyToken": "token", "messages": msgs})
}

func pushBody(to string, msgs ...obj) string {
	return mustJSON(obj{"to": to, "messages": msgs})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func repeat(n int, o obj) []obj {
	out := make([]obj, n)
	for i := range out {
		out[i] = o
	}
	return out
}

// post sends a raw request; hdr overrides the default headers (a push gets
// a fresh retry key unless hdr sets X-Line-Retry-Key, "" removes a header).
func post(t *testing.T, srv *Server, method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token())
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if path == PathPush {
		req.Header.Set("X-Line-Retry-Key", NewRetryKey())
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return res, b
}

func TestRawRequests(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name     string
		path     string
		body     string
		hdr      map[string]string
		want     int
		property string // wanted in details, for 400s with details
		message  string // wanted in the top-level message
	}{
		// Malformed or unknown JSON.
		{name: "malformed JSON", path: PathReply, body: `{"replyToken":`, want: 400, message: "could not be parsed"},
		{name: "unknown top-level field", path: PathReply, body: `{"replyToken":"t","messages":[{"type":"text","text":"a"}],"foo":1}`, want: 400, property: "foo"},
		{name: "unknown field in an action", path: PathReply, body: replyBody(withQuickReply(item(obj{"type": "postback", "label": "l", "data": "d", "foo": "x"}))), want: 400, property: "messages[0].quickReply.items[0].action.foo"},
		{name: "unknown field in a quick-reply item", path: PathReply, body: replyBody(withQuickReply(obj{"type": "action", "action": postback("l", "d"), "label": "x"})), want: 400, property: "messages[0].quickReply.items[0].label"},
		{name: "field of another message type", path: PathReply, body: replyBody(obj{"type": "text", "text": "a", "altText": "x"}), want: 400, property: "messages[0].altText"},
		{name: "field of another action type", path: PathReply, body: replyBody(withQuickReply(item(obj{"type": "message", "label": "l", "text": "t", "data": "d"}))), want: 400, property: "messages[0].quickReply.items[0].action.data"},
		{name: "field name in the wrong case", path: PathReply, body: replyBody(obj{"type": "text", "Text": "a"}), want: 400, property: "messages[0].Text"},
		{name: "unknown field deep in flex", path: PathReply, body: replyBody(obj{"type": "flex", "altText": "a", "contents": obj{"type": "bubble", "body": obj{"type": "box", "layout": "vertical", "contents": []obj{{"type": "text", "text": "x", "colour": "#000000"}}}}}), want: 400, property: "messages[0].contents.body.contents[0].colour"},
		{name: "wrong JSON type", path: PathReply, body: replyBody(obj{"type": "text", "text": 5}), want: 400, property: "messages[0].text"},
		{name: "unsupported message type", path: PathReply, body: replyBody(obj{"type": "image", "originalContentUrl": "https://e/a.png"}), want: 400, property: "messages[0].type"},
		{name: "message without type", path: PathReply, body: replyBody(obj{"text": "a"}), want: 400, property: "messages[0].type"},
		{name: "action without type (SDK value pitfall)", path: PathReply, body: replyBody(flexWithButton(obj{"label": "copy", "clipboardText": "x"})), want: 400, property: "messages[0].contents.footer.contents[0].action.type"},

		// Message counts and texts.
		{name: "no messages", path: PathReply, body: replyBody(), want: 400, property: "messages"},
		{name: "messages missing", path: PathReply, body: `{"replyToken":"t"}`, want: 400, property: "messages"},
		{name: "six messages", path: PathReply, body: replyBody(repeat(6, text("a"))...), want: 400, property: "messages"},
		{name: "empty text", path: PathReply, body: replyBody(text("")), want: 400, property: "messages[0].text"},
		{name: "text of 5001 UTF-16 units", path: PathReply, body: replyBody(text(strings.Repeat("🍎", 2500) + "a")), want: 400, property: "messages[0].text"},
		{name: "text of 5000 ASCII", path: PathReply, body: replyBody(text(long(5000))), want: 200},
		{name: "push with customAggregationUnits null", path: PathPush, body: `{"to":"U1","messages":[{"type":"text","text":"a"}],"customAggregationUnits":null}`, hdr: map[string]string{"X-Line-Retry-Key": NewRetryKey()}, want: 400, property: "customAggregationUnits"},
		{name: "reply token missing", path: PathReply, body: `{"messages":[{"type":"text","text":"a"}]}`, want: 400, property: "replyToken"},

		// Quick replies.
		{name: "13 quick-reply items", path: PathReply, body: replyBody(withQuickReply(repeat(13, item(postback("l", "d")))...)), want: 200},
		{name: "14 quick-reply items", path: PathReply, body: replyBody(withQuickReply(repeat(14, item(postback("l", "d")))...)), want: 400, property: "messages[0].quickReply.items"},
		{name: "quick-reply item without type", path: PathReply, body: replyBody(withQuickReply(obj{"action": postback("l", "d")})), want: 400, property: "messages[0].quickReply.items[0].type"},
		{name: "quick-reply item of type button", path: PathReply, body: replyBody(withQuickReply(obj{"type": "button", "action": postback("l", "d")})), want: 400, property: "messages[0].quickReply.items[0].type"},
		{name: "quick-reply item without action", path: PathReply, body: replyBody(withQuickReply(obj{"type": "action"})), want: 400, property: "messages[0].quickReply.items[0].action"},
		{name: "quick-reply icon over http", path: PathReply, body: replyBody(withQuickReply(obj{"type": "action", "imageUrl": "http://e/i.png", "action": postback("l", "d")})), want: 400, property: "messages[0].quickReply.items[0].imageUrl"},

		// Labels.
		{name: "label missing", path: PathReply, body: replyBody(withQuickReply(item(obj{"type": "postback", "data": "d"}))), want: 400, property: "messages[0].quickReply.items[0].action.label"},
		{name: "label of 21 characters", path: PathReply, body: replyBody(withQuickReply(item(postback(long(21), "d")))), want: 400, property: "messages[0].quickReply.items[0].action.label"},
		{name: "label of 20 Japanese characters", path: PathReply, body: replyBody(withQuickReply(item(postback(strings.Repeat("詐", 20), "d")))), want: 200},
		{name: "label with ZWJ emoji counts it once", path: PathReply, body: replyBody(withQuickReply(item(postback(strings.Repeat("a", 19)+"👨‍👩‍👧", "d")))), want: 200},
		{name: "flex button label of 40", path: PathReply, body: replyBody(flexWithButton(postback(long(40), "d"))), want: 200},
		{name: "flex button label of 41", path: PathReply, body: replyBody(flexWithButton(postback(long(41), "d"))), want: 400, property: "messages[0].contents.footer.contents[0].action.label"},
		{name: "flex button without label", path: PathReply, body: replyBody(flexWithButton(obj{"type": "uri", "uri": "tel:188"})), want: 400, property: "messages[0].contents.footer.contents[0].action.label"},

		// Postback, URI and clipboard actions.
		{name: "postback data of 300", path: PathReply, body: replyBody(withQuickReply(item(postback("l", long(300))))), want: 200},
		{name: "postback data of 301", path: PathReply, body: replyBody(withQuickReply(item(postback("l", long(301))))), want: 400, property: "messages[0].quickReply.items[0].action.data"},
		{name: "postback data missing", path: PathReply, body: replyBody(withQuickReply(item(obj{"type": "postback", "label": "l"}))), want: 400, property: "messages[0].quickReply.items[0].action.data"},
		{name: "postback displayText of 301", path: PathReply, body: replyBody(withQuickReply(item(obj{"type": "postback", "label": "l", "data": "d", "displayText": long(301)}))), want: 400, property: "messages[0].quickReply.items[0].action.displayText"},
		{name: "uri of 1001", path: PathReply, body: replyBody(flexWithButton(obj{"type": "uri", "label": "l", "uri": "https://e/" + long(991)})), want: 400, property: "messages[0].contents.footer.contents[0].action.uri"},
		{name: "uri with ftp scheme", path: PathReply, body: replyBody(flexWithButton(obj{"type": "uri", "label": "l", "uri": "ftp://e/x"})), want: 400, property: "messages[0].contents.footer.contents[0].action.uri"},
		{name: "tel uri with raw #", path: PathReply, body: replyBody(flexWithButton(obj{"type": "uri", "label": "l", "uri": "tel:#9110"})), want: 400, property: "messages[0].contents.footer.contents[0].action.uri"},
		{name: "line uri", path: PathReply, body: replyBody(flexWithButton(obj{"type": "uri", "label": "l", "uri": "line://nv/chat"})), want: 200},
		{name: "clipboardText of 1001", path: PathReply, body: replyBody(flexWithButton(obj{"type": "clipboard", "label": "l", "clipboardText": long(1001)})), want: 400, property: "messages[0].contents.footer.contents[0].action.clipboardText"},
		{name: "clipboardText empty", path: PathReply, body: replyBody(flexWithButton(obj{"type": "clipboard", "label": "l", "clipboardText": ""})), want: 400, property: "messages[0].contents.footer.contents[0].action.clipboardText"},
		{name: "camera action in a template", path: PathReply, body: replyBody(buttons("", "t", obj{"type": "camera", "label": "c"})), want: 400, property: "messages[0].template.actions[0].type"},

		// Datetime picker.
		{name: "picker mode week", path: PathReply, body: replyBody(withQuickReply(item(picker("week", "")))), want: 400, property: "messages[0].quickReply.items[0].action.mode"},
		{name: "picker datetime with a space", path: PathReply, body: replyBody(withQuickReply(item(picker("datetime", "2026-11-25 09:00")))), want: 400, property: "messages[0].quickReply.items[0].action.initial"},
		{name: "picker datetime with seconds", path: PathReply, body: replyBody(withQuickReply(item(picker("datetime", "2026-11-25T09:00:00")))), want: 400, property: "messages[0].quickReply.items[0].action.initial"},
		{name: "picker date given a datetime", path: PathReply, body: replyBody(withQuickReply(item(picker("date", "2026-11-25T09:00")))), want: 400, property: "messages[0].quickReply.items[0].action.initial"},
		{name: "picker time 24:00", path: PathReply, body: replyBody(withQuickReply(item(picker("time", "24:00")))), want: 400, property: "messages[0].quickReply.items[0].action.initial"},
		{name: "picker lower-case t", path: PathReply, body: replyBody(withQuickReply(item(picker("datetime", "2026-11-25t09:00")))), want: 200},
		{name: "picker max before min", path: PathReply, body: replyBody(withQuickReply(item(obj{"type": "datetimepicker", "label": "l", "data": "d", "mode": "date", "min": "2026-12-01", "max": "2026-11-01"}))), want: 400, property: "messages[0].quickReply.items[0].action.max"},
		{name: "picker after 2100", path: PathReply, body: replyBody(withQuickReply(item(picker("date", "2101-01-01")))), want: 400, property: "messages[0].quickReply.items[0].action.initial"},

		// Flex and templates.
		{name: "flex altText of 1501", path: PathReply, body: replyBody(obj{"type": "flex", "altText": long(1501), "contents": obj{"type": "bubble"}}), want: 400, property: "messages[0].altText"},
		{name: "flex without contents", path: PathReply, body: replyBody(obj{"type": "flex", "altText": "a"}), want: 400, property: "messages[0].contents"},
		{name: "flex bubble over 30 KB", path: PathReply, body: replyBody(obj{"type": "flex", "altText": "a", "contents": obj{"type": "bubble", "body": obj{"type": "box", "layout": "vertical", "contents": repeat(40, obj{"type": "text", "text": long(1000)})}}}), want: 400, property: "messages[0].contents"},
		{name: "box without layout", path: PathReply, body: replyBody(obj{"type": "flex", "altText": "a", "contents": obj{"type": "bubble", "body": obj{"type": "box", "contents": []obj{}}}}), want: 400, property: "messages[0].contents.body.layout"},
		{name: "buttons text of 160", path: PathReply, body: replyBody(buttons("", long(160), postback("l", "d"))), want: 200},
		{name: "buttons text of 161", path: PathReply, body: replyBody(buttons("", long(161), postback("l", "d"))), want: 400, property: "messages[0].template.text"},
		{name: "buttons text of 61 with a title", path: PathReply, body: replyBody(buttons("title", long(61), postback("l", "d"))), want: 400, property: "messages[0].template.text"},
		{name: "buttons text of 60 with a title", path: PathReply, body: replyBody(buttons("title", long(60), postback("l", "d"))), want: 200},
		{name: "buttons with 5 actions", path: PathReply, body: replyBody(buttons("", "t", repeat(5, postback("l", "d"))...)), want: 400, property: "messages[0].template.actions"},
		{name: "template altText of 401", path: PathReply, body: replyBody(obj{"type": "template", "altText": long(401), "template": obj{"type": "buttons", "text": "t", "actions": []obj{postback("l", "d")}}}), want: 400, property: "messages[0].altText"},
		{name: "confirm with 3 actions", path: PathReply, body: replyBody(obj{"type": "template", "altText": "a", "template": obj{"type": "confirm", "text": "t", "actions": repeat(3, postback("l", "d"))}}), want: 400, property: "messages[0].template.actions"},

		// Push.
		{name: "push to nobody", path: PathPush, body: pushBody("", text("a")), want: 400, property: "to"},
		{name: "push without retry key", path: PathPush, body: pushBody("U1", text("a")), hdr: map[string]string{"X-Line-Retry-Key": ""}, want: 400, message: "X-Line-Retry-Key"},
		{name: "push with a non-UUID retry key", path: PathPush, body: pushBody("U1", text("a")), hdr: map[string]string{"X-Line-Retry-Key": "retry-1"}, want: 400, message: "X-Line-Retry-Key"},
		{name: "push with too many messages", path: PathPush, body: pushBody("U1", repeat(6, text("a"))...), want: 400, property: "messages"},
		{name: "push with unknown field", path: PathPush, body: `{"to":"U1","messages":[{"type":"text","text":"a"}],"notificationDisabled":false,"customAggregationUnits":null,"retry":true}`, want: 400, property: "retry"},

		// Loading animation.
		{name: "loading for 5 s", path: PathLoading, body: `{"chatId":"U1","loadingSeconds":5}`, want: 202},
		{name: "loading default", path: PathLoading, body: `{"chatId":"U1"}`, want: 202},
		{name: "loading for 7 s", path: PathLoading, body: `{"chatId":"U1","loadingSeconds":7}`, want: 400, property: "loadingSeconds"},
		{name: "loading for 65 s", path: PathLoading, body: `{"chatId":"U1","loadingSeconds":65}`, want: 400, property: "loadingSeconds"},
		{name: "loading for 0 s", path: PathLoading, body: `{"chatId":"U1","loadingSeconds":0}`, want: 400, property: "loadingSeconds"},
		{name: "loading without chat", path: PathLoading, body: `{"loadingSeconds":5}`, want: 400, property: "chatId"},
		{name: "loading in a group", path: PathLoading, body: `{"chatId":"C1","loadingSeconds":5}`, want: 400, property: "chatId"},
		{name: "loading with unknown field", path: PathLoading, body: `{"chatId":"U1","seconds":5}`, want: 400, property: "seconds"},

		// HTTP level.
		{name: "no token", path: PathReply, body: replyBody(text("a")), hdr: map[string]string{"Authorization": ""}, want: 401, message: "Authentication failed"},
		{name: "wrong token", path: PathReply, body: replyBody(text("a")), hdr: map[string]string{"Authorization": "Bearer nope"}, want: 401, message: "Authentication failed"},
		{name: "unknown path", path: "/v2/bot/message/multicast", body: "{}", want: 404},
		{name: "not JSON", path: PathReply, body: replyBody(text("a")), hdr: map[string]string{"Content-Type": "text/plain"}, want: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := New(AcceptAnyReplyToken()) // replyBody's token was never issued
			defer srv.Close()
			res, body := post(t, srv, http.MethodPost, tt.path, tt.body, tt.hdr)
			if res.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d; body %s", res.StatusCode, tt.want, body)
			}
			if res.Header.Get("X-Line-Request-Id") == "" {
				t.Error("no x-line-request-id")
			}
			if tt.want < 400 {
				assertNothingRejected(t, srv)
				return
			}
			var er ErrorResponse
			if err := json.Unmarshal(body, &er); err != nil || er.Message == "" {
				t.Fatalf("body %s is not LINE's error JSON: %v", body, err)
			}
			if !strings.Contains(er.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", er.Message, tt.message)
			}
			if tt.property != "" && !hasProperty(er.Details, tt.property) {
				t.Errorf("details = %+v, want property %q", er.Details, tt.property)
			}
			if st := srv.Stats(); st.Rejected != 1 || st.Replies+st.Pushes+st.Loadings != 0 {
				t.Errorf("Stats() = %+v, want one rejection and nothing accepted", st)
			}
		})
	}
}

func hasProperty(ds []ErrorDetail, property string) bool {
	for _, d := range ds {
		if d.Property == property {
			return true
		}
	}
	return false
}

func TestSDKSeesRejection(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	_, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: "t", Messages: []messaging_api.MessageInterface{
		&messaging_api.TextMessage{Text: "q", QuickReply: &messaging_api.QuickReply{Items: []messaging_api.QuickReplyItem{
			{Action: &messaging_api.PostbackAction{Label: "ok", Data: "d"}}, // no Type: "action"
		}}},
	}})
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "messages[0].quickReply.items[0].type") {
		t.Fatalf("err = %v, want a 400 naming the item type", err)
	}
	want := map[string]int{`messages[0].quickReply.items[0].type: Must be specified ("action"); the SDK does not fill it in`: 1}
	if got := srv.Rejected(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Rejected() = %v, want %v", got, want)
	}
}

func TestReplyToken(t *testing.T) {
	reply := func(api *messaging_api.MessagingApiAPI, token string) error {
		_, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: token, Messages: []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: "a"}}})
		return err
	}
	const invalid = `{"message":"Invalid reply token"}`

	t.Run("reuse", func(t *testing.T) {
		srv := New(AcceptAnyReplyToken())
		defer srv.Close()
		api := newAPI(t, srv)
		if err := reply(api, "any-token"); err != nil {
			t.Fatalf("first reply: %v", err)
		}
		err := reply(api, "any-token")
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), invalid) {
			t.Fatalf("second reply err = %v, want 400 %s", err, invalid)
		}
		if n := len(srv.Replies()); n != 1 {
			t.Errorf("%d replies recorded, want 1", n)
		}
	})
	t.Run("a rejected reply leaves the token usable", func(t *testing.T) {
		srv := New(AcceptAnyReplyToken())
		defer srv.Close()
		res, _ := post(t, srv, http.MethodPost, PathReply, replyBody(text("")), nil)
		if res.StatusCode != 400 {
			t.Fatalf("status %d", res.StatusCode)
		}
		if res, body := post(t, srv, http.MethodPost, PathReply, replyBody(text("a")), nil); res.StatusCode != 200 {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
	})
	t.Run("strict by default", func(t *testing.T) {
		srv := New()
		defer srv.Close()
		api := newAPI(t, srv)
		if err := reply(api, "made-up"); err == nil || !strings.Contains(err.Error(), invalid) {
			t.Errorf("made-up token: err = %v, want %s", err, invalid)
		}
		tok := srv.IssueReplyToken()
		if err := reply(api, tok); err != nil {
			t.Errorf("issued token: %v", err)
		}
		if err := reply(api, tok); err == nil {
			t.Error("issued token accepted twice")
		}
	})
	t.Run("expired", func(t *testing.T) {
		srv := New(WithReplyTokenTTL(time.Millisecond))
		defer srv.Close()
		api := newAPI(t, srv)
		tok := srv.IssueReplyToken()
		time.Sleep(5 * time.Millisecond)
		if err := reply(api, tok); err == nil || !strings.Contains(err.Error(), invalid) {
			t.Errorf("expired token: err = %v, want %s", err, invalid)
		}
	})
	t.Run("expired by default after a minute", func(t *testing.T) {
		srv := New()
		defer srv.Close()
		api := newAPI(t, srv)
		tok := srv.IssueReplyToken()
		srv.mu.Lock()
		srv.issued[tok] = srv.issued[tok].Add(-DefaultReplyTokenTTL - time.Second)
		srv.mu.Unlock()
		if err := reply(api, tok); err == nil || !strings.Contains(err.Error(), invalid) {
			t.Errorf("token issued over a minute ago: err = %v, want %s", err, invalid)
		}
	})
	t.Run("a retry key on a reply", func(t *testing.T) {
		srv := New()
		defer srv.Close()
		body := mustJSON(obj{"replyToken": srv.IssueReplyToken(), "messages": []obj{text("a")}})
		res, b := post(t, srv, http.MethodPost, PathReply, body, map[string]string{"X-Line-Retry-Key": NewRetryKey()})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "X-Line-Retry-Key") {
			t.Errorf("reply with a retry key: %d %s, want 400 naming the header", res.StatusCode, b)
		}
	})
	t.Run("unique issued tokens", func(t *testing.T) {
		srv := NewHandler()
		seen := make(map[string]bool)
		for range 1000 {
			tok := srv.IssueReplyToken()
			if seen[tok] || tok == "" {
				t.Fatalf("token %q repeated or empty", tok)
			}
			seen[tok] = true
		}
	})
}

func textPush(to string) *messaging_api.PushMessageRequest {
	// The SDK sends a nil slice as null, which the fake (like the spec) refuses.
	return &messaging_api.PushMessageRequest{To: to, Messages: []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: "リマインダーです"}}, CustomAggregationUnits: []string{}}
}

func TestPushRetryKey(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	key := NewRetryKey()

	res, _, err := api.PushMessageWithHttpInfo(textPush("U1"), key)
	if err != nil {
		t.Fatalf("first push: %v", err)
	}
	firstID := res.Header.Get("X-Line-Request-Id")

	res, _, err = api.PushMessageWithHttpInfo(textPush("U1"), key)
	if err == nil || res == nil || res.StatusCode != http.StatusConflict {
		t.Fatalf("retry: res %v, err %v; want 409", res, err)
	}
	if got := res.Header.Get("X-Line-Accepted-Request-Id"); got != firstID {
		t.Errorf("x-line-accepted-request-id = %q, want %q", got, firstID)
	}
	if id := res.Header.Get("X-Line-Request-Id"); id == "" || id == firstID {
		t.Errorf("409 has request id %q, want a new one", id)
	}
	if !strings.Contains(err.Error(), `{"message":"The retry key is already accepted"}`) {
		t.Errorf("err = %v", err)
	}
	if n := len(srv.Pushes()); n != 1 {
		t.Errorf("%d pushes recorded, want 1", n)
	}
	if st := srv.Stats(); st.Conflicts != 1 || st.Pushes != 1 {
		t.Errorf("Stats() = %+v", st)
	}
	assertNothingRejected(t, srv) // a 409 is success for the bot

	// The SDK sends an empty header when given an empty key.
	if _, err := api.PushMessage(textPush("U1"), ""); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("empty retry key: err = %v, want 400", err)
	}
}

func TestFailNext(t *testing.T) {
	srv := New(AcceptAnyReplyToken()) // replyBody's token was never issued
	defer srv.Close()
	api := newAPI(t, srv)
	srv.FailNext(PathPush, http.StatusInternalServerError, "", 2)
	key := NewRetryKey()
	for i, want := range []int{500, 500, 200} {
		res, _, err := api.PushMessageWithHttpInfo(textPush("U1"), key)
		if res == nil || res.StatusCode != want {
			t.Fatalf("attempt %d: res %v, err %v; want %d", i+1, res, err, want)
		}
		if want == 500 && !strings.Contains(err.Error(), `{"message":"Internal Server Error"}`) {
			t.Errorf("attempt %d: err = %v", i+1, err)
		}
	}
	if got := srv.Attempts(PathPush); got != 3 {
		t.Errorf("Attempts = %d, want 3", got)
	}
	if n := len(srv.Pushes()); n != 1 {
		t.Errorf("%d pushes, want 1", n)
	}

	srv.FailNext(PathReply, http.StatusTooManyRequests, MonthlyLimitBody, 1)
	res, body := post(t, srv, http.MethodPost, PathReply, replyBody(text("a")), nil)
	if res.StatusCode != 429 || string(body) != MonthlyLimitBody {
		t.Errorf("injected 429: %d %s", res.StatusCode, body)
	}
	if res, _ := post(t, srv, http.MethodPost, PathReply, replyBody(text("a")), nil); res.StatusCode != 200 {
		t.Errorf("after the fault: status %d", res.StatusCode)
	}
	if st := srv.Stats(); st.Faults != 3 || st.Rejected != 0 {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestDropResponseAfterAccept(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	srv.DropResponseAfterAccept(1)
	key := NewRetryKey()

	res, _, err := api.PushMessageWithHttpInfo(textPush("U1"), key)
	if err == nil || res != nil {
		t.Fatalf("dropped push: res %v, err %v; want a transport error", res, err)
	}
	pushes := srv.Pushes()
	if len(pushes) != 1 {
		t.Fatalf("%d pushes recorded, want the dropped one", len(pushes))
	}

	res, _, err = api.PushMessageWithHttpInfo(textPush("U1"), key)
	if res == nil || res.StatusCode != http.StatusConflict {
		t.Fatalf("retry: res %v, err %v; want 409", res, err)
	}
	if got := res.Header.Get("X-Line-Accepted-Request-Id"); got != pushes[0].RequestID {
		t.Errorf("accepted request id = %q, want %q", got, pushes[0].RequestID)
	}
	if _, err := api.PushMessage(textPush("U1"), NewRetryKey()); err != nil {
		t.Errorf("next push: %v", err)
	}
	if st := srv.Stats(); st.Pushes != 2 || st.Dropped != 1 || st.Conflicts != 1 {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestMonthlyQuota(t *testing.T) {
	srv := New(WithMonthlyQuota(2))
	defer srv.Close()
	api := newAPI(t, srv)
	for i := range 2 {
		if _, err := api.PushMessage(textPush("U1"), NewRetryKey()); err != nil {
			t.Fatalf("push %d: %v", i+1, err)
		}
	}
	res, _, err := api.PushMessageWithHttpInfo(textPush("U1"), NewRetryKey())
	if res == nil || res.StatusCode != http.StatusTooManyRequests || !strings.Contains(err.Error(), MonthlyLimitBody) {
		t.Fatalf("third push: res %v, err %v; want 429 %s", res, err, MonthlyLimitBody)
	}
	// Replies are free.
	if _, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: srv.IssueReplyToken(), Messages: []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: "a"}}}); err != nil {
		t.Errorf("reply over quota: %v", err)
	}
	if got := srv.Rejected(); got["You have reached your monthly limit."] != 1 || len(got) != 1 {
		t.Errorf("Rejected() = %v", got)
	}
}

func TestLoadingAnimation(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	for _, secs := range []int32{5, 60, 0} {
		if _, err := api.ShowLoadingAnimation(&messaging_api.ShowLoadingAnimationRequest{ChatId: "U1", LoadingSeconds: secs}); err != nil {
			t.Fatalf("ShowLoadingAnimation(%d): %v", secs, err)
		}
	}
	var got []int
	for _, l := range srv.Loadings() {
		got = append(got, l.Seconds)
	}
	if fmt.Sprint(got) != "[5 60 20]" { // the SDK omits 0: LINE's default
		t.Errorf("seconds = %v", got)
	}
	res, body := post(t, srv, http.MethodPost, PathLoading, `{"chatId":"U1"}`, nil)
	if res.StatusCode != http.StatusAccepted || string(body) != "{}" {
		t.Errorf("answer %d %s, want 202 {}", res.StatusCode, body)
	}
}

func TestRequestIDsUnique(t *testing.T) {
	srv := New(AcceptAnyReplyToken()) // replyBody's token was never issued
	defer srv.Close()
	seen := make(map[string]bool)
	for _, c := range []struct{ path, body string }{
		{PathReply, replyBody(text("a"))},
		{PathReply, replyBody(text("a"))}, // token reused
		{PathPush, pushBody("U1", text("a"))},
		{PathLoading, `{"chatId":"U1"}`},
		{"/nowhere", "{}"},
	} {
		res, _ := post(t, srv, http.MethodPost, c.path, c.body, nil)
		id := res.Header.Get("X-Line-Request-Id")
		if id == "" || seen[id] {
			t.Errorf("%s: request id %q empty or repeated", c.path, id)
		}
		seen[id] = true
	}
	if res, _ := post(t, srv, http.MethodGet, PathReply, "", nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", res.StatusCode)
	}
}

func TestWait(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	go func() {
		time.Sleep(10 * time.Millisecond)
		for range 3 {
			_, _ = api.PushMessage(textPush("U1"), NewRetryKey())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.WaitPushes(ctx, 3); err != nil {
		t.Fatalf("WaitPushes: %v", err)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if err := srv.WaitReplies(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReplies = %v, want a deadline error", err)
	}
}

func TestLatency(t *testing.T) {
	srv := New(WithLatency(50*time.Millisecond), AcceptAnyReplyToken())
	defer srv.Close()
	start := time.Now()
	if res, _ := post(t, srv, http.MethodPost, PathReply, replyBody(text("a")), nil); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered after %v, want at least 50ms", d)
	}

	api, err := messaging_api.NewMessagingApiAPI(srv.Token(), messaging_api.WithEndpoint(srv.URL()),
		messaging_api.WithHTTPClient(&http.Client{Timeout: 10 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PushMessage(textPush("U1"), NewRetryKey()); err == nil {
		t.Error("push with a 10ms client time-out succeeded")
	}
}

func TestResetAndDiscard(t *testing.T) {
	srv := New(DiscardRecords(), WithMonthlyQuota(1))
	defer srv.Close()
	api := newAPI(t, srv)
	key := NewRetryKey()
	if _, err := api.PushMessage(textPush("U1"), key); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitPushes(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Pushes()); n != 0 {
		t.Errorf("DiscardRecords kept %d pushes", n)
	}
	srv.Reset()
	if st := srv.Stats(); st != (Stats{}) {
		t.Errorf("Stats() after Reset = %+v", st)
	}
	// Reset forgets retry keys and quota use.
	if _, err := api.PushMessage(textPush("U1"), key); err != nil {
		t.Errorf("push after Reset: %v", err)
	}
}

func TestNewHandler(t *testing.T) {
	fake := NewHandler(WithToken("secret-token"))
	if fake.URL() != "" {
		t.Errorf("URL() = %q for NewHandler", fake.URL())
	}
	ts := httptest.NewServer(fake.Handler())
	defer ts.Close()
	defer fake.Close() // no-op
	api, err := messaging_api.NewMessagingApiAPI("secret-token", messaging_api.WithEndpoint(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PushMessage(textPush("U9"), NewRetryKey()); err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(fake.PushesTo("U9")) != 1 {
		t.Error("push not recorded")
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok := srv.IssueReplyToken()
			if _, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: tok, Messages: []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: "a"}}}); err != nil {
				t.Errorf("reply %d: %v", i, err)
			}
			if _, err := api.PushMessage(textPush(fmt.Sprintf("U%d", i)), NewRetryKey()); err != nil {
				t.Errorf("push %d: %v", i, err)
			}
			_ = srv.Replies()
			_ = srv.Rejected()
		})
	}
	wg.Wait()
	if st := srv.Stats(); st.Replies != n || st.Pushes != n {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestRecordsAreCopies(t *testing.T) {
	srv := New(AcceptAnyReplyToken()) // replyBody's token was never issued
	defer srv.Close()
	if res, _ := post(t, srv, http.MethodPost, PathReply, replyBody(text("a")), nil); res.StatusCode != 200 {
		t.Fatal(res.Status)
	}
	r := srv.Replies()
	r[0].Body[0] = 'X'
	r[0].Messages[0] = Message{}
	again := srv.Replies()[0]
	if !bytes.HasPrefix(again.Body, []byte("{")) || again.Messages[0].Text != "a" {
		t.Errorf("record changed through a copy: %s %+v", again.Body, again.Messages[0])
	}
}

// TestCheckSchemaEvery: sampled, the schema check still refuses a body it
// looks at, and the endpoint's own rules hold for every body.
func TestCheckSchemaEvery(t *testing.T) {
	srv := New(CheckSchemaEvery(4))
	t.Cleanup(srv.Close)
	// body has a fresh token each time: a token is used once.
	count := func(body func(token string) string, n int) (refused int) {
		for range n {
			if res, _ := post(t, srv, http.MethodPost, PathReply, body(srv.IssueReplyToken()), nil); res.StatusCode == http.StatusBadRequest {
				refused++
			}
		}
		return refused
	}
	unknownField := func(tok string) string {
		return `{"replyToken":"` + tok + `","messages":[{"type":"text","text":"a"}],"foo":1}`
	}
	if got := count(unknownField, 8); got != 2 {
		t.Errorf("a body off the schema, 8 times with 1 in 4 checked: %d refused, want 2", got)
	}
	sixMessages := func(tok string) string {
		return `{"replyToken":"` + tok + `","messages":[` + strings.Repeat(`{"type":"text","text":"a"},`, 5) + `{"type":"text","text":"a"}]}`
	}
	if got := count(sixMessages, 4); got != 4 {
		t.Errorf("six messages, 4 times: %d refused, want 4 (the rules hold for every body)", got)
	}
}
