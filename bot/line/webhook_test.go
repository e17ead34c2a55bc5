package line_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
)

const webhookSecret = "test-channel-secret"

// TestParseWebhook: every event the bot acts on reaches it in the engine's
// terms, with what decides how it is handled (1:1 or group, standby,
// redelivered, when it happened).
func TestParseWebhook(t *testing.T) {
	at := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	user := linefake.NewUserID()
	join := linefake.UnknownEvent("join", linefake.At(at))
	join.Source = &linefake.Source{Type: "room", RoomID: "R1"}
	join.ReplyToken = "join-token"
	tests := []struct {
		name  string
		event linefake.Event
		want  line.Event
	}{
		{"text", linefake.TextEvent(user, "カードを落とした", linefake.At(at)),
			line.Event{Type: line.EventMessage, Source: "user", UserID: user, Input: flows.Input{Kind: flows.InputText, Text: "カードを落とした"}}},
		{"sticker", linefake.StickerEvent(user, linefake.At(at)),
			line.Event{Type: line.EventMessage, Source: "user", UserID: user, Input: flows.Input{Kind: flows.InputOther}}},
		{"postback with a picked time, Japan time", linefake.PostbackEvent(user, "a=1", map[string]string{"datetime": "2026-11-25T09:00"}, linefake.At(at)),
			line.Event{Type: line.EventPostback, Source: "user", UserID: user, Input: flows.Input{Kind: flows.InputPostback, Data: "a=1", Time: time.Date(2026, 11, 25, 9, 0, 0, 0, flows.Tokyo)}}},
		{"postback with an unreadable time: long past", linefake.PostbackEvent(user, "a=1", map[string]string{"datetime": "tomorrow"}, linefake.At(at)),
			line.Event{Type: line.EventPostback, Source: "user", UserID: user, Input: flows.Input{Kind: flows.InputPostback, Data: "a=1", Time: time.Unix(0, 0)}}},
		{"follow", linefake.FollowEvent(user, linefake.At(at)),
			line.Event{Type: line.EventFollow, Source: "user", UserID: user, Input: flows.Input{Kind: flows.InputFollow}}},
		{"unfollow", linefake.UnfollowEvent(user, linefake.At(at)),
			line.Event{Type: line.EventUnfollow, Source: "user", UserID: user}},
		{"standby, redelivered", linefake.TextEvent(user, "x", linefake.At(at), linefake.Standby()).Redelivered(),
			line.Event{Type: line.EventMessage, Source: "user", UserID: user, Standby: true, Redelivered: true, Input: flows.Input{Kind: flows.InputText, Text: "x"}}},
		{"group message", linefake.GroupTextEvent("G1", user, "x", linefake.At(at)),
			line.Event{Type: line.EventMessage, Source: "group", UserID: "", ChatID: "G1", Input: flows.Input{Kind: flows.InputText, Text: "x"}}},
		{"join a room", join, line.Event{Type: line.EventJoin, Source: "room", ChatID: "R1"}},
		{"an event type the bot does not handle", linefake.UnknownEvent("videoPlayComplete", linefake.At(at)), line.Event{Type: line.EventOther}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := line.ParseWebhook(webhookSecret, linefake.NewRequest(webhookSecret, linefake.Body("", tt.event)))
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			got, want := events[0], tt.want
			if want.Type != line.EventOther && want.Type != line.EventJoin {
				want.ID, want.Stamped = tt.event.WebhookEventID, at
			}
			if want.Type == line.EventJoin {
				want.ID = tt.event.WebhookEventID
			}
			if tt.event.Message != nil && tt.event.Message.Type == "text" {
				want.Input.QuoteToken = tt.event.Message.QuoteToken
			}
			if want.Type != line.EventUnfollow && want.Type != line.EventOther {
				want.ReplyToken = tt.event.ReplyToken
			}
			if !got.Stamped.Equal(want.Stamped) || !got.Input.Time.Equal(want.Input.Time) {
				t.Errorf("stamped %v, picked %v; want %v, %v", got.Stamped, got.Input.Time, want.Stamped, want.Input.Time)
			}
			got.Stamped, want.Stamped, got.Input.Time, want.Input.Time = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if got != want {
				t.Errorf("ParseWebhook =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestParseWebhookBadSignature: a body not signed with the channel secret is
// refused before anything in it is read.
func TestParseWebhookBadSignature(t *testing.T) {
	body := linefake.Body("", linefake.TextEvent(linefake.NewUserID(), "x"))
	if _, err := line.ParseWebhook(webhookSecret, linefake.NewRequest("another secret", body)); !errors.Is(err, line.ErrInvalidSignature) {
		t.Errorf("ParseWebhook with a forged signature: err = %v, want ErrInvalidSignature", err)
	}
}
