package linefake_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// A bot test: a signed webhook goes to the bot's handler, and the bot's
// reply, sent with the real SDK, lands in the fake.
func Example() {
	fake := linefake.New(linefake.StrictTokens())
	defer fake.Close()
	api, err := messaging_api.NewMessagingApiAPI(fake.Token(), messaging_api.WithEndpoint(fake.URL()))
	if err != nil {
		panic(err)
	}

	// Stands in for the bot's webhook handler.
	const secret = "channel-secret"
	handler := func(body []byte) error {
		cb, err := webhook.ParseRequest(secret, linefake.NewRequest(secret, body))
		if err != nil {
			return err
		}
		for _, ev := range cb.Events {
			if m, ok := ev.(webhook.MessageEvent); ok {
				_, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{
					ReplyToken: m.ReplyToken,
					Messages:   []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: "まずカードを止めましょう"}},
				})
				if err != nil {
					return err
				}
			}
		}
		return nil
	}

	ev := linefake.TextEvent("U0123456789abcdef0123456789abcdef", "カードを使われた", linefake.ReplyTokenFrom(fake))
	if err := handler(linefake.Body("", ev)); err != nil {
		panic(err)
	}
	fmt.Println(fake.RepliesFor(ev.ReplyToken)[0].Texts())
	fmt.Println(len(fake.Rejected()))
	// Output:
	// [まずカードを止めましょう]
	// 0
}

// The load generator serves the fake on a real listener.
func ExampleNewHandler() {
	fake := linefake.NewHandler(linefake.WithMonthlyQuota(200), linefake.DiscardRecords())
	srv := httptest.NewServer(fake.Handler()) // or &http.Server{Handler: fake.Handler()}
	defer srv.Close()
	fmt.Println(fake.Stats().Pushes)
	// Output: 0
}
