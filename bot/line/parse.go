package line

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fraudnavi/fraudnavi/flows"
)

// The webhook's one-pass decoder. The SDK decodes a body into a map, each
// event into a map, then again into its typed event, and each source and
// message the same way; this reads the bytes once into Event.
//
// It reads only what LINE sends for the events the bot handles (message,
// postback, follow, unfollow, join; text and sticker messages; user, group
// and room sources), and matches the SDK's decoding there exactly: keys of
// the SDK's maps (the body, an event) are matched exactly, keys of the
// structs it decodes into (a source, a message, a postback) as encoding/json
// matches them, unknown keys are skipped once checked to be valid JSON. On
// anything else (another event or message type, a null, a duplicate key,
// an escaped key, a key that matches a field only by case, a number that is
// not a plain integer, deep nesting) it gives up, and the SDK decides:
// bodies like that do not come from LINE, so their cost does not matter,
// and the SDK's answer is the reference by construction.

// errUnusual is a body the one-pass decoder leaves to the SDK.
var errUnusual = errors.New("unusual webhook body")

// maxDepth is the deepest nesting the decoder follows. LINE's bodies are a
// few levels deep; encoding/json allows 10,000 (and the SDK then decides).
const maxDepth = 32

type decoder struct {
	data []byte
	off  int
}

// parseEvents decodes a webhook body. errUnusual means the SDK must decide.
func parseEvents(body []byte) ([]Event, error) {
	d := decoder{data: body}
	events, err := d.body()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.off != len(d.data) {
		return nil, errUnusual
	}
	return events, nil
}

// body reads the callback request: {"destination": "...", "events": [...]}.
func (d *decoder) body() ([]Event, error) {
	events := []Event{}
	var seen [2]bool
	err := d.object(func(key []byte) error {
		switch string(key) {
		case "destination":
			if seen[0] {
				return errUnusual
			}
			seen[0] = true
			_, err := d.string()
			return err
		case "events":
			if seen[1] {
				return errUnusual
			}
			seen[1] = true
			return d.array(func() error {
				ev, err := d.event()
				events = append(events, ev)
				return err
			})
		}
		return d.skip(1)
	})
	return events, err
}

// Keys of an event the SDK reads, by event type.
const (
	evType = iota
	evSource
	evTimestamp
	evMode
	evWebhookEventID
	evDeliveryContext
	evReplyToken
	evMessage
	evPostback
	evFollow
	evKeys
)

var eventKeys = [evKeys]string{"type", "source", "timestamp", "mode", "webhookEventId", "deliveryContext", "replyToken", "message", "postback", "follow"}

// eventReads is which keys the SDK reads for each event type the bot
// handles; it ignores the others, whatever they hold.
var eventReads = map[string][evKeys]bool{
	EventMessage:  keysOf(evReplyToken, evMessage),
	EventPostback: keysOf(evReplyToken, evPostback),
	EventFollow:   keysOf(evReplyToken, evFollow),
	EventUnfollow: keysOf(),
	EventJoin:     keysOf(evReplyToken),
}

// keysOf is the keys every event has, and more.
func keysOf(more ...int) [evKeys]bool {
	k := [evKeys]bool{evType: true, evSource: true, evTimestamp: true, evMode: true, evWebhookEventID: true, evDeliveryContext: true}
	for _, m := range more {
		k[m] = true
	}
	return k
}

