package linefake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"
)

// Webhook builders: the JSON LINE posts to the bot (webhook.yml), signed with
// the channel secret.

// Sign returns the x-line-signature of body: base64(HMAC-SHA256(secret, body)).
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// DefaultDestination is the bot user ID Body uses when given none.
const DefaultDestination = "U00000000000000000000000000000000"

// Event is one webhook event. The builders fill it in like LINE does; change
// the fields to make unusual events.
type Event struct {
	Type           string
	Source         *Source // nil: no source property
	ReplyToken     string  // empty: no replyToken property (unfollow)
	Timestamp      time.Time
	Mode           string // "active" or "standby"
	WebhookEventID string
	IsRedelivery   bool

	Message  *MessageContent  // message events
	Postback *PostbackContent // postback events
	Follow   *FollowDetail    // follow events
}

// Source is where an event comes from: "user", "group" or "room".
type Source struct {
	Type    string `json:"type"`
	GroupID string `json:"groupId,omitempty"`
	RoomID  string `json:"roomId,omitempty"`
	UserID  string `json:"userId,omitempty"`
}

// MessageContent is the message of a message event (text or sticker).
type MessageContent struct {
	Type                string   `json:"type"`
	ID                  string   `json:"id"`
	QuoteToken          string   `json:"quoteToken,omitempty"`
	Text                string   `json:"text,omitempty"`
	PackageID           string   `json:"packageId,omitempty"`
	StickerID           string   `json:"stickerId,omitempty"`
	StickerResourceType string   `json:"stickerResourceType,omitempty"`
	Keywords            []string `json:"keywords,omitempty"`
}

// MarshalJSON always includes the text of a text message, even when empty.
func (m MessageContent) MarshalJSON() ([]byte, error) {
	type plain MessageContent
	if m.Type != "text" {
		return json.Marshal(plain(m))
	}
	return json.Marshal(struct {
		plain
		Text string `json:"text"`
	}{plain(m), m.Text})
}

// PostbackContent is the postback of a postback event. Params holds the
// datetime picker's choice ("date", "time" or "datetime").
type PostbackContent struct {
	Data   string            `json:"data"`
	Params map[string]string `json:"params,omitempty"`
}

// FollowDetail is the follow property of a follow event.
type FollowDetail struct {
	IsUnblocked bool `json:"isUnblocked"`
}

type deliveryContext struct {
	IsRedelivery bool `json:"isRedelivery"`
}

// MarshalJSON encodes the event as LINE sends it.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type            string           `json:"type"`
		Message         *MessageContent  `json:"message,omitempty"`
		Postback        *PostbackContent `json:"postback,omitempty"`
		Follow          *FollowDetail    `json:"follow,omitempty"`
		WebhookEventID  string           `json:"webhookEventId"`
		DeliveryContext deliveryContext  `json:"deliveryContext"`
		Timestamp       int64            `json:"timestamp"`
		Source          *Source          `json:"source,omitempty"`
		ReplyToken      string           `json:"replyToken,omitempty"`
		Mode            string           `json:"mode"`
	}{
		Type:            e.Type,
		Message:         e.Message,
		Postback:        e.Postback,
		Follow:          e.Follow,
		WebhookEventID:  e.WebhookEventID,
		DeliveryContext: deliveryContext{e.IsRedelivery},
		Timestamp:       e.Timestamp.UnixMilli(),
		Source:          e.Source,
		ReplyToken:      e.ReplyToken,
		Mode:            e.Mode,
	})
}

// Redelivered returns the event as LINE redelivers it: same webhookEventId
// and reply token, isRedelivery true.
func (e Event) Redelivered() Event {
	e.IsRedelivery = true
	return e
}

// EventOption adjusts an event as it is built.
type EventOption func(*eventConfig)

type eventConfig struct {
	server  *Server
	standby bool
	at      time.Time
}

// ReplyTokenFrom makes the event's reply token come from s.IssueReplyToken,
// which the fake requires by default. Without it the token is random and
// only a fake made with AcceptAnyReplyToken accepts it.
func ReplyTokenFrom(s *Server) EventOption { return func(c *eventConfig) { c.server = s } }

// Standby sets mode "standby": another channel has the chat, and the bot must
// not reply.
func Standby() EventOption { return func(c *eventConfig) { c.standby = true } }

// At sets the event's timestamp (default: now).
func At(t time.Time) EventOption { return func(c *eventConfig) { c.at = t } }

