package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
	"github.com/redis/go-redis/v9"
)

// FuzzWebhook posts correctly signed random bodies through the real echo
// handler, on the real flows, an embedded Redis and the strict fake of the
// LINE API. Whatever arrives, the bot must
//
//   - answer 200, 400 or 413 (never 5xx: Redis is up), and never panic;
//   - leave every stored user whole: a state hash with a version, a state
//     that decodes, names an existing step and carries the same version, no
//     outbox left behind after a 200 but a performed reply, as many remembered event ids as
//     applied events, and nothing at all after a 400 or 413;
//   - store nothing about a user the body does not name;
//   - send LINE nothing it would refuse (a reused reply token aside: random
//     bodies repeat them).
//
// Each input starts from an empty Redis, so a crasher replays alone.
func FuzzWebhook(f *testing.F) {
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		if err := fb.rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		fb.fake.Reset()
		fb.logs.Reset()

		req := httptest.NewRequest(http.MethodPost, PathCallback, bytes.NewReader(body))
		req.Header.Set("x-line-signature", linefake.Sign(testSecret, body))
		rec := httptest.NewRecorder()
		fb.handler.ServeHTTP(rec, req)

		code := rec.Code
		switch code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for a signed body; logs:\n%s", code, fb.logs.String())
		}
		named := userKeysNamedIn(body)
		for _, k := range storagetest.ScanKeys(t, fb.rdb, "*") {
			if code != http.StatusOK {
				t.Fatalf("a request answered %d stored %s", code, k)
			}
			checkStoredUser(t, fb.rdb, fb.eng, k, named)
		}
		for _, r := range fb.fake.Rejections() {
			if r.Message != "Invalid reply token" {
				t.Fatalf("LINE would refuse what the bot sent: %s", r.Reason())
			}
		}
	})
}

// fuzzBot is the bot a fuzz worker posts to, built once per process.
type fuzzBot struct {
	fake    *linefake.Server
	rdb     redis.UniversalClient
	eng     *flows.Engine
	handler http.Handler
	logs    *storagetest.LogBuffer
}

func newFuzzBot(f *testing.F) *fuzzBot {
	f.Helper()
	emb := storagetest.Embedded(f)
	fb := &fuzzBot{fake: linefake.New(linefake.DiscardRecords()), rdb: emb.Client(), eng: loadFlows(f, ""), logs: &storagetest.LogBuffer{}}
	f.Cleanup(fb.fake.Close)
	lc, err := line.NewClient(fb.fake.Token(), fb.fake.URL(), nil)
	if err != nil {
		f.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(fb.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	proc := &Processor{Users: storagetest.UserKeys(), Engine: fb.eng, Store: storage.NewStateStore(fb.rdb, flows.FixedClock(night), storage.WithUserKeys(storagetest.UserKeys())), LINE: lc, Log: log, Clock: flows.FixedClock(night)}
	wh := &Webhook{Secret: testSecret, Processor: proc, Log: log}
	fb.handler = NewServer("127.0.0.1:0", wh, nil, nil, log).Handler()
	return fb
}

// userKeysNamedIn finds every "userId" string in a body, however nested,
// as the key it would be stored under.
func userKeysNamedIn(body []byte) map[string]bool {
	named := map[string]bool{}
	// A token stream, not a decoded map: a map keeps only the last of two
	// equal keys, while the SDK's decoders may read an earlier one (a second
	// "source" object merges into the first). Every string under a key that
	// spells userId, at any depth and in any copy, names a user.
	dec := json.NewDecoder(bytes.NewReader(body))
	var value func(key string) bool
	value = func(key string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok := tok.(type) {
		case string:
			// encoding/json, which the SDK decodes with, matches keys
			// case-insensitively: "uSerId" names a user too.
			if strings.EqualFold(key, "userId") {
				named[storagetest.UserKeys().Key(tok)] = true
			}
		case json.Delim:
			switch tok {
			case '{':
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return false
					}
					ks, _ := k.(string)
					if !value(ks) {
						return false
					}
				}
				_, err = dec.Token()
				return err == nil
			case '[':
				for dec.More() {
					if !value(key) {
						return false
					}
				}
				_, err = dec.Token()
				return err == nil
			}
		}
		return true
	}
	value("")
	return named
}

