package line

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/linelimit"
)

// An encoder builds request bodies from the SDK's own encoding of each
// message, made once per distinct message and then reused. Encoding through
// the SDK's types costs much (every MarshalJSON re-compacts what the one
// inside it produced), and the messages of a step are the same every time;
// only the reply token, quotes and the postback data of quick replies (which
// carry the state's version) change from one reply to the next.
//
// The bytes are the SDK's: the parts are cut from json.Marshal of the SDK's
// values and put back together in the order the SDK writes them, so a body
// equals the SDK's encoding of the same request byte for byte.
type encoder struct {
	mu       sync.Mutex
	messages map[messageKey][][]byte // the LINE messages of one flows.Message
	items    map[flows.QuickReply]quickItem
	size     int // bytes held, to bound the cache
}

// maxCacheBytes bounds what an encoder keeps. The real flows need a few
// hundred KiB; messages made on the fly (a reminder's time) could add more
// forever, so a full cache is emptied and fills again.
const maxCacheBytes = 4 << 20

// messageKey is a message's content. Messages with a quote are not kept
// (the token is per event), so the key has no quote.
type messageKey struct {
	text    string
	buttons string // buttonsKey
}

// quickItem is the SDK's encoding of a quick-reply item cut around its
// postback data.
type quickItem struct {
	head, tail []byte
}

// dataPlaceholder stands for a quick reply's data while its item is encoded.
// A label that contains it cannot be cut unambiguously and is encoded whole.
const dataPlaceholder = "\x00data\x00"

// Request bodies around the messages, as the SDK writes them: json.Marshal
// of messaging_api.ReplyMessageRequest (then a newline from its
// json.Encoder), and of pushRequest.
const (
	replyHead = `{"replyToken":`
	replyMid  = `,"notificationDisabled":false,"messages":`
	replyTail = "}\n"
	pushHead  = `{"to":`
	pushMid   = `,"messages":`
	pushTail  = `}`
)

// replyBody is the body of a reply request.
func (e *encoder) replyBody(token string, r flows.Reply) ([]byte, error) {
	b := make([]byte, 0, 128)
	b = appendString(append(b, replyHead...), token)
	b, err := e.appendMessages(append(b, replyMid...), r)
	if err != nil {
		return nil, err
	}
	return append(b, replyTail...), nil
}

// pushBody is the body of a push request.
func (e *encoder) pushBody(to string, r flows.Reply) ([]byte, error) {
	b := make([]byte, 0, 128)
	b = appendString(append(b, pushHead...), to)
	b, err := e.appendMessages(append(b, pushMid...), r)
	if err != nil {
		return nil, err
	}
	return append(b, pushTail...), nil
}

// appendMessages appends the JSON array of the messages Render makes of r.
func (e *encoder) appendMessages(b []byte, r flows.Reply) ([]byte, error) {
	var parts [linelimit.Messages][]byte
	n := 0
	// Every message is encoded, even past the limit, so that a reply
	// fails as Render fails: whole, on any unknown button.
	for _, m := range r.Messages {
		enc, err := e.message(m)
		if err != nil {
			return nil, err
		}
		for _, p := range enc {
			if n < len(parts) {
				parts[n] = p
				n++
			}
		}
	}
	// Grow once: the parts' sizes are known, a quick reply's nearly.
	size := 2 + 200*min(len(r.QuickReplies), linelimit.QuickReplies)
	for _, p := range parts[:n] {
		size += len(p) + 1
	}
	b = slices.Grow(b, size)
	b = append(b, '[')
	for i, p := range parts[:n] {
		if i > 0 {
			b = append(b, ',')
		}
		if i < n-1 || len(r.QuickReplies) == 0 {
			b = append(b, p...)
			continue
		}
		// The SDK writes quickReply first (it is a field of the
		// embedded Message), and omits it when nil: p has none.
		b = append(b, `{"quickReply":`...)
		var err error
		if b, err = e.appendQuickReply(b, r.QuickReplies); err != nil {
			return nil, err
		}
		b = append(append(b, ','), p[1:]...)
	}
	return append(b, ']'), nil
}

