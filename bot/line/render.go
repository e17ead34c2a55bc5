// Package line adapts the engine to the LINE Messaging API: it renders the
// engine's messages as LINE messages and calls the API through the official
// SDK. No other package imports the SDK's messaging types.
package line

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/flows/linelimit"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// Render turns a reply into at most five LINE messages, the quick replies on
// the last one. Texts over LINE's limit are split at line breaks. A button of
// a kind it does not know is an error: sent as a link, a call or a copy
// button would do something the content never said.
func Render(r flows.Reply) ([]messaging_api.MessageInterface, error) {
	msgs := make([]messaging_api.MessageInterface, 0, min(len(r.Messages), linelimit.Messages))
	for _, m := range r.Messages {
		ms, err := renderMessage(m)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, ms...)
	}
	if len(msgs) > linelimit.Messages {
		msgs = msgs[:linelimit.Messages]
	}
	if len(msgs) == 0 || len(r.QuickReplies) == 0 {
		return msgs, nil
	}
	qr := quickReply(r.QuickReplies)
	switch last := msgs[len(msgs)-1].(type) {
	case *messaging_api.TextMessage:
		last.QuickReply = qr
	case *messaging_api.FlexMessage:
		last.QuickReply = qr
	}
	return msgs, nil
}

// renderMessage turns one message into LINE messages, without quick replies:
// a bubble if it has buttons, else one text or more if it is too long.
func renderMessage(m flows.Message) ([]messaging_api.MessageInterface, error) {
	if len(m.Buttons) > 0 {
		b, err := bubble(m)
		if err != nil {
			return nil, err
		}
		return []messaging_api.MessageInterface{b}, nil
	}
	if linelimit.Text.Fits(m.Text) {
		return []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: m.Text, QuoteToken: m.QuoteToken}}, nil
	}
	var msgs []messaging_api.MessageInterface
	for i, part := range split(m.Text, linelimit.Text) {
		t := &messaging_api.TextMessage{Text: part}
		if i == 0 {
			t.QuoteToken = m.QuoteToken
		}
		msgs = append(msgs, t)
	}
	return msgs, nil
}

// bubble is a message with buttons: the text in the body, one full-width
// button per action in the footer (large targets for unsteady hands).
func bubble(m flows.Message) (*messaging_api.FlexMessage, error) {
	buttons := make([]messaging_api.FlexComponentInterface, 0, len(m.Buttons))
	for i, b := range m.Buttons {
		a, err := action(b)
		if err != nil {
			return nil, err
		}
		style := messaging_api.FlexButtonSTYLE_SECONDARY
		if i == 0 {
			style = messaging_api.FlexButtonSTYLE_PRIMARY
		}
		buttons = append(buttons, &messaging_api.FlexButton{
			Style:  style,
			Height: messaging_api.FlexButtonHEIGHT_MD,
			Margin: "sm",
			Action: a,
		})
	}
	return &messaging_api.FlexMessage{
		AltText: linelimit.FlexAltText.Truncate(m.Text),
		Contents: &messaging_api.FlexBubble{
			Body: &messaging_api.FlexBox{
				Layout: messaging_api.FlexBoxLAYOUT_VERTICAL,
				Contents: []messaging_api.FlexComponentInterface{
					&messaging_api.FlexText{Text: m.Text, Wrap: true},
				},
			},
			Footer: &messaging_api.FlexBox{
				Layout:   messaging_api.FlexBoxLAYOUT_VERTICAL,
				Contents: buttons,
			},
		},
	}, nil
}

func action(b flows.Button) (messaging_api.ActionInterface, error) {
	switch b.Kind {
	case flows.ButtonCall:
		return &messaging_api.UriAction{Label: callLabel(b.Label, b.Value), Uri: TelURI(b.Value)}, nil
	case flows.ButtonCopy:
		return &messaging_api.ClipboardAction{Label: linelimit.FlexLabel.Truncate(b.Label), ClipboardText: b.Value}, nil
	case flows.ButtonLink:
		return &messaging_api.UriAction{Label: linelimit.FlexLabel.Truncate(b.Label), Uri: b.Value}, nil
	}
	return nil, fmt.Errorf("render button %q: %w %d", b.Label, ErrUnknownButton, b.Kind)
}

// ErrUnknownButton is a button whose kind the renderer does not know.
var ErrUnknownButton = errors.New("unknown button kind")

// callLabel says whom a call button dials and the number, once: a contact
// whose name already carries its number ("消費者ホットライン 188") keeps its name.
// The number is dropped, not cut, when both do not fit the 40 characters
// LINE allows a flex button's label (a quick reply's is 20).
func callLabel(name, number string) string {
	if strings.Contains(name, number) {
		return linelimit.FlexLabel.Truncate(name)
	}
	if label := name + " " + number; linelimit.FlexLabel.Fits(label) {
		return label
	}
	return linelimit.FlexLabel.Truncate(name)
}

// TelURI is a one-tap call link. '#' must be percent-encoded or LINE drops
// everything after it (#9110 would dial nothing).
func TelURI(number string) string {
	return "tel:" + strings.ReplaceAll(strings.ReplaceAll(number, "-", ""), "#", "%23")
}

func quickReply(qs []flows.QuickReply) *messaging_api.QuickReply {
	if len(qs) > linelimit.QuickReplies {
		qs = qs[:linelimit.QuickReplies]
	}
	items := make([]messaging_api.QuickReplyItem, 0, len(qs))
	for _, q := range qs {
		items = append(items, quickReplyItem(q))
	}
	return &messaging_api.QuickReply{Items: items}
}

func quickReplyItem(q flows.QuickReply) messaging_api.QuickReplyItem {
	var a messaging_api.ActionInterface
	switch q.Kind {
	case flows.QuickTimePicker:
		a = &messaging_api.DatetimePickerAction{
			Label:   linelimit.Label.Truncate(q.Label),
			Data:    q.Data,
			Mode:    messaging_api.DatetimePickerActionMODE_DATETIME,
			Initial: q.Initial,
			Min:     q.Min,
			Max:     q.Max,
		}
	default:
		a = &messaging_api.PostbackAction{
			Label:       linelimit.Label.Truncate(q.Label),
			Data:        q.Data,
			DisplayText: q.DisplayText,
		}
	}
	// The SDK does not fill in Type, and LINE rejects an item without it.
	return messaging_api.QuickReplyItem{Type: "action", Action: a}
}

// split cuts s into parts within limit, at line breaks where it can and
// never inside a grapheme cluster.
func split(s string, limit linelimit.Limit) []string {
	var parts []string
	for !limit.Fits(s) {
		cut := limit.Prefix(s, limit.Max)
		if cut == 0 {
			// One cluster longer than the limit (thousands of combining
			// marks): cut it between code points rather than loop forever.
			cut = runePrefix(s, limit.Max)
		}
		if nl := strings.LastIndexByte(s[:cut], '\n'); nl >= 0 {
			cut = nl + 1
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	if s != "" || len(parts) == 0 {
		parts = append(parts, s)
	}
	return parts
}

// runePrefix is the byte length of the longest prefix of s within max UTF-16
// units, cut between code points.
func runePrefix(s string, max int) int {
	units := 0
	for i, r := range s {
		if units += linelimit.UTF16Len(string(r)); units > max {
			return i
		}
	}
	return len(s)
}
