package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// BenchmarkWebhook measures the whole webhook: a signed one-event body
// through the echo handler, the engine, the Redis state (embedded, plus a
// real server when FRAUDNAVI_TEST_REDIS_URL is set) and the reply to the
// strict fake LINE API on httptest. Each event is a user tapping one of the
// quick replies the bot sent them last. p50-ns and p99-ns are the latencies
// of ServeHTTP alone; building and signing the body is not timed.
//
//	FRAUDNAVI_TEST_REDIS_URL=redis://127.0.0.1:6379/15 go test -run '^$' -bench Webhook -benchmem ./bot/
func BenchmarkWebhook(b *testing.B) {
	eng := loadFlows(b, "")
	for _, be := range storagetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			fake := newTapRecorder()
			srv := httptest.NewServer(fake)
			defer srv.Close()
			lc, err := line.NewClient(fake.fake.Token(), srv.URL, nil)
			if err != nil {
				b.Fatal(err)
			}
			log := slog.New(slog.NewJSONHandler(io.Discard, nil))
			proc := &Processor{Users: storagetest.UserKeys(),
				Engine: eng, Store: storage.NewStateStore(be.Client, flows.FixedClock(night), storage.WithUserKeys(storagetest.UserKeys())), LINE: lc, Log: log,
				Metrics: NewMetrics(), Clock: flows.FixedClock(night),
			}
			wh := &Webhook{Secret: testSecret, Processor: proc, Log: log, Metrics: proc.Metrics}
			h := NewServer("127.0.0.1:0", wh, nil, proc.Metrics, log).Handler()

			// A few users who have followed, each tapping their last offer.
			users := make([]benchUser, 64)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range users {
				users[i].id = storagetest.UserID()
				ev := linefake.FollowEvent(users[i].id, linefake.ReplyTokenFrom(fake.fake))
				if code := serve(h, linefake.Body("Ubot", ev)); code != http.StatusOK {
					b.Fatalf("follow: status %d", code)
				}
				users[i].offered = fake.take(ev.ReplyToken)
			}

			lat := make([]time.Duration, 0, 1<<16)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				u := &users[i%len(users)]
				i++
				data := u.offered[rng.IntN(len(u.offered))]
				ev := linefake.PostbackEvent(u.id, data, nil, linefake.ReplyTokenFrom(fake.fake))
				body := linefake.Body("Ubot", ev)
				req := httptest.NewRequest(http.MethodPost, PathCallback, bytes.NewReader(body))
				req.Header.Set("x-line-signature", linefake.Sign(testSecret, body))
				rec := httptest.NewRecorder()
				b.StartTimer()

				start := time.Now()
				h.ServeHTTP(rec, req)
				lat = append(lat, time.Since(start))

				b.StopTimer()
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				if offered := fake.take(ev.ReplyToken); len(offered) > 0 {
					u.offered = offered
				}
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Nanoseconds()), "p99-ns")
			if r := fake.fake.Rejected(); len(r) > 0 {
				b.Fatalf("the fake LINE API rejected replies: %v", r)
			}
		})
	}
}

type benchUser struct {
	id      string
	offered []string // postback data of the last reply's quick replies
}

func serve(h http.Handler, body []byte) int {
	req := httptest.NewRequest(http.MethodPost, PathCallback, bytes.NewReader(body))
	req.Header.Set("x-line-signature", linefake.Sign(testSecret, body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// tapRecorder is the strict fake LINE API keeping, per reply token, only
// the postback data of the reply's quick replies (the fake itself records
// nothing, so a long benchmark does not grow).
type tapRecorder struct {
	fake *linefake.Server
	mu   sync.Mutex
	taps map[string][]string
}

func newTapRecorder() *tapRecorder {
	return &tapRecorder{
		fake: linefake.NewHandler(linefake.StrictTokens(), linefake.DiscardRecords()),
		taps: map[string][]string{},
	}
}

func (t *tapRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.fake.ServeHTTP(w, r)
	var req struct {
		ReplyToken string `json:"replyToken"`
		Messages   []struct {
			QuickReply *struct {
				Items []struct {
					Action struct {
						Type string `json:"type"`
						Data string `json:"data"`
					} `json:"action"`
				} `json:"items"`
			} `json:"quickReply"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Messages) == 0 {
		return
	}
	var data []string
	if qr := req.Messages[len(req.Messages)-1].QuickReply; qr != nil {
		for _, it := range qr.Items {
			if it.Action.Type == "postback" {
				data = append(data, it.Action.Data)
			}
		}
	}
	t.mu.Lock()
	t.taps[req.ReplyToken] = data
	t.mu.Unlock()
}

func (t *tapRecorder) take(token string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.taps[token]
	delete(t.taps, token)
	return d
}
