package bot

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// Large bodies are read MaxReadingLarge at a time: posts that hold every
// slot (bodies of unknown length that never end, as a slow or hostile
// client sends them) make the next large post wait, then get 503 with
// Retry-After rather than more memory, while LINE's small bodies have slots
// of their own and are answered; once the slots free up, large ones too.
func TestBodiesReadAtOnceAreBounded(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		wh := &Webhook{Secret: testSecret, Processor: h.proc, Log: h.proc.Log, Metrics: h.proc.Metrics}
		var (
			wg      sync.WaitGroup
			writers []*io.PipeWriter
		)
		for range MaxReadingLarge {
			pr, pw := io.Pipe()
			writers = append(writers, pw)
			req := httptest.NewRequest(http.MethodPost, PathCallback, pr)
			req.Header.Set("x-line-signature", "bogus")
			wg.Add(1)
			go func() { defer wg.Done(); wh.ServeHTTP(httptest.NewRecorder(), req) }()
		}
		for wh.readingNow() < MaxReadingLarge {
			time.Sleep(time.Millisecond)
		}
		post := func(body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, PathCallback, bytes.NewReader(body))
			req.Header.Set("x-line-signature", linefake.Sign(testSecret, body))
			rec := httptest.NewRecorder()
			wh.ServeHTTP(rec, req)
			return rec
		}
		large := append(h.body(h.follow(storagetest.UserID())), bytes.Repeat([]byte(" "), SmallBody)...)
		if rec := post(large); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("a large body with every large slot held: status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
		}
		if rec := post(h.body(h.follow(storagetest.UserID()))); rec.Code != http.StatusOK {
			t.Fatalf("LINE's small body with every large slot held: status %d, want 200", rec.Code)
		}
		for _, pw := range writers {
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
		wg.Wait()
		if rec := post(large); rec.Code != http.StatusOK {
			t.Fatalf("a large body after the slots freed up: status %d, want 200", rec.Code)
		}
		if m := scrape(t, h); !strings.Contains(m, `fraudnavi_events_total{result="busy_reading",type="request"} 1`) {
			t.Errorf("the 503 is not counted:\n%s", grepLines(m, "request"))
		}
	})
}

// A flood of forged posts is counted one by one but logged once a period.
func TestBadSignatureFloodLogsOnce(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
		h := newHarness(t, b, loadFlows(t, miniFlows))
		for range 100 {
			if code := h.postSigned([]byte(`{"destination":"U1","events":[]}`), "bogus"); code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", code)
			}
		}
		if n := strings.Count(h.logs.String(), "bad or missing signature"); n != 1 {
			t.Errorf("%d log lines for 100 bad signatures, want 1", n)
		}
		if m := scrape(t, h); !strings.Contains(m, `fraudnavi_events_total{result="bad_signature",type="request"} 100`) {
			t.Errorf("not every bad signature counted:\n%s", grepLines(m, "bad_signature"))
		}
	})
}
