package line

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// ErrInvalidSignature is a webhook body whose X-Line-Signature is missing or
// does not match the channel secret.
var ErrInvalidSignature = webhook.ErrInvalidSignature

// Event types of Event.Type. Any other LINE event has EventOther.
const (
	EventMessage  = "message"
	EventPostback = "postback"
	EventFollow   = "follow"
	EventUnfollow = "unfollow"
	EventJoin     = "join"
	EventOther    = "other"
)

// Event is one webhook event in the engine's terms: what the bot needs of
// LINE's event types, and nothing of the SDK's.
type Event struct {
	Type        string // EventMessage, …, EventOther
	ID          string // webhookEventId: what makes a redelivery recognisable
	ReplyToken  string
	Standby     bool // another channel owns the chat: replying is forbidden
	Redelivered bool // deliveryContext.isRedelivery
	// Source is where the event comes from: "user" (a 1:1 chat, with the
	// user's UserID), "group" or "room" (with its ChatID); "" if unknown.
	Source, UserID, ChatID string
	// Stamped is when the event happened by LINE's clock (messages,
	// postbacks, follows, unfollows); zero if unknown.
	Stamped time.Time
	// Input is the message or tap: text, another kind of message, a
	// postback, a follow.
	Input flows.Input
}

// ParseWebhook checks a webhook request's signature on the raw body with
// secret, then decodes its events. A bad signature is ErrInvalidSignature;
// a body too large for the reader (http.MaxBytesReader) is its
// *http.MaxBytesError. Other errors quote the body: never log them.
//
// The body is decoded in one pass (parse.go); one the pass does not handle
// goes the SDK's way, which is also what it is tested against.
func ParseWebhook(secret string, r *http.Request) ([]Event, error) {
	defer r.Body.Close()
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if !webhook.ValidateSignature(secret, r.Header.Get("x-line-signature"), body) {
		return nil, ErrInvalidSignature
	}
	events, err := parseEvents(body)
	if errors.Is(err, errUnusual) {
		return parseEventsSDK(body)
	}
	return events, err
}

// readBody reads r's body whole, in one allocation when its length is
// declared and small, as LINE's are (io.ReadAll grows its buffer several
// times). Errors are the reader's: a body over http.MaxBytesReader's limit
// stays a *http.MaxBytesError.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength <= 0 || r.ContentLength > maxPrealloc {
		return io.ReadAll(r.Body)
	}
	// One byte more than declared, so that EOF is seen without growing.
	b := make([]byte, 0, r.ContentLength+1)
	for {
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = slices.Grow(b, 512) // longer than declared
		}
	}
}

// maxPrealloc bounds what a declared length makes readBody allocate before
// anything is read: LINE's bodies are a few KiB.
const maxPrealloc = 64 << 10

// parseEventsSDK decodes a body as webhook.ParseRequest does, then as the
// bot reads each event.
func parseEventsSDK(body []byte) ([]Event, error) {
	var cb webhook.CallbackRequest
	if err := json.Unmarshal(body, &cb); err != nil {
		return nil, fmt.Errorf("failed to unmarshal request body: %w, %s", err, body)
	}
	events := make([]Event, 0, len(cb.Events))
	for _, raw := range cb.Events {
		events = append(events, convert(raw))
	}
	return events, nil
}

// convert reads one SDK event.
func convert(raw webhook.EventInterface) Event {
	var (
		ev   Event
		src  webhook.SourceInterface
		mode webhook.EventMode
		dc   *webhook.DeliveryContext
		ms   int64
	)
	switch e := raw.(type) {
	case webhook.MessageEvent:
		ev = Event{Type: EventMessage, ID: e.WebhookEventId, ReplyToken: e.ReplyToken, Input: flows.Input{Kind: flows.InputOther}}
		src, mode, dc, ms = e.Source, e.Mode, e.DeliveryContext, e.Timestamp
		if t, ok := e.Message.(webhook.TextMessageContent); ok {
			ev.Input = flows.Input{Kind: flows.InputText, Text: t.Text, QuoteToken: t.QuoteToken}
		}
	case webhook.PostbackEvent:
		ev = Event{Type: EventPostback, ID: e.WebhookEventId, ReplyToken: e.ReplyToken, Input: postbackInput(e.Postback)}
		src, mode, dc, ms = e.Source, e.Mode, e.DeliveryContext, e.Timestamp
	case webhook.FollowEvent:
		ev = Event{Type: EventFollow, ID: e.WebhookEventId, ReplyToken: e.ReplyToken, Input: flows.Input{Kind: flows.InputFollow}}
		src, mode, dc, ms = e.Source, e.Mode, e.DeliveryContext, e.Timestamp
	case webhook.UnfollowEvent:
		ev = Event{Type: EventUnfollow, ID: e.WebhookEventId}
		src, mode, dc, ms = e.Source, e.Mode, e.DeliveryContext, e.Timestamp
	case webhook.JoinEvent:
		ev = Event{Type: EventJoin, ID: e.WebhookEventId, ReplyToken: e.ReplyToken}
		src, mode, dc = e.Source, e.Mode, e.DeliveryContext
	default:
		return Event{Type: EventOther}
	}
	ev.Standby = mode == webhook.EventMode_STANDBY
	ev.Redelivered = dc != nil && dc.IsRedelivery
	if ms > 0 {
		ev.Stamped = time.UnixMilli(ms)
	}
	switch s := src.(type) {
	case webhook.UserSource:
		ev.Source, ev.UserID = "user", s.UserId
	case *webhook.UserSource:
		ev.Source, ev.UserID = "user", s.UserId
	case webhook.GroupSource:
		ev.Source, ev.ChatID = "group", s.GroupId
	case *webhook.GroupSource:
		ev.Source, ev.ChatID = "group", s.GroupId
	case webhook.RoomSource:
		ev.Source, ev.ChatID = "room", s.RoomId
	case *webhook.RoomSource:
		ev.Source, ev.ChatID = "room", s.RoomId
	}
	return ev
}

// postbackInput reads a tap.
func postbackInput(p *webhook.PostbackContent) flows.Input {
	if p == nil {
		return flows.Input{Kind: flows.InputPostback}
	}
	datetime, picked := p.Params["datetime"]
	return pickedInput(p.Data, datetime, picked)
}

// pickedInput is a tap with data and, if picked, the date-time picker's
// value. The value carries no zone: LINE means Japan time.
func pickedInput(data, datetime string, picked bool) flows.Input {
	in := flows.Input{Kind: flows.InputPostback, Data: data}
	if picked {
		t, err := time.ParseInLocation("2006-01-02T15:04", datetime, flows.Tokyo)
		if err != nil {
			// LINE sends "2026-11-25T09:00"; anything else is forged or
			// broken. Read it as a time long past, which the engine refuses
			// with its too-late text, rather than as no time picked, which
			// it would take as the offer's usual time.
			t = unreadableTime
		}
		in.Time = t
	}
	return in
}

// unreadableTime stands for a picked time that cannot be read.
var unreadableTime = time.Unix(0, 0)