// message returns the SDK's encoding of the LINE messages m renders as.
func (e *encoder) message(m flows.Message) ([][]byte, error) {
	if m.QuoteToken != "" {
		return encodeMessage(m)
	}
	key := messageKey{text: m.Text, buttons: buttonsKey(m.Buttons)}
	e.mu.Lock()
	enc, ok := e.messages[key]
	e.mu.Unlock()
	if ok {
		return enc, nil
	}
	enc, err := encodeMessage(m)
	if err != nil {
		return nil, err
	}
	size := len(key.text) + len(key.buttons)
	for _, p := range enc {
		size += len(p)
	}
	e.mu.Lock()
	e.makeRoom(size)
	if e.messages == nil {
		e.messages = make(map[messageKey][][]byte)
	}
	e.messages[key] = enc
	e.mu.Unlock()
	return enc, nil
}

// makeRoom empties the cache if adding size bytes would overfill it. The
// caller holds e.mu.
func (e *encoder) makeRoom(size int) {
	if e.size+size > maxCacheBytes {
		clear(e.messages)
		clear(e.items)
		e.size = 0
	}
	e.size += size
}

// encodeMessage renders m and encodes each LINE message with the SDK.
func encodeMessage(m flows.Message) ([][]byte, error) {
	msgs, err := renderMessage(m)
	if err != nil {
		return nil, err
	}
	enc := make([][]byte, len(msgs))
	for i, msg := range msgs {
		if enc[i], err = json.Marshal(msg); err != nil {
			return nil, fmt.Errorf("encode message: %w", err)
		}
	}
	return enc, nil
}

// buttonsKey writes buttons as a string that differs whenever they do: each
// field prefixed by its length.
func buttonsKey(buttons []flows.Button) string {
	if len(buttons) == 0 {
		return ""
	}
	var b []byte
	for _, bt := range buttons {
		b = binary.AppendUvarint(b, uint64(bt.Kind))
		b = binary.AppendUvarint(b, uint64(len(bt.Label)))
		b = append(b, bt.Label...)
		b = binary.AppendUvarint(b, uint64(len(bt.Value)))
		b = append(b, bt.Value...)
	}
	return string(b)
}

// appendQuickReply appends the SDK's encoding of the quick reply Render
// makes of qs.
func (e *encoder) appendQuickReply(b []byte, qs []flows.QuickReply) ([]byte, error) {
	if len(qs) > linelimit.QuickReplies {
		qs = qs[:linelimit.QuickReplies]
	}
	b = append(b, `{"items":[`...)
	for i, q := range qs {
		if i > 0 {
			b = append(b, ',')
		}
		it, ok, err := e.quickItem(q)
		if err != nil {
			return nil, err
		}
		if !ok {
			enc, err := encodeQuickReplyItem(q)
			if err != nil {
				return nil, err
			}
			b = append(b, enc...)
			continue
		}
		b = append(b, it.head...)
		b = appendString(b, q.Data)
		b = append(b, it.tail...)
	}
	return append(b, "]}"...), nil
}

// quickItem returns q's item cut around its data; ok is false when it
// cannot be cut.
func (e *encoder) quickItem(q flows.QuickReply) (quickItem, bool, error) {
	if q.Data == "" {
		return quickItem{}, false, nil // the SDK omits empty data
	}
	key := q
	key.Data = ""
	e.mu.Lock()
	it, ok := e.items[key]
	e.mu.Unlock()
	if ok {
		return it, true, nil
	}
	key.Data = dataPlaceholder
	enc, err := encodeQuickReplyItem(key)
	if err != nil {
		return quickItem{}, false, err
	}
	placeholder := appendString(nil, dataPlaceholder)
	if bytes.Count(enc, placeholder) != 1 {
		return quickItem{}, false, nil
	}
	head, tail, _ := bytes.Cut(enc, placeholder)
	it = quickItem{head: head, tail: tail}
	key.Data = ""
	e.mu.Lock()
	e.makeRoom(len(enc) + len(q.Label) + len(q.DisplayText))
	if e.items == nil {
		e.items = make(map[flows.QuickReply]quickItem)
	}
	e.items[key] = it
	e.mu.Unlock()
	return it, true, nil
}

// appendString appends s as encoding/json writes it (HTML characters
// escaped), which is how the SDK writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s) // a string always encodes
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// encodeQuickReplyItem is the SDK's encoding of q's item.
func encodeQuickReplyItem(q flows.QuickReply) ([]byte, error) {
	item := quickReplyItem(q)
	b, err := json.Marshal(&item)
	if err != nil {
		return nil, fmt.Errorf("encode quick reply: %w", err)
	}
	return b, nil
}
