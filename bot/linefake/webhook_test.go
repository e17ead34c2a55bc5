package linefake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

const secret = "8c570fa6dd201bb328f1c1eac23a96d8"

func TestSignTestVector(t *testing.T) {
	// From LINE's documentation.
	body := []byte(`{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}`)
	if got, want := Sign(secret, body), "GhRKmvmHys4Pi8DxkF4+EayaH0OqtJtaZxgTD9fMDLs="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if got := string(Body("U8e742f61d673b39c7fff3cecb7536ef0")); got != string(body) {
		t.Errorf("Body with no events = %s, want %s", got, body)
	}
}

var ulidPattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

func TestWebhookParsedBySDK(t *testing.T) {
	const user = "U4af4980629000000000000000000000a"
	tests := []struct {
		name      string
		event     Event
		wantToken bool
		check     func(t *testing.T, ev webhook.EventInterface)
	}{
		{"text", TextEvent(user, "カードを止めたい"), true, func(t *testing.T, ev webhook.EventInterface) {
			m, ok := ev.(webhook.MessageEvent)
			if !ok {
				t.Fatalf("got %T, want webhook.MessageEvent", ev)
			}
			c, ok := m.Message.(webhook.TextMessageContent)
			if !ok || c.Text != "カードを止めたい" || c.Id == "" || c.QuoteToken == "" {
				t.Errorf("message = %#v", m.Message)
			}
			if s, ok := m.Source.(webhook.UserSource); !ok || s.UserId != user {
				t.Errorf("source = %#v", m.Source)
			}
		}},
		{"empty text", TextEvent(user, ""), true, func(t *testing.T, ev webhook.EventInterface) {
			if c, ok := ev.(webhook.MessageEvent).Message.(webhook.TextMessageContent); !ok || c.Text != "" {
				t.Errorf("message = %#v", ev)
			}
		}},
		{"group text", GroupTextEvent("C1234", user, "hi"), true, func(t *testing.T, ev webhook.EventInterface) {
			m := ev.(webhook.MessageEvent)
			if s, ok := m.Source.(webhook.GroupSource); !ok || s.GroupId != "C1234" || s.UserId != user {
				t.Errorf("source = %#v", m.Source)
			}
		}},
		{"sticker", StickerEvent(user), true, func(t *testing.T, ev webhook.EventInterface) {
			if c, ok := ev.(webhook.MessageEvent).Message.(webhook.StickerMessageContent); !ok || c.PackageId == "" || c.StickerResourceType != "STATIC" {
				t.Errorf("message = %#v", ev)
			}
		}},
		{"postback with params", PostbackEvent(user, "s=remind&v=3", map[string]string{"datetime": "2026-11-25T09:00"}), true, func(t *testing.T, ev webhook.EventInterface) {
			p, ok := ev.(webhook.PostbackEvent)
			if !ok {
				t.Fatalf("got %T, want webhook.PostbackEvent", ev)
			}
			if p.Postback.Data != "s=remind&v=3" || p.Postback.Params["datetime"] != "2026-11-25T09:00" {
				t.Errorf("postback = %#v", p.Postback)
			}
		}},
		{"plain postback", PostbackEvent(user, "s=card_call&v=7&c=done", nil), true, func(t *testing.T, ev webhook.EventInterface) {
			if p := ev.(webhook.PostbackEvent); p.Postback.Params != nil {
				t.Errorf("params = %v, want none", p.Postback.Params)
			}
		}},
		{"follow", FollowEvent(user), true, func(t *testing.T, ev webhook.EventInterface) {
			if f, ok := ev.(webhook.FollowEvent); !ok || f.Follow == nil || f.Follow.IsUnblocked {
				t.Errorf("got %#v", ev)
			}
		}},
		{"unfollow", UnfollowEvent(user), false, func(t *testing.T, ev webhook.EventInterface) {
			if u, ok := ev.(webhook.UnfollowEvent); !ok || u.Source.(webhook.UserSource).UserId != user {
				t.Errorf("got %#v", ev)
			}
		}},
		{"unknown", UnknownEvent("brandNewEvent"), false, func(t *testing.T, ev webhook.EventInterface) {
			if u, ok := ev.(webhook.UnknownEvent); !ok || u.Type != "brandNewEvent" {
				t.Errorf("got %#v", ev)
			}
		}},
		{"standby", TextEvent(user, "hi", Standby()), true, func(t *testing.T, ev webhook.EventInterface) {
			if m := ev.(webhook.MessageEvent); m.Mode != webhook.EventMode_STANDBY {
				t.Errorf("mode = %q", m.Mode)
			}
		}},
		{"redelivered", TextEvent(user, "hi").Redelivered(), true, func(t *testing.T, ev webhook.EventInterface) {
			if m := ev.(webhook.MessageEvent); !m.DeliveryContext.IsRedelivery {
				t.Error("isRedelivery = false")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := Body("", tt.event)
			cb, err := webhook.ParseRequest(secret, NewRequest(secret, body))
			if err != nil {
				t.Fatalf("ParseRequest: %v\n%s", err, body)
			}
			if cb.Destination != DefaultDestination || len(cb.Events) != 1 {
				t.Fatalf("callback = %+v", cb)
			}
			ev := cb.Events[0]
			tt.check(t, ev)

			// The common properties, read back from the JSON.
			var raw struct {
				Events []struct {
					WebhookEventID  string  `json:"webhookEventId"`
					ReplyToken      *string `json:"replyToken"`
					Timestamp       int64   `json:"timestamp"`
					Mode            string  `json:"mode"`
					DeliveryContext *struct {
						IsRedelivery bool `json:"isRedelivery"`
					} `json:"deliveryContext"`
				} `json:"events"`
			}
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			e := raw.Events[0]
			if !ulidPattern.MatchString(e.WebhookEventID) || e.WebhookEventID != tt.event.WebhookEventID {
				t.Errorf("webhookEventId = %q", e.WebhookEventID)
			}
			if (e.ReplyToken != nil && *e.ReplyToken != "") != tt.wantToken {
				t.Errorf("replyToken = %v, want present: %v", e.ReplyToken, tt.wantToken)
			}
			if e.Timestamp == 0 || e.DeliveryContext == nil || (e.Mode != "active" && e.Mode != "standby") {
				t.Errorf("common properties = %+v", e)
			}
		})
	}
}

func TestWebhookSeveralEventsAndBadSignature(t *testing.T) {
	body := Body("", TextEvent("U1", "a"), TextEvent("U2", "b"), UnfollowEvent("U3"))
	cb, err := webhook.ParseRequest(secret, NewRequest(secret, body))
	if err != nil || len(cb.Events) != 3 {
		t.Fatalf("ParseRequest: %v, %+v", err, cb)
	}
	req := NewRequest(secret, body)
	req.Header.Set("X-Line-Signature", Sign("another secret", body))
	if _, err := webhook.ParseRequest(secret, req); !errors.Is(err, webhook.ErrInvalidSignature) {
		t.Errorf("wrong secret: err = %v, want ErrInvalidSignature", err)
	}
}

func TestEventIDsAndTokens(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		e := TextEvent("U1", "a")
		if seen[e.WebhookEventID] || seen[e.ReplyToken] {
			t.Fatalf("repeated id or token: %+v", e)
		}
		seen[e.WebhookEventID], seen[e.ReplyToken] = true, true
	}
	early := TextEvent("U1", "a", At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	late := TextEvent("U1", "a", At(time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC)))
	if early.WebhookEventID >= late.WebhookEventID {
		t.Errorf("ULIDs do not sort by time: %s >= %s", early.WebhookEventID, late.WebhookEventID)
	}
	again := early.Redelivered()
	if again.WebhookEventID != early.WebhookEventID || again.ReplyToken != early.ReplyToken {
		t.Error("Redelivered changed the id or the token")
	}
}

