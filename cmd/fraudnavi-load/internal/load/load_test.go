package load

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/fraudnavi/fraudnavi/flows/flowstest"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/bot/line"
	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// inProcess starts fraudnavi's webhook in this process, wired as serve
// wires it, on rdb.
func inProcess(t *testing.T, rdb redis.UniversalClient) Starter {
	return func(ctx context.Context, fakeURL string) (*Target, error) {
		g, err := flows.Load(flows.Content())
		if err != nil {
			return nil, err
		}
		log := slog.New(slog.NewJSONHandler(io.Discard, nil))
		lc, err := line.NewClient(DefaultToken, fakeURL, nil)
		if err != nil {
			return nil, err
		}
		m := bot.NewMetrics()
		proc := &bot.Processor{Users: storagetest.UserKeys(), Engine: flows.NewEngine(g), Store: storage.NewStateStore(rdb, clock, storage.WithUserKeys(storagetest.UserKeys())), LINE: lc, Log: log, Metrics: m, Clock: clock}
		wh := &bot.Webhook{Secret: DefaultSecret, Processor: proc, Log: log, Metrics: m}
		srv := bot.NewServer("127.0.0.1:0", wh, func(ctx context.Context) error { return rdb.Ping(ctx).Err() }, m, log)
		if err := srv.Start(context.Background()); err != nil {
			return nil, err
		}
		return &Target{
			Name: "fraudnavi",
			URL:  "http://" + srv.Addr() + bot.PathCallback,
			Stop: func() error { return srv.Shutdown(context.Background()) },
			Logs: func() string { return "" },
		}, nil
	}
}

