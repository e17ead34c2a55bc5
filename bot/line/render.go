// Package line adapts the engine to the LINE Messaging API: it renders the
// engine's messages as LINE messages and calls the API through the official
// SDK. No other package imports the SDK's messaging types.
package line

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// LINE's limits (line-platform.md).
const (
	maxMessages = 5
	maxText     = 5000 // UTF-16 code units
	maxAltText  = 1500
	maxLabel    = 20
	maxQuick    = 13
)

// Render turns a reply into at most five LINE messages, the quick replies on
// the last one. Texts over LINE's limit are split at line breaks.
func Render(r flows.Reply) []messaging_api.MessageInterface {
	msgs := make([]messaging_api.MessageInterface, 0, min(len(r.Messages), maxMessages))
	for _, m := range r.Messages {
		if len(m.Buttons) > 0 {
			msgs = append(msgs, bubble(m))
			continue
		}
		if len(m.Text) <= maxText {
			// Never more UTF-16 units than bytes: no need to split.
			msgs = append(msgs, &messaging_api.TextMessage{Text: m.Text, QuoteToken: m.QuoteToken})
			continue
		}
		for i, part := range split(m.Text, maxText) {
			t := &messaging_api.TextMessage{Text: part}
			if i == 0 {
				t.QuoteToken = m.QuoteToken
			}
			msgs = append(msgs, t)
		}
	}
	if len(msgs) > maxMessages {
		msgs = msgs[:maxMessages]
	}
	if len(msgs) == 0 || len(r.QuickReplies) == 0 {
		return msgs
	}
	qr := quickReply(r.QuickReplies)
	switch last := msgs[len(msgs)-1].(type) {
	case *messaging_api.TextMessage:
		last.QuickReply = qr
	case *messaging_api.FlexMessage:
		last.QuickReply = qr
	}
	return msgs
}

// bubble is a message with buttons: the text in the body, one full-width
// button per action in the footer (large targets for unsteady hands).
func bubble(m flows.Message) *messaging_api.FlexMessage {
	buttons := make([]messaging_api.FlexComponentInterface, 0, len(m.Buttons))
	for i, b := range m.Buttons {
		style := messaging_api.FlexButtonSTYLE_SECONDARY
		if i == 0 {
			style = messaging_api.FlexButtonSTYLE_PRIMARY
		}
		buttons = append(buttons, &messaging_api.FlexButton{
			Style:  style,
			Height: messaging_api.FlexButtonHEIGHT_MD,
			Margin: "sm",
			Action: action(b),
		})
	}
	return &messaging_api.FlexMessage{
		AltText: truncate(m.Text, maxAltText),
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
	}
}

func action(b flows.Button) messaging_api.ActionInterface {
	switch b.Kind {
	case flows.ButtonCall:
		return &messaging_api.UriAction{Label: callLabel(b.Label, b.Value), Uri: TelURI(b.Value)}
	case flows.ButtonCopy:
		return &messaging_api.ClipboardAction{Label: truncate(b.Label, maxLabel), ClipboardText: b.Value}
	default:
		return &messaging_api.UriAction{Label: truncate(b.Label, maxLabel), Uri: b.Value}
	}
}

// callLabel says whom a call button dials and the number, once: a contact
// whose name already carries its number ("消費者ホットライン 188") keeps its name.
// The number is dropped, not cut, when both do not fit LINE's 20 characters.
func callLabel(name, number string) string {
	if strings.Contains(name, number) {
		return truncate(name, maxLabel)
	}
	if label := name + " " + number; utf8.RuneCountInString(label) <= maxLabel {
		return label
	}
	return truncate(name, maxLabel)
}

// TelURI is a one-tap call link. '#' must be percent-encoded or LINE drops
// everything after it (#9110 would dial nothing).
func TelURI(number string) string {
	return "tel:" + strings.ReplaceAll(strings.ReplaceAll(number, "-", ""), "#", "%23")
}

func quickReply(qs []flows.QuickReply) *messaging_api.QuickReply {
	if len(qs) > maxQuick {
		qs = qs[:maxQuick]
	}
	items := make([]messaging_api.QuickReplyItem, 0, len(qs))
	for _, q := range qs {
		var a messaging_api.ActionInterface
		switch q.Kind {
		case flows.QuickTimePicker:
			a = &messaging_api.DatetimePickerAction{
				Label:   truncate(q.Label, maxLabel),
				Data:    q.Data,
				Mode:    messaging_api.DatetimePickerActionMODE_DATETIME,
				Initial: q.Initial,
				Min:     q.Min,
				Max:     q.Max,
			}
		default:
			a = &messaging_api.PostbackAction{
				Label:       truncate(q.Label, maxLabel),
				Data:        q.Data,
				DisplayText: q.DisplayText,
			}
		}
		// The SDK does not fill in Type, and LINE rejects an item without it.
		items = append(items, messaging_api.QuickReplyItem{Type: "action", Action: a})
	}
	return &messaging_api.QuickReply{Items: items}
}

func truncate(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// split cuts s into parts of at most max UTF-16 units, at line breaks where
// it can.
func split(s string, max int) []string {
	var parts []string
	for utf16Len(s) > max {
		cut := 0
		units := 0
		for i, r := range s {
			n := utf16.RuneLen(r)
			if units+n > max {
				break
			}
			units += n
			if r == '\n' {
				cut = i + 1
			}
		}
		if cut == 0 {
			cut = prefixUnits(s, max)
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	if s != "" || len(parts) == 0 {
		parts = append(parts, s)
	}
	return parts
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// prefixUnits is the byte length of the longest prefix of s within max UTF-16 units.
func prefixUnits(s string, max int) int {
	units := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if units+n > max {
			return i
		}
		units += n
	}
	return len(s)
}
