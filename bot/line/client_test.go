package line

import (
	"encoding/json"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
)

// TestPushSendsOnlyWhatItSets: a push carries to and messages, and no
// "customAggregationUnits": null (LINE's spec types it as an array).
func TestPushSendsOnlyWhatItSets(t *testing.T) {
	fake := linefake.New()
	defer fake.Close()
	c, err := NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	reply := flows.Reply{
		Messages:     []flows.Message{{Text: "リマインド"}, {Text: "電話", Buttons: []flows.Button{{Kind: flows.ButtonCall, Label: "消費者ホットライン 188", Value: "188"}}}},
		QuickReplies: []flows.QuickReply{{Label: "はい", Data: "s=x&v=1&c=0", DisplayText: "はい"}},
	}
	if err := c.Push("U0123456789abcdef0123456789abcdef", linefake.NewRetryKey(), reply); err != nil {
		t.Fatalf("push: %v (rejections %v)", err, fake.Rejected())
	}
	pushes := fake.Pushes()
	if len(pushes) != 1 {
		t.Fatalf("%d pushes, want 1", len(pushes))
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(pushes[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	for field := range body {
		if field != "to" && field != "messages" {
			t.Errorf("push sends %q: %s", field, body[field])
		}
	}
	if got := pushes[0].Texts(); len(got) != 2 || got[0] != "リマインド" {
		t.Errorf("push texts %q", got)
	}
}