// inProcessFloor serves handler (the floor, maybe wrapped) on loopback.
func inProcessFloor(t *testing.T, wrap func(http.Handler) http.Handler) Starter {
	return func(ctx context.Context, fakeURL string) (*Target, error) {
		api, err := NewFloorAPI(DefaultToken, fakeURL)
		if err != nil {
			return nil, err
		}
		h := FloorHandler(DefaultSecret, api)
		if wrap != nil {
			h = wrap(h)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		return &Target{
			Name: "floor",
			URL:  "http://" + ln.Addr().String() + "/callback",
			CPU:  func() (float64, error) { return procCPU(os.Getpid()) },
			Stop: func() error { return srv.Close() },
			Logs: func() string { return "" },
		}, nil
	}
}

// redisFor is the Redis the in-process fraudnavi uses: the real one of
// FRAUDNAVI_TEST_REDIS_URL if set (not flushed: users are fresh), else the
// embedded one. Its URL is returned for the stats when it is real.
func redisFor(t *testing.T) (redis.UniversalClient, string) {
	bs := storagetest.Backends(t)
	for _, b := range bs {
		if b.Name == "redis" {
			return b.Client, os.Getenv(storagetest.EnvRedisURL)
		}
	}
	return bs[0].Client, "none"
}

// TestRunFraudnavi loads an in-process fraudnavi with 200 events and checks
// that every event got exactly one reply and the report is well-formed.
func TestRunFraudnavi(t *testing.T) {
	rdb, url := redisFor(t)
	opts := Options{
		Concurrency:   4,
		Events:        200,
		Duration:      time.Minute,
		Users:         20,
		EventsPerBody: 2,
		TextRatio:     0.2,
		Seed:          42,
		RedisURL:      url,
	}
	var progress bytes.Buffer
	r, err := Run(context.Background(), opts, "", inProcess(t, rdb), &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if r.Events != 200 || r.Bodies != 100 {
		t.Errorf("%d events in %d bodies, want 200 in 100", r.Events, r.Bodies)
	}
	if r.Non2xx != 0 || r.Status["200"] != 100 {
		t.Errorf("answers %v, want 100 × 200", r.Status)
	}
	rc := r.Replies
	if rc.Expected != 200 || rc.Replied != 200 || rc.Missing != 0 || rc.Duplicated != 0 || len(rc.Rejected) != 0 || rc.Unexpected != 0 {
		t.Errorf("replies %+v, want every one of 200 events answered exactly once", rc)
	}
	// The users walked: they followed, tapped what they were offered, typed.
	if k := r.EventTypes; k["follow"] != 20 || k["postback"] == 0 || k["message"] == 0 {
		t.Errorf("event types %v: want 20 follows, some taps and some text", k)
	}
	checkWellFormed(t, r)
	if strings.Contains(strings.Join(r.Notes, "\n"), "refused") {
		t.Errorf("notes: %v", r.Notes)
	}
}

// TestRunRedeliversLikeLINE answers 503 to the first delivery of every
// third body: the generator resends it with the same ids, marked as a
// redelivery, and each event still gets exactly one reply.
func TestRunRedeliversLikeLINE(t *testing.T) {
	var n, redelivered atomic.Int64
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"isRedelivery":true`)) {
				redelivered.Add(1)
			} else if n.Add(1)%3 == 0 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	opts := Options{Rate: 400, Events: 90, Duration: 10 * time.Second, Users: 30, Redeliver: 2, RedeliverWait: 5 * time.Millisecond, RedisURL: "none"}
	r, err := Run(context.Background(), opts, "", inProcessFloor(t, wrap), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status["503"] != 30 || r.Non2xx != 30 {
		t.Errorf("first answers %v, want 30 × 503", r.Status)
	}
	if r.Redeliveries["200"] != 30 || redelivered.Load() != 30 || r.BodiesFailed != 0 {
		t.Errorf("redeliveries %v (server saw %d), %d failed; want 30 redelivered with 200", r.Redeliveries, redelivered.Load(), r.BodiesFailed)
	}
	if rc := r.Replies; rc.Replied != 90 || rc.Missing != 0 || rc.Duplicated != 0 {
		t.Errorf("replies %+v", rc)
	}
	if r.Mode != "open" || r.Rate != 400 {
		t.Errorf("mode %q rate %g", r.Mode, r.Rate)
	}
	checkWellFormed(t, r)
}

// TestCompare loads fraudnavi and the floor the same way and reports the
// ratio of their throughputs.
func TestCompare(t *testing.T) {
	rdb, _ := redisFor(t)
	opts := Options{Concurrency: 4, Events: 40, Duration: time.Minute, Users: 10, RedisURL: "none", Prime: true}
	c, err := Compare(context.Background(), opts, "", inProcess(t, rdb), inProcessFloor(t, nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Fraudnavi.Target != "fraudnavi" || c.Floor.Target != "floor" || c.Ratio <= 0 {
		t.Fatalf("comparison %s vs %s, ratio %g", c.Fraudnavi.Target, c.Floor.Target, c.Ratio)
	}
	for _, r := range []*Report{c.Fraudnavi, c.Floor} {
		// 10 follows while priming, then the 40 measured events.
		if r.Replies.Replied != 50 || r.Non2xx != 0 || r.Events != 40 {
			t.Errorf("%s: %d events, %+v, status %v", r.Target, r.Events, r.Replies, r.Status)
		}
		if r.EventTypes["follow"] != 0 {
			t.Errorf("%s: %d follows measured after priming", r.Target, r.EventTypes["follow"])
		}
	}
	var txt bytes.Buffer
	WriteComparisonText(&txt, c)
	if !strings.Contains(txt.String(), "of the floor") || !strings.Contains(txt.String(), "≥ 80% of the floor") {
		t.Errorf("comparison text:\n%s", txt.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, c); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Ratio != c.Ratio {
		t.Errorf("JSON does not round-trip: %v\n%s", err, js.String())
	}
}

func checkWellFormed(t *testing.T, r *Report) {
	t.Helper()
	l := r.Latency
	if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency %+v is not ordered", l)
	}
	if r.EventsPerSecond <= 0 || r.Seconds <= 0 {
		t.Errorf("throughput %g events/s over %g s", r.EventsPerSecond, r.Seconds)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	for _, k := range []string{"events_per_second", "latency_ms", "status", "non_2xx", "replies", "cpu_seconds_per_1000_events"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report JSON has no %q:\n%s", k, js.String())
		}
	}
	var txt bytes.Buffer
	WriteText(&txt, r)
	for _, want := range []string{"throughput", "latency", "p99", "replies", "exactly one", "cpu s/1000 ev"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, txt.String())
		}
	}
}

func TestParseProcStat(t *testing.T) {
	// Field 14 (utime) and 15 (stime) in clock ticks; the name may hold spaces.
	stat := "1234 (fraud navi) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0"
	got, err := parseProcStat(stat)
	if err != nil || got != 3.0 {
		t.Fatalf("parseProcStat = %v, %v; want 3 s", got, err)
	}
}

func TestMonitorCount(t *testing.T) {
	m := &monitor{db: "13", client: map[string]int64{}, script: map[string]int64{}}
	for _, line := range []string{
		`+1732456789.123456 [13 127.0.0.1:53210] "evalsha" "abc" "2" "k1" "k2"` + "\r\n",
		`+1732456789.123470 [13 lua] "HGET" "k1" "version"` + "\r\n",
		`+1732456789.123480 [13 127.0.0.1:53210] "select" "13"` + "\r\n",
		`+1732456789.123490 [15 127.0.0.1:53999] "evalsha" "def"` + "\r\n", // another database
	} {
		m.count(line)
	}
	if m.client["evalsha"] != 1 || m.script["hget"] != 1 || m.setup != 1 || len(m.client) != 1 {
		t.Fatalf("client %v script %v setup %d", m.client, m.script, m.setup)
	}
}

func TestOptionsValidate(t *testing.T) {
	o := Options{EventsPerBody: 5, Users: 2, TextRatio: 2, Redeliver: -1}
	o.Defaults()
	err := o.Validate()
	for _, want := range []string{"--events-per-body", "--text-ratio", "--redeliver"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
	if o.Duration <= 0 || o.Duration > maxDuration {
		t.Errorf("Defaults left the duration unbounded: %v", o.Duration)
	}
}

// clock is the time the bot runs at in these tests: a Tuesday night in Tokyo.
var clock = flowstest.NewClock(flowstest.JST(2026, 11, 24, 23, 30)).Clock()
