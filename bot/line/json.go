package line

import (
	"encoding/json"
	"fmt"

	"github.com/fraudnavi/fraudnavi/flows"
)

// MessagesJSON is the "messages" array of the reply request the webhook
// sends for r, byte for byte: the SDK's encoding of Render's messages, put
// together as Client.Reply does. The browser preview draws exactly this.
func MessagesJSON(r flows.Reply) (json.RawMessage, error) {
	var e encoder
	b, err := e.appendMessages(nil, r)
	if err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	return b, nil
}