// checkStoredUser asserts that one stored key is part of a whole user: see
// FuzzWebhook.
func checkStoredUser(t *testing.T, rdb redis.UniversalClient, eng *flows.Engine, key string, named map[string]bool) {
	t.Helper()
	ctx := context.Background()
	user, kind, ok := strings.Cut(strings.TrimPrefix(key, "fraudnavi:{u:"), "}:")
	if !ok || !strings.HasPrefix(key, "fraudnavi:{u:") {
		t.Fatalf("unexpected key %q", key)
	}
	if !named[user] {
		t.Fatalf("stored %s about a user the body does not name", key)
	}
	stateKey, seenKey := "fraudnavi:{u:"+user+"}:state", "fraudnavi:{u:"+user+"}:seen"
	switch kind {
	case "state", "seen":
	default:
		t.Fatalf("unexpected key %q", key)
	}
	h, err := rdb.HGetAll(ctx, stateKey).Result()
	if err != nil {
		t.Fatalf("%s: %v", stateKey, err)
	}
	for f := range h {
		switch f {
		case "state", "version", "gen":
		case "outbox", "outbox_event":
			// A performed reply stays until the user's next apply replaces
			// it; nothing else may wait after a 200.
			var ob map[string]json.RawMessage
			if err := json.Unmarshal([]byte(h["outbox"]), &ob); err != nil || h["outbox_event"] == "" {
				t.Fatalf("%s: outbox %q of event %q left after the webhook was answered", stateKey, h["outbox"], h["outbox_event"])
			}
			for k := range ob {
				if k != "t" && k != "r" && k != "a" {
					t.Fatalf("%s keeps an outbox with %q after the webhook was answered: only a performed reply may stay", stateKey, k)
				}
			}
		default:
			t.Fatalf("%s keeps field %q after the webhook was answered", stateKey, f)
		}
	}
	version, err := strconv.ParseInt(h["version"], 10, 64)
	if err != nil || version < 1 {
		t.Fatalf("%s: version %q", stateKey, h["version"])
	}
	var st flows.State
	if err := json.Unmarshal([]byte(h["state"]), &st); err != nil {
		t.Fatalf("%s: state does not decode: %v", stateKey, err)
	}
	if st.Version != version {
		t.Fatalf("%s: state says version %d, the hash %d", stateKey, st.Version, version)
	}
	if eng.Graph().Steps[st.Step] == nil {
		t.Fatalf("%s: step %q does not exist", stateKey, st.Step)
	}
	seen, err := rdb.ZCard(ctx, seenKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	if want := min(version, storage.DefaultSeenMax); seen != want {
		t.Fatalf("%s: %d applied events remembered, version %d", seenKey, seen, version)
	}
}

// TestWriteWebhookSeeds rewrites testdata/fuzz/FuzzWebhook: bodies as LINE
// sends them, built with the linefake builders and, for the event and
// message types the bot ignores, from the schemas of webhook.yml. It runs
// only when asked:
//
//	FRAUDNAVI_WRITE_CORPUS=1 go test ./bot -run TestWriteWebhookSeeds
func TestWriteWebhookSeeds(t *testing.T) {
	if os.Getenv("FRAUDNAVI_WRITE_CORPUS") == "" {
		t.Skip("set FRAUDNAVI_WRITE_CORPUS=1 to rewrite testdata/fuzz")
	}
	eng := loadFlows(t, "")
	const user = "U4af4980629ce4d1d7a5b2b6a6f0b1c2d"
	at := linefake.At(night)
	seeds := map[string][]byte{
		"connectivity": []byte(`{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}`),
		"follow":       linefake.Body("", linefake.FollowEvent(user, at)),
		"unfollow":     linefake.Body("", linefake.UnfollowEvent(user, at)),
		"sticker":      linefake.Body("", linefake.StickerEvent(user, at)),
		"group":        linefake.Body("", linefake.GroupTextEvent("Ca56f94637c0d1e9c7f4ab7a9f0b1c2d3", user, "助けて", at)),
		"standby":      linefake.Body("", linefake.TextEvent(user, "カード止めたい", at, linefake.Standby())),
		"unknown":      linefake.Body("", linefake.UnknownEvent("somethingNew", at)),
		"redelivered":  linefake.Body("", linefake.TextEvent(user, "ログインできない", at).Redelivered()),
		"card":         linefake.Body("", linefake.TextEvent(user, "4111 1111 1111 1111", at)),
		"otp":          linefake.Body("", linefake.TextEvent(user, "確認コードは123456です", at)),
		"long":         linefake.Body("", linefake.TextEvent(user, strings.Repeat("助けて", 1600), at)),
		"control":      linefake.Body("", linefake.TextEvent(user, "\x00\x1b[31m\u202e助けて🙏\u200d👨‍👩‍👧", at)),
		"forged":       linefake.Body("", linefake.PostbackEvent(user, "s=amazon_card_words&v=99999999999999999999&c=0", nil, at)),
		"delete":       linefake.Body("", linefake.TextEvent(user, "データ削除", at), linefake.PostbackEvent(user, "g=delete_yes", nil, at)),
		"picker":       linefake.Body("", linefake.PostbackEvent(user, "s=menu&v=1&r=p", map[string]string{"datetime": "2026-11-25T09:00"}, at)),
		"picker-past":  linefake.Body("", linefake.PostbackEvent(user, "s=menu&v=1&r=p", map[string]string{"datetime": "1970-01-01T00:00"}, at)),
	}
	// A walk through the real flows in one body: follow, then the first
	// choices, with the postback data the bot itself renders.
	r := eng.Next(flows.State{}, flows.Input{Kind: flows.InputFollow}, night)
	walk := []linefake.Event{linefake.FollowEvent(user, at)}
	for i := 0; i < 6 && len(r.Reply.QuickReplies) > 0; i++ {
		q := r.Reply.QuickReplies[0]
		var params map[string]string
		in := flows.Input{Kind: flows.InputPostback, Data: q.Data}
		if q.Kind == flows.QuickTimePicker {
			params = map[string]string{"datetime": q.Initial}
			in.Time, _ = time.ParseInLocation("2006-01-02T15:04", q.Initial, flows.Tokyo)
		}
		walk = append(walk, linefake.PostbackEvent(user, q.Data, params, at))
		r = eng.Next(r.State, in, night)
	}
	seeds["walk"] = linefake.Body("", walk...)
	var mixed []linefake.Event
	for i := range 12 {
		u := fmt.Sprintf("U%032x", i%4)
		mixed = append(mixed, linefake.TextEvent(u, []string{"カード止めたい", "メニュー", "戻る", "進捗"}[i%4], at))
	}
	seeds["mixed"] = linefake.Body("", mixed...)

	// Types the bot does not handle, shaped after webhook.yml.
	const head = `{"destination":"U00000000000000000000000000000000","events":[{`
	const tail = `,"webhookEventId":"01JD0000000000000000000000","deliveryContext":{"isRedelivery":false},"timestamp":1795000000000,"source":{"type":"user","userId":"` + user + `"},"replyToken":"b60d432864f44d079f6d8efe86cf404b","mode":"active"}]}`
	for name, ev := range map[string]string{
		"image":      `"type":"message","message":{"type":"image","id":"354718705033693859","quoteToken":"q3Plxr4AgKd","contentProvider":{"type":"line"},"imageSet":{"id":"E005D41A7288F41B65593ED38FF6E9834B046AB36A37921A56BC236F13A91855","index":1,"total":2}}`,
		"location":   `"type":"message","message":{"type":"location","id":"325708","title":"my location","address":"東京都渋谷区","latitude":35.65910807942215,"longitude":139.70372892916203}`,
		"textemoji":  `"type":"message","message":{"type":"text","id":"325708","quoteToken":"q3Plxr4AgKd","text":"@example Hello, world! (love)","emojis":[{"index":29,"length":6,"productId":"5ac1bfd5040ab15980c9b435","emojiId":"001"}],"mention":{"mentionees":[{"index":0,"length":8,"type":"user","userId":"U850014438e..."}]}}`,
		"unsend":     `"type":"unsend","unsend":{"messageId":"325708"}`,
		"join":       `"type":"join"`,
		"leave":      `"type":"leave"`,
		"videoplay":  `"type":"videoPlayComplete","videoPlayComplete":{"trackingId":"track-id"}`,
		"beacon":     `"type":"beacon","beacon":{"hwid":"d41d8cd98f","type":"enter"}`,
		"account":    `"type":"accountLink","link":{"result":"ok","nonce":"xxxxxxxxxxxxxxx"}`,
		"membership": `"type":"membership","membership":{"type":"joined","membershipId":3189}`,
		"mystery":    `"type":"message","message":{"type":"hologram","id":"1"}`,
	} {
		seeds[name] = []byte(head + ev + tail)
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzWebhook")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range seeds {
		if !json.Valid(body) {
			t.Fatalf("seed %s is not JSON", name)
		}
		data := "go test fuzz v1\n[]byte(" + strconv.Quote(string(body)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