func TestReplyTokenFromServer(t *testing.T) {
	srv := New()
	defer srv.Close()
	api := newAPI(t, srv)
	reply := func(tok string) error {
		_, err := api.ReplyMessage(&messaging_api.ReplyMessageRequest{ReplyToken: tok, Messages: []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: "a"}}})
		return err
	}
	if err := reply(TextEvent("U1", "a", ReplyTokenFrom(srv)).ReplyToken); err != nil {
		t.Errorf("token from the server: %v", err)
	}
	if err := reply(TextEvent("U1", "a").ReplyToken); err == nil {
		t.Error("random token accepted by default")
	}
	if tok := UnfollowEvent("U1", ReplyTokenFrom(srv)).ReplyToken; tok != "" {
		t.Errorf("unfollow got token %q", tok)
	}
}

func TestNewClientRequest(t *testing.T) {
	got := make(chan error, 1)
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := webhook.ParseRequest(secret, r)
		if err == nil && len(cb.Events) != 1 {
			err = errors.New("want one event")
		}
		got <- err
	}))
	defer bot.Close()
	req, err := NewClientRequest(context.Background(), bot.URL+"/callback", secret, Body("", TextEvent(NewUserID(), "a")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := <-got; err != nil {
		t.Errorf("bot: %v", err)
	}
	if _, err := NewClientRequest(context.Background(), "://bad", secret, nil); err == nil {
		t.Error("bad URL accepted")
	}
	if id := NewUserID(); !regexp.MustCompile(`^U[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("NewUserID = %q", id)
	}
}
