package line

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
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