// event reads one event as the SDK and convert do. The event's type may
// come last, so the values the SDK reads are kept as raw JSON (checked
// valid) and read once the type is known.
func (d *decoder) event() (Event, error) {
	var raw [evKeys][]byte
	err := d.object(func(key []byte) error {
		for i, k := range eventKeys {
			if string(key) == k {
				if raw[i] != nil {
					return errUnusual
				}
				d.space()
				start := d.off
				if err := d.skip(1); err != nil {
					return err
				}
				raw[i] = d.data[start:d.off]
				return nil
			}
		}
		return d.skip(1)
	})
	if err != nil {
		return Event{}, err
	}
	if raw[evType] == nil {
		return Event{}, errUnusual // the SDK refuses it
	}
	typ, err := sub(raw[evType]).string()
	if err != nil {
		return Event{}, err
	}
	reads, ok := eventReads[typ]
	if !ok {
		return Event{}, errUnusual // the SDK reads other types differently
	}
	for i := range raw {
		if !reads[i] {
			raw[i] = nil
		}
		if bytes.Equal(raw[i], []byte("null")) {
			return Event{}, errUnusual
		}
	}

	ev := Event{Type: typ}
	var ms int64
	if v := raw[evTimestamp]; v != nil {
		if ms, err = sub(v).int64(); err != nil {
			return Event{}, err
		}
	}
	var mode string
	if v := raw[evMode]; v != nil {
		if mode, err = sub(v).string(); err != nil {
			return Event{}, err
		}
	}
	if v := raw[evWebhookEventID]; v != nil {
		if ev.ID, err = sub(v).string(); err != nil {
			return Event{}, err
		}
	}
	if v := raw[evDeliveryContext]; v != nil {
		if ev.Redelivered, err = sub(v).deliveryContext(); err != nil {
			return Event{}, err
		}
	}
	if v := raw[evReplyToken]; v != nil {
		if ev.ReplyToken, err = sub(v).string(); err != nil {
			return Event{}, err
		}
	}
	if v := raw[evSource]; v != nil {
		if ev.Source, ev.UserID, ev.ChatID, err = sub(v).source(); err != nil {
			return Event{}, err
		}
	}
	switch typ {
	case EventMessage:
		ev.Input = flows.Input{Kind: flows.InputOther}
		if v := raw[evMessage]; v != nil {
			if ev.Input, err = sub(v).message(); err != nil {
				return Event{}, err
			}
		}
	case EventPostback:
		ev.Input = flows.Input{Kind: flows.InputPostback}
		if v := raw[evPostback]; v != nil {
			if ev.Input, err = sub(v).postback(); err != nil {
				return Event{}, err
			}
		}
	case EventFollow:
		ev.Input = flows.Input{Kind: flows.InputFollow}
		if v := raw[evFollow]; v != nil {
			if err := sub(v).followDetail(); err != nil {
				return Event{}, err
			}
		}
	}
	// As convert: a join's time is not kept.
	if ms > 0 && typ != EventJoin {
		ev.Stamped = time.UnixMilli(ms)
	}
	ev.Standby = mode == "standby"
	return ev, nil
}

// sub is a decoder of a value already checked valid.
func sub(v []byte) *decoder { return &decoder{data: v} }

// structKey is which of fields key stands for when encoding/json decodes
// an object into a struct with those fields: an exact match, else a match
// by case folding. It is -1 for none; a match by case alone is errUnusual
// (the SDK's maps would miss what its structs find).
func structKey(key []byte, fields []string) (int, error) {
	for i, f := range fields {
		if string(key) == f {
			return i, nil
		}
	}
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f)) {
			return -1, errUnusual
		}
	}
	return -1, nil
}

// structObject reads an object the SDK decodes into a struct: read is
// called on the value of each of fields, at most once each; others are
// skipped.
func (d *decoder) structObject(fields []string, read func(field int) error) error {
	var seen uint32
	return d.object(func(key []byte) error {
		i, err := structKey(key, fields)
		if err != nil {
			return err
		}
		if i < 0 {
			return d.skip(1)
		}
		if seen&(1<<i) != 0 {
			return errUnusual
		}
		seen |= 1 << i
		return read(i)
	})
}

var sourceFields = []string{"type", "userId", "groupId", "roomId"}

