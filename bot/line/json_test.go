package line

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
)

// TestMessagesJSONIsWhatTheReplySends: the browser preview draws
// MessagesJSON, so it must be the "messages" of the reply request LINE
// receives, byte for byte, for text, Flex bubbles with call and copy
// buttons, quotes and quick replies alike.
func TestMessagesJSONIsWhatTheReplySends(t *testing.T) {
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	eng := flows.NewEngine(g)
	noon := time.Date(2026, 11, 25, 12, 0, 0, 0, flows.Tokyo) // a Wednesday: the phone lines are open
	tests := []struct {
		name string
		st   flows.State
		in   flows.Input
		has  string // what the case is there for
	}{
		{"contacts with call buttons", flows.State{Step: g.Start}, flows.Input{Kind: flows.InputText, Text: "相談窓口"}, `"uri":"tel:`},
		{"words with a copy button", flows.State{Step: "amazon_card_number"}, flows.Input{Kind: flows.InputText, Text: "番号がわかった"}, `"type":"clipboard"`},
		{"quoted warning", flows.State{Step: g.Start}, flows.Input{Kind: flows.InputText, Text: "4111 1111 1111 1111", QuoteToken: "q1"}, `"quoteToken":"q1"`},
	}
	fake := linefake.New()
	defer fake.Close()
	c, err := NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := eng.Next(tt.st, tt.in, noon)
			token := fake.IssueReplyToken()
			if err := c.Reply(token, res.Reply); err != nil {
				t.Fatalf("reply: %v", err)
			}
			sent := fake.RepliesFor(token)
			if len(sent) != 1 {
				t.Fatalf("%d replies recorded, want 1", len(sent))
			}
			var body struct {
				Messages json.RawMessage `json:"messages"`
			}
			if err := json.Unmarshal(sent[0].Body, &body); err != nil {
				t.Fatal(err)
			}
			got, err := MessagesJSON(res.Reply)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(got, []byte(tt.has)) {
				t.Fatalf("the reply has no %s: %s", tt.has, got)
			}
			if !bytes.Equal(got, body.Messages) {
				t.Fatalf("the preview's JSON differs from the reply LINE receives:\npreview %s\nreply   %s", got, body.Messages)
			}
		})
	}
}
