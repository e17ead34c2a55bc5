package line

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// benchReplies are two typical replies of the real flows: a step reached by
// a tap (texts and quick replies), and the step with the words to say (a
// flex bubble with a copy button and call buttons).
func benchReplies(b *testing.B) map[string]flows.Reply {
	b.Helper()
	g, err := flows.Load(flows.Content())
	if err != nil {
		b.Fatal(err)
	}
	e := flows.NewEngine(g)
	now := time.Date(2026, 11, 24, 23, 30, 0, 0, flows.Tokyo)
	res := e.Next(flows.State{}, flows.Input{Kind: flows.InputFollow}, now)
	res = e.Next(res.State, flows.Input{Kind: flows.InputPostback, Data: res.Reply.QuickReplies[0].Data}, now)
	out := map[string]flows.Reply{"tap": res.Reply}
	// Walk taps until a reply carries buttons.
	for range 20 {
		withButtons := false
		for _, m := range res.Reply.Messages {
			withButtons = withButtons || len(m.Buttons) > 0
		}
		if withButtons {
			out["buttons"] = res.Reply
			break
		}
		res = e.Next(res.State, flows.Input{Kind: flows.InputPostback, Data: res.Reply.QuickReplies[0].Data}, now)
	}
	if out["buttons"].Messages == nil {
		b.Fatal("no step with buttons on the first-choice path")
	}
	return out
}

// BenchmarkRender turns one step's reply into LINE messages.
//
//	go test -run '^$' -bench . -benchmem ./bot/line/
func BenchmarkRender(b *testing.B) {
	for name, r := range benchReplies(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(mustRender(b, r)) == 0 {
					b.Fatal("nothing rendered")
				}
			}
		})
	}
}

// BenchmarkRenderJSON adds what the SDK does next: encoding the reply
// request to JSON, which is most of the cost of a reply before the network.
func BenchmarkRenderJSON(b *testing.B) {
	for name, r := range benchReplies(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := &messaging_api.ReplyMessageRequest{ReplyToken: "0123456789abcdef0123456789abcdef", Messages: mustRender(b, r)}
				if _, err := json.Marshal(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReplyBody is what Client.Reply encodes now: the cached SDK
// encoding of each message, the token and the quick replies' data; "sdk" is
// the SDK's own encoding of the same request, as Reply did before.
func BenchmarkReplyBody(b *testing.B) {
	for name, r := range benchReplies(b) {
		b.Run(name+"/cached", func(b *testing.B) {
			var e encoder
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.replyBody("0123456789abcdef0123456789abcdef", r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var buf bytes.Buffer
				req := &messaging_api.ReplyMessageRequest{ReplyToken: "0123456789abcdef0123456789abcdef", Messages: mustRender(b, r)}
				if err := json.NewEncoder(&buf).Encode(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseWebhook checks the signature and decodes a one-event body
// as LINE sends it: "onepass" is ParseWebhook, "sdk" the SDK's ParseRequest
// and convert, as ParseWebhook did before.
func BenchmarkParseWebhook(b *testing.B) {
	const secret = "bench-secret"
	user := linefake.NewUserID()
	bodies := map[string][]byte{
		"text":     linefake.Body("", linefake.TextEvent(user, "カードの番号を聞かれた")),
		"postback": linefake.Body("", linefake.PostbackEvent(user, "s=amazon_card_number&v=12&c=0", nil)),
	}
	for name, body := range bodies {
		sig := linefake.Sign(secret, body)
		request := func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
			r.Header.Set("x-line-signature", sig)
			return r
		}
		b.Run(name+"/onepass", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseWebhook(secret, request()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/sdk", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cb, err := webhook.ParseRequest(secret, request())
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range cb.Events {
					_ = convert(e)
				}
			}
		})
	}
}