// source reads a source as the SDK and convert do: its type, then the ids
// that type has.
func (d *decoder) source() (kind, userID, chatID string, err error) {
	var typ, user, group, room string
	err = d.structObject(sourceFields, func(field int) error {
		s, err := d.string()
		switch field {
		case 0:
			typ = s
		case 1:
			user = s
		case 2:
			group = s
		case 3:
			room = s
		}
		return err
	})
	if err != nil {
		return "", "", "", err
	}
	switch typ {
	case "user":
		return "user", user, "", nil
	case "group":
		return "group", "", group, nil
	case "room":
		return "room", "", room, nil
	}
	return "", "", "", errUnusual // no type, or one the SDK reads otherwise
}

// messageFields are the fields of the SDK's text and sticker contents.
var messageFields = []string{"type", "id", "text", "quoteToken", "quotedMessageId", "packageId", "stickerId", "stickerResourceType", "keywords", "emojis", "mention"}

// message reads a message's content: a text's text and quote token; any
// other message is InputOther.
func (d *decoder) message() (flows.Input, error) {
	var typ, text, quote string
	err := d.structObject(messageFields, func(field int) error {
		var s string
		var err error
		switch messageFields[field] {
		case "keywords":
			return d.array(func() error {
				_, err := d.string()
				return err
			})
		case "emojis", "mention":
			return errUnusual
		default:
			s, err = d.string()
		}
		switch messageFields[field] {
		case "type":
			typ = s
		case "text":
			text = s
		case "quoteToken":
			quote = s
		}
		return err
	})
	switch {
	case err != nil:
		return flows.Input{}, err
	case typ == "text":
		return flows.Input{Kind: flows.InputText, Text: text, QuoteToken: quote}, nil
	case typ == "sticker":
		return flows.Input{Kind: flows.InputOther}, nil
	}
	return flows.Input{}, errUnusual // the SDK reads other messages otherwise
}

var postbackFields = []string{"data", "params"}

// postback reads a tap: its data and the picked time.
func (d *decoder) postback() (flows.Input, error) {
	var data, datetime string
	var picked bool
	err := d.structObject(postbackFields, func(field int) error {
		if field == 0 {
			var err error
			data, err = d.string()
			return err
		}
		// params is a map: keys match exactly, and the last of a
		// repeated key wins.
		return d.object(func(key []byte) error {
			v, err := d.string()
			if string(key) == "datetime" {
				datetime, picked = v, true
			}
			return err
		})
	})
	if err != nil {
		return flows.Input{}, err
	}
	return pickedInput(data, datetime, picked), nil
}

var deliveryContextFields = []string{"isRedelivery"}

func (d *decoder) deliveryContext() (redelivered bool, err error) {
	err = d.structObject(deliveryContextFields, func(int) error {
		redelivered, err = d.bool()
		return err
	})
	return redelivered, err
}

var followFields = []string{"isUnblocked"}

func (d *decoder) followDetail() error {
	return d.structObject(followFields, func(int) error {
		_, err := d.bool()
		return err
	})
}

// The JSON reader. Anything it does not expect is errUnusual, including
// what is invalid: the SDK then says what is wrong.

func (d *decoder) space() {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (d *decoder) peek() byte {
	d.space()
	if d.off == len(d.data) {
		return 0
	}
	return d.data[d.off]
}

// object reads an object, calling member with each key (which it may not
// keep) with the decoder at the value; member must read the value.
func (d *decoder) object(member func(key []byte) error) error {
	if d.peek() != '{' {
		return errUnusual
	}
	d.off++
	if d.peek() == '}' {
		d.off++
		return nil
	}
	for {
		if d.peek() != '"' {
			return errUnusual
		}
		key, escaped, err := d.rawString()
		if err != nil {
			return err
		}
		if escaped {
			return errUnusual // LINE never escapes a key
		}
		if d.peek() != ':' {
			return errUnusual
		}
		d.off++
		if err := member(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.off++
		case '}':
			d.off++
			return nil
		default:
			return errUnusual
		}
	}
}

// array reads an array, calling elem with the decoder at each element;
// elem must read it.
func (d *decoder) array(elem func() error) error {
	if d.peek() != '[' {
		return errUnusual
	}
	d.off++
	if d.peek() == ']' {
		d.off++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.off++
		case ']':
			d.off++
			return nil
		default:
			return errUnusual
		}
	}
}

