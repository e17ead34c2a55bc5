package line

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// sdkReplyBody is the body the SDK's ReplyMessageWithHttpInfo sends for r:
// the reference the encoder is held to.
func sdkReplyBody(tb testing.TB, token string, r flows.Reply) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(&messaging_api.ReplyMessageRequest{ReplyToken: token, Messages: mustRender(tb, r)}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sdkPushBody is the SDK's PushMessageRequest without the fields fraudnavi
// never sets ("customAggregationUnits": null, which LINE's OpenAPI types as
// an array), encoded by encoding/json.
func sdkPushBody(tb testing.TB, to string, r flows.Reply) []byte {
	tb.Helper()
	b, err := json.Marshal(struct {
		To       string                           `json:"to"`
		Messages []messaging_api.MessageInterface `json:"messages"`
	}{to, mustRender(tb, r)})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sameJSON reports whether a and b decode to the same value.
func sameJSON(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		tb.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		tb.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(va, vb)
}

// everyReply is the reply of every step of the real flows, reached by a tap
// on an old button (with the engine's note before it) and by a fresh tap at
// two versions (the quick replies' data change, the rest does not), and of
// every command, with and without a quote.
func everyReply(tb testing.TB) map[string]flows.Reply {
	tb.Helper()
	g, err := flows.Load(flows.Content())
	if err != nil {
		tb.Fatal(err)
	}
	eng := flows.NewEngine(g)
	out := map[string]flows.Reply{}
	for id := range g.Steps {
		st := flows.State{Step: id, Version: 3, History: []string{g.Start}}
		out["old tap at "+id] = eng.Next(st, flows.Input{Kind: flows.InputPostback, Data: "s=elsewhere&v=1&c=0"}, nightTime).Reply
		for _, v := range []int64{7, 12345} {
			st := flows.State{Step: g.Start, Version: v}
			res := eng.Next(st, flows.Input{Kind: flows.InputText, Text: "x"}, nightTime)
			st = res.State
			st.Step = id
			res = eng.Next(st, flows.Input{Kind: flows.InputPostback, Data: "s=elsewhere&v=1&c=0"}, nightTime)
			out[fmt.Sprintf("step %s at version %d", id, v)] = res.Reply
			for i, q := range res.Reply.QuickReplies {
				if q.Kind == flows.QuickPostback {
					next := eng.Next(res.State, flows.Input{Kind: flows.InputPostback, Data: q.Data}, nightTime)
					out[fmt.Sprintf("tap %d on %s at version %d", i, id, v)] = next.Reply
				}
			}
		}
	}
	for _, cmd := range []string{"進捗", "相談窓口", "ヘルプ", "リマインド一覧", "データ削除", "4111 1111 1111 1111"} {
		out["command "+cmd] = eng.Next(flows.State{Step: g.Start}, flows.Input{Kind: flows.InputText, Text: cmd}, nightTime).Reply
		out["quoted command "+cmd] = eng.Next(flows.State{Step: g.Start}, flows.Input{Kind: flows.InputText, Text: cmd, QuoteToken: "q-" + cmd}, nightTime).Reply
	}
	return out
}

// TestEncoderIsTheSDKsEncoding: for every reply of the real flows and odd
// replies besides, the bodies the client sends decode to the same JSON as
// the SDK's own encoding of the same messages (and are in fact the same
// bytes), the first time and again from the cache, and the strict fake
// accepts every one.
func TestEncoderIsTheSDKsEncoding(t *testing.T) {
	replies := everyReply(t)
	long := strings.Repeat("あいうえお\n", 1500)
	odd := map[string]flows.Reply{
		"no messages":               {QuickReplies: []flows.QuickReply{{Label: "x", Data: "d"}}},
		"split text, quick replies": {Messages: []flows.Message{{Text: long, QuoteToken: "q"}, {Text: long}}, QuickReplies: []flows.QuickReply{{Label: "はい", Data: "s=x&v=1&c=0", DisplayText: "はい"}}},
		"past five messages":        {Messages: []flows.Message{{Text: "1"}, {Text: "2"}, {Text: "3"}, {Text: "4"}, {Text: "5"}, {Text: "6"}}, QuickReplies: []flows.QuickReply{{Label: "a", Data: "d"}}},
		"escapes everywhere":        {Messages: []flows.Message{{Text: "<a href=\"x\">&\u2028\\\x01\xff"}}, QuickReplies: []flows.QuickReply{{Label: "<&>", Data: "<\"\\\u2028>", DisplayText: "&"}}},
		"data like the placeholder": {Messages: []flows.Message{{Text: "x"}}, QuickReplies: []flows.QuickReply{{Label: dataPlaceholder, Data: dataPlaceholder, DisplayText: dataPlaceholder}}},
		"empty data":                {Messages: []flows.Message{{Text: "x"}}, QuickReplies: []flows.QuickReply{{Label: "a"}, {Kind: flows.QuickTimePicker, Label: "t", Initial: "2026-11-25T09:00"}}},
		"time picker":               {Messages: []flows.Message{{Text: "x", Buttons: []flows.Button{{Kind: flows.ButtonLink, Label: "l", Value: "https://example.com/?a=1&b=2"}}}}, QuickReplies: []flows.QuickReply{{Kind: flows.QuickTimePicker, Label: "t", Data: "s=x&v=2", Initial: "2026-11-25T09:00", Min: "2026-11-25T00:00", Max: "2026-12-25T00:00"}}},
	}
	for name, r := range odd {
		replies["odd: "+name] = r
	}

	fake := linefake.New()
	defer fake.Close()
	c, err := NewClient(fake.Token(), fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for pass := range 2 { // cold, then from the cache
		for name, r := range replies {
			token := fake.IssueReplyToken()
			got, err := c.enc.replyBody(token, r)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want := sdkReplyBody(t, token, r)
			if !sameJSON(t, got, want) {
				t.Fatalf("pass %d, %s: the reply differs from the SDK's encoding:\nsent %s\nsdk  %s", pass, name, got, want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("pass %d, %s: the same JSON, other bytes:\nsent %s\nsdk  %s", pass, name, got, want)
			}
			to := "U0123456789abcdef0123456789abcdef"
			got, err = c.enc.pushBody(to, r)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if want := sdkPushBody(t, to, r); !sameJSON(t, got, want) {
				t.Fatalf("pass %d, %s: the push differs from the SDK's encoding:\nsent %s\nsdk  %s", pass, name, got, want)
			}
			if len(r.Messages) == 0 || strings.Contains(name, "escapes") || strings.Contains(name, "placeholder") || strings.Contains(name, "empty data") {
				continue // not for LINE: no message, control characters, data LINE requires
			}
			if err := c.Reply(token, r); err != nil {
				t.Errorf("pass %d, %s: the strict fake rejects the reply: %v", pass, name, err)
			}
		}
	}
	if r := fake.Rejected(); len(r) > 0 {
		t.Fatalf("rejections: %v", r)
	}
	if len(c.enc.messages) == 0 || len(c.enc.items) == 0 {
		t.Fatalf("nothing cached: %d messages, %d quick-reply items", len(c.enc.messages), len(c.enc.items))
	}
}

// TestEncoderCacheIsBounded: messages made on the fly cannot make the cache
// grow without end.
func TestEncoderCacheIsBounded(t *testing.T) {
	var e encoder
	text := strings.Repeat("x", 1000)
	for i := range 2 * maxCacheBytes / len(text) {
		if _, err := e.replyBody("t", flows.Reply{Messages: []flows.Message{{Text: fmt.Sprint(i, text)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if e.size > maxCacheBytes {
		t.Fatalf("the cache holds %d bytes, over %d", e.size, maxCacheBytes)
	}
}
