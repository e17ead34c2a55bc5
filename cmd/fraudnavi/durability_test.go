package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot"
	"github.com/fraudnavi/fraudnavi/storage"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestCheckRedisDurability(t *testing.T) {
	tests := []struct {
		name          string
		policy, aof   string
		allowEviction bool
		wantErr       bool
		wantWarn      string
		wantMetrics   []string
	}{
		{name: "noeviction with AOF starts quietly", policy: "noeviction", aof: "yes",
			wantMetrics: []string{`fraudnavi_redis_eviction_policy{evicting="false",policy="noeviction"} 1`, `fraudnavi_redis_persistence{kind="aof"} 1`}},
		{name: "allkeys-lru is refused", policy: "allkeys-lru", aof: "yes", wantErr: true},
		{name: "volatile-lru is refused", policy: "volatile-lru", aof: "yes", wantErr: true},
		{name: "allkeys-lru with the override starts, warning", policy: "allkeys-lru", aof: "yes", allowEviction: true,
			wantWarn:    "REDIS MAY EVICT KEYS",
			wantMetrics: []string{`fraudnavi_redis_eviction_policy{evicting="true",policy="allkeys-lru"} 1`}},
		{name: "no persistence starts, warning", policy: "noeviction", aof: "no",
			wantWarn:    "REDIS HAS NO PERSISTENCE",
			wantMetrics: []string{`fraudnavi_redis_persistence{kind="aof"} 0`, `fraudnavi_redis_persistence{kind="rdb"} 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := storagetest.Configured(t, map[string]string{"maxmemory-policy": tt.policy, "appendonly": tt.aof, "save": ""}, "")
			var logs bytes.Buffer
			m := bot.NewMetrics()
			err := checkRedisDurability(context.Background(), r.Client, tt.allowEviction, slog.New(slog.NewTextHandler(&logs, nil)), m)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !strings.Contains(err.Error(), tt.policy) || !strings.Contains(err.Error(), "FRAUDNAVI_ALLOW_EVICTION") {
					t.Errorf("err = %q, want it to name the policy and the override", err)
				}
				return
			}
			if tt.wantWarn != "" && !strings.Contains(logs.String(), tt.wantWarn) {
				t.Errorf("logs = %q, want a warning %q", logs.String(), tt.wantWarn)
			}
			if tt.wantWarn == "" && strings.Contains(logs.String(), "WARN") {
				t.Errorf("logs = %q, want no warning", logs.String())
			}
			body := scrape(t, m)
			for _, want := range tt.wantMetrics {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

func scrape(t *testing.T, m *bot.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// TestReadyzFailsWhileRedisIsOutOfMemory: under noeviction a full Redis
// answers PING but refuses every write, so the pod must leave the load
// balancer rather than answer LINE with 503s while it says ready.
func TestReadyzFailsWhileRedisIsOutOfMemory(t *testing.T) {
	r := storagetest.Configured(t, map[string]string{}, "")
	ready := func(ctx context.Context) error { return storage.ProbeWritable(ctx, r.Client) }
	srv := bot.NewServer("127.0.0.1:0", http.NotFoundHandler(), ready, nil, slog.New(slog.DiscardHandler))
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	readyz := func() int {
		res, err := http.Get("http://" + srv.Addr() + bot.PathReadyz)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, step := range []struct {
		oom  bool
		want int
	}{{false, http.StatusOK}, {true, http.StatusServiceUnavailable}, {false, http.StatusOK}} {
		r.OOM.Store(step.oom)
		if got := readyz(); got != step.want {
			t.Errorf("OOM %v: /readyz = %d, want %d", step.oom, got, step.want)
		}
	}
}
