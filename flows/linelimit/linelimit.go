// Package linelimit is the one table of the Messaging API's limits that the
// content validator (flows) and the renderer (bot/line) both use, with the way
// LINE counts each one (docs/line-platform.md, "Limits"): a text message in
// UTF-16 code units, an action label in grapheme clusters. A limit whose unit
// the documents do not state is counted in UTF-16 code units, the stricter
// reading for the texts we send (never fewer units than graphemes).
//
// bot/linefake keeps its own copy on purpose: it plays LINE, and a mistake
// here must not be repeated there and so go unseen.
package linelimit

import (
	"unicode/utf16"

	"github.com/rivo/uniseg"
)

// Unit is how LINE counts a field's length.
type Unit int

const (
	// UTF16 counts UTF-16 code units: an emoji outside the BMP is 2, a ZWJ
	// family is 8 or more.
	UTF16 Unit = iota
	// Graphemes counts extended grapheme clusters (UAX #29): a flag, a ZWJ
	// family, a letter with its combining marks are 1 each.
	Graphemes
)

// Limit is the longest a field may be, in its unit.
type Limit struct {
	Max  int
	Unit Unit
}

// The counts LINE sets (a number of items, not a length).
const (
	Messages      = 5  // messages per reply or push
	QuickReplies  = 13 // quick-reply buttons per message
	RichMenuAreas = 20
)

// The lengths, one per field the bot fills.
var (
	Text            = Limit{5000, UTF16}    // text message
	Label           = Limit{20, Graphemes}  // action label: quick reply, template
	FlexLabel       = Limit{40, Graphemes}  // action label in a flex button
	Data            = Limit{300, UTF16}     // postback data
	DisplayText     = Limit{300, Graphemes} // postback displayText
	URI             = Limit{1000, UTF16}    // URI action
	Clipboard       = Limit{1000, UTF16}    // clipboard action text
	FlexAltText     = Limit{1500, UTF16}    // flex message altText
	RichMenuName    = Limit{300, UTF16}     // rich menu name (unit not documented)
	RichMenuChatBar = Limit{14, UTF16}      // rich menu chatBarText (unit not documented)
)

// Len is the length of s the way LINE counts it for this field.
func (l Limit) Len(s string) int {
	if l.Unit == Graphemes {
		return uniseg.GraphemeClusterCount(s)
	}
	return UTF16Len(s)
}

// Fits reports whether s is within the limit (an empty s fits: whether a
// field is required is the caller's business).
func (l Limit) Fits(s string) bool {
	if len(s) <= l.Max {
		return true // never more units or graphemes than bytes
	}
	return l.Len(s) <= l.Max
}

// Truncate returns s if it fits, otherwise its longest prefix of whole
// grapheme clusters that fits with "…" after it: a cut never splits a flag,
// a ZWJ sequence or a letter from its marks.
func (l Limit) Truncate(s string) string {
	if l.Fits(s) {
		return s
	}
	const ellipsis = "…" // one grapheme, one UTF-16 unit
	return s[:l.Prefix(s, l.Max-1)] + ellipsis
}

// Prefix is the byte length of the longest prefix of s made of whole
// grapheme clusters and at most max units long.
func (l Limit) Prefix(s string, max int) int {
	n, end := 0, 0
	state := -1
	rest := s
	for len(rest) > 0 {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		w := 1
		if l.Unit == UTF16 {
			w = UTF16Len(cluster)
		}
		if n+w > max {
			break
		}
		n += w
		end += len(cluster)
	}
	return end
}

// UTF16Len is the number of UTF-16 code units of s.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
