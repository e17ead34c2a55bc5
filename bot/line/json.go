package line

import (
	"encoding/json"
	"fmt"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// MessagesJSON is the "messages" array of the reply request the webhook
// sends for r, byte for byte: Render's messages encoded by the SDK's own
// request type, which is what fills in each message's "type". The browser
// preview draws exactly this.
func MessagesJSON(r flows.Reply) (json.RawMessage, error) {
	msgs, err := Render(r)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(&messaging_api.ReplyMessageRequest{Messages: msgs})
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	var req struct {
		Messages json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("decode reply: %w", err)
	}
	return req.Messages, nil
}