// rawString reads a string at d.off and returns its bytes between the
// quotes, and whether it has escapes.
func (d *decoder) rawString() (s []byte, escaped bool, err error) {
	d.off++ // the quote
	start := d.off
	for d.off < len(d.data) {
		c := d.data[d.off]
		switch {
		case c == '"':
			d.off++
			return d.data[start : d.off-1], escaped, nil
		case c == '\\':
			escaped = true
			if d.off+1 >= len(d.data) {
				return nil, false, errUnusual
			}
			switch d.data[d.off+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.off += 2
			case 'u':
				if d.off+6 > len(d.data) {
					return nil, false, errUnusual
				}
				for _, h := range d.data[d.off+2 : d.off+6] {
					if !isHex(h) {
						return nil, false, errUnusual
					}
				}
				d.off += 6
			default:
				return nil, false, errUnusual
			}
		case c < 0x20:
			return nil, false, errUnusual
		default:
			d.off++
		}
	}
	return nil, false, errUnusual
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// string reads a string value as encoding/json does.
func (d *decoder) string() (string, error) {
	if d.peek() != '"' {
		return "", errUnusual
	}
	start := d.off
	raw, escaped, err := d.rawString()
	if err != nil {
		return "", err
	}
	if !escaped && utf8.Valid(raw) {
		return string(raw), nil
	}
	// Escapes and invalid UTF-8 (which encoding/json replaces) are rare:
	// let encoding/json read them.
	var s string
	if err := json.Unmarshal(d.data[start:d.off], &s); err != nil {
		return "", errUnusual
	}
	return s, nil
}

func (d *decoder) bool() (bool, error) {
	d.space()
	switch {
	case bytes.HasPrefix(d.data[d.off:], []byte("true")):
		d.off += 4
		return true, nil
	case bytes.HasPrefix(d.data[d.off:], []byte("false")):
		d.off += 5
		return false, nil
	}
	return false, errUnusual
}

// int64 reads an integer as encoding/json reads it into an int64; any
// other number is errUnusual.
func (d *decoder) int64() (int64, error) {
	d.space()
	start := d.off
	if err := d.number(); err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(d.data[start:d.off]), 10, 64)
	if err != nil {
		return 0, errUnusual
	}
	return n, nil
}

// number reads a JSON number.
func (d *decoder) number() error {
	digits := func() int {
		n := 0
		for d.off < len(d.data) && '0' <= d.data[d.off] && d.data[d.off] <= '9' {
			d.off++
			n++
		}
		return n
	}
	if d.off < len(d.data) && d.data[d.off] == '-' {
		d.off++
	}
	switch {
	case d.off < len(d.data) && d.data[d.off] == '0':
		d.off++
	case digits() == 0:
		return errUnusual
	}
	if d.off < len(d.data) && d.data[d.off] == '.' {
		d.off++
		if digits() == 0 {
			return errUnusual
		}
	}
	if d.off < len(d.data) && (d.data[d.off] == 'e' || d.data[d.off] == 'E') {
		d.off++
		if d.off < len(d.data) && (d.data[d.off] == '+' || d.data[d.off] == '-') {
			d.off++
		}
		if digits() == 0 {
			return errUnusual
		}
	}
	return nil
}

// skip reads any value and checks it is valid JSON.
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return errUnusual
	}
	switch c := d.peek(); {
	case c == '{':
		return d.object(func([]byte) error { return d.skip(depth + 1) })
	case c == '[':
		return d.array(func() error { return d.skip(depth + 1) })
	case c == '"':
		_, _, err := d.rawString()
		return err
	case c == 't' || c == 'f':
		_, err := d.bool()
		return err
	case c == 'n':
		if !bytes.HasPrefix(d.data[d.off:], []byte("null")) {
			return errUnusual
		}
		d.off += 4
		return nil
	case c == '-' || '0' <= c && c <= '9':
		return d.number()
	}
	return errUnusual
}