func newEvent(typ string, src *Source, withToken bool, opts []EventOption) Event {
	var c eventConfig
	for _, o := range opts {
		o(&c)
	}
	if c.at.IsZero() {
		c.at = time.Now()
	}
	e := Event{
		Type:           typ,
		Source:         src,
		Timestamp:      c.at,
		Mode:           "active",
		WebhookEventID: newULID(c.at),
	}
	if c.standby {
		e.Mode = "standby"
	}
	if withToken {
		if c.server != nil {
			e.ReplyToken = c.server.IssueReplyToken()
		} else {
			e.ReplyToken = randomHex(16)
		}
	}
	return e
}

func userSource(userID string) *Source { return &Source{Type: "user", UserID: userID} }

// TextEvent is a text message from a user in a one-on-one chat.
func TextEvent(userID, text string, opts ...EventOption) Event {
	e := newEvent("message", userSource(userID), true, opts)
	e.Message = &MessageContent{Type: "text", ID: newMessageID(), QuoteToken: randomHex(32), Text: text}
	return e
}

// GroupTextEvent is a text message from a user in a group chat.
func GroupTextEvent(groupID, userID, text string, opts ...EventOption) Event {
	e := newEvent("message", &Source{Type: "group", GroupID: groupID, UserID: userID}, true, opts)
	e.Message = &MessageContent{Type: "text", ID: newMessageID(), QuoteToken: randomHex(32), Text: text}
	return e
}

// StickerEvent is a sticker from a user.
func StickerEvent(userID string, opts ...EventOption) Event {
	e := newEvent("message", userSource(userID), true, opts)
	e.Message = &MessageContent{
		Type:                "sticker",
		ID:                  newMessageID(),
		QuoteToken:          randomHex(32),
		PackageID:           "446",
		StickerID:           "1988",
		StickerResourceType: "STATIC",
		Keywords:            []string{"happy", "smile"},
	}
	return e
}

// PostbackEvent is a tap on a postback or datetime picker action; params is
// nil for a plain postback.
func PostbackEvent(userID, data string, params map[string]string, opts ...EventOption) Event {
	e := newEvent("postback", userSource(userID), true, opts)
	e.Postback = &PostbackContent{Data: data, Params: params}
	return e
}

// FollowEvent is a user adding the bot as a friend.
func FollowEvent(userID string, opts ...EventOption) Event {
	e := newEvent("follow", userSource(userID), true, opts)
	e.Follow = &FollowDetail{}
	return e
}

// UnfollowEvent is a user blocking the bot; it has no reply token.
func UnfollowEvent(userID string, opts ...EventOption) Event {
	return newEvent("unfollow", userSource(userID), false, opts)
}

// UnknownEvent is an event of a type the SDK does not know, as LINE may add
// without notice; bots should ignore it and still answer 200.
func UnknownEvent(eventType string, opts ...EventOption) Event {
	return newEvent(eventType, nil, false, opts)
}

// Body returns the webhook body carrying events for the bot destination
// (DefaultDestination if empty). No events is LINE's connectivity check.
func Body(destination string, events ...Event) []byte {
	if destination == "" {
		destination = DefaultDestination
	}
	if events == nil {
		events = []Event{} // "events":[] rather than null
	}
	b, err := json.Marshal(struct {
		Destination string  `json:"destination"`
		Events      []Event `json:"events"`
	}{destination, events})
	if err != nil {
		panic(fmt.Sprintf("linefake: encode webhook body: %v", err)) // plain data always encodes
	}
	return b
}

// NewRequest returns a signed webhook request for POST /callback, to pass to
// a handler's ServeHTTP.
func NewRequest(secret string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/callback", bytes.NewReader(body))
	setWebhookHeaders(r, secret, body)
	return r
}

// NewClientRequest returns a signed webhook request to send to url with an
// http.Client, as the load generator does.
func NewClientRequest(ctx context.Context, url, secret string, body []byte) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("linefake: webhook request to %s: %w", url, err)
	}
	setWebhookHeaders(r, secret, body)
	return r, nil
}

func setWebhookHeaders(r *http.Request, secret string, body []byte) {
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("User-Agent", "LineBotWebhook/2.0")
	r.Header.Set("X-Line-Signature", Sign(secret, body))
}

// NewUserID returns a random user ID in LINE's format, U and 32 hex digits.
func NewUserID() string { return "U" + randomHex(16) }

// newULID returns a ULID: 48 bits of milliseconds and 80 random bits, in 26
// characters of Crockford's base32, like LINE's webhookEventId.
func newULID(t time.Time) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:]) // never fails
	// 26 digits hold 130 bits: the 128-bit value with two leading zero bits.
	var out [26]byte
	for i := range out {
		v := 0
		for j := range 5 {
			bit := i*5 + j - 2
			v <<= 1
			if bit >= 0 && b[bit/8]>>(7-bit%8)&1 == 1 {
				v |= 1
			}
		}
		out[i] = alphabet[v]
	}
	return string(out[:])
}
