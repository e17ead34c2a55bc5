package linefake

import (
	"encoding/json"
	"testing"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

func TestTextLengths(t *testing.T) {
	tests := []struct {
		s               string
		utf16, grapheme int
	}{
		{"", 0, 0},
		{"abc", 3, 3},
		{"詐欺", 2, 2},
		{"🍎", 2, 1},
		{"👨‍👩‍👧", 8, 1},    // ZWJ sequence
		{"👍🏽", 4, 1},       // skin-tone modifier
		{"🇯🇵🇺🇸", 8, 2},     // two flags
		{"❤️", 2, 1},       // variation selector
		{"か\u3099", 2, 1},  // combining voiced mark
		{"ｶﾞ", 2, 1},       // half-width voiced mark
		{"e\u0301x", 3, 2}, // combining acute
		{"a\r\nb", 4, 3},   // CR LF
		{"1️⃣", 3, 1},      // keycap
	}
	for _, tt := range tests {
		if got := utf16Len(tt.s); got != tt.utf16 {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.s, got, tt.utf16)
		}
		if got := graphemeLen(tt.s); got != tt.grapheme {
			t.Errorf("graphemeLen(%q) = %d, want %d", tt.s, got, tt.grapheme)
		}
	}
}

// TestSDKValuePitfall documents why the bot must build SDK messages with
// pointers: a FlexButton value is marshalled without its MarshalJSON, so its
// action goes out without "type", and LINE (like the fake) rejects it.
func TestSDKValuePitfall(t *testing.T) {
	for _, tt := range []struct {
		name   string
		button messaging_api.FlexComponentInterface
		ok     bool
	}{
		{"pointers", &messaging_api.FlexButton{Action: &messaging_api.ClipboardAction{Label: "copy", ClipboardText: "x"}}, true},
		{"values", messaging_api.FlexButton{Action: messaging_api.ClipboardAction{Label: "copy", ClipboardText: "x"}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(&messaging_api.ReplyMessageRequest{ReplyToken: "t", Messages: []messaging_api.MessageInterface{
				&messaging_api.FlexMessage{AltText: "a", Contents: &messaging_api.FlexBubble{Footer: &messaging_api.FlexBox{
					Layout: messaging_api.FlexBoxLAYOUT_VERTICAL, Contents: []messaging_api.FlexComponentInterface{tt.button},
				}}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			var req replyRequest
			d, ok := decodeStrict(body, &req)
			if !ok {
				t.Fatalf("not JSON: %s", body)
			}
			if len(d) == 0 {
				validateMessages(req.Messages, nil, &d)
			}
			if (len(d) == 0) != tt.ok {
				t.Errorf("errors %v, want ok=%v; body %s", d, tt.ok, body)
			}
			if !tt.ok && !hasProperty(d, "messages[0].contents.footer.contents[0].action.type") {
				t.Errorf("errors %v, want one on the action type", d)
			}
		})
	}
}

func TestRejectionReason(t *testing.T) {
	r := Rejection{Message: "The request body has 2 error(s)", Details: []ErrorDetail{
		{Message: "Must be specified", Property: "to"},
		{Message: "Size must be between 1 and 5", Property: "messages"},
	}}
	if got, want := r.Reason(), "to: Must be specified; messages: Size must be between 1 and 5"; got != want {
		t.Errorf("Reason() = %q, want %q", got, want)
	}
	if got := (Rejection{Message: "Invalid reply token"}).Reason(); got != "Invalid reply token" {
		t.Errorf("Reason() = %q", got)
	}
}
