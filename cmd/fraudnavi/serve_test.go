package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// TestServeAnswersLINEAndShutsDownGracefully runs `fraudnavi serve` as an
// operator would (environment only, no REDIS_URL), sends it a signed
// webhook over HTTP, and stops it like SIGTERM does.
func TestServeAnswersLINEAndShutsDownGracefully(t *testing.T) {
	fake := linefake.New()
	defer fake.Close()
	const secret = "test-channel-secret"
	env := map[string]string{
		"LINE_CHANNEL_SECRET":       secret,
		"LINE_CHANNEL_ACCESS_TOKEN": fake.Token(),
		"LINE_API_ENDPOINT":         fake.URL(),
		"ADDR":                      "127.0.0.1:0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr storagetest.LogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, testClock, strings.NewReader(""), &stdout, &stderr)
	}()
	addrRe := regexp.MustCompile(`listening on (\S+)`)
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if m := addrRe.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "nothing survives a restart") {
		t.Errorf("no warning about the in-process Redis:\n%s", stderr.String())
	}

	ev := linefake.FollowEvent("Userve0001", linefake.ReplyTokenFrom(fake))
	body := linefake.Body("Ubot", ev)
	req, err := linefake.NewClientRequest(ctx, "http://"+addr+"/callback", secret, body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("webhook status %d", res.StatusCode)
	}
	if rs := fake.RepliesFor(ev.ReplyToken); len(rs) != 1 {
		t.Fatalf("%d replies to the follow event, want 1", len(rs))
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		if path == "/metrics" && !strings.Contains(string(b), `fraudnavi_line_api_calls_total{endpoint="reply",status="200"} 1`) {
			t.Fatalf("metrics do not count the reply:\n%s", b)
		}
	}
	if strings.Contains(stderr.String(), "Userve0001") || strings.Contains(stderr.String(), secret) {
		t.Fatalf("the log holds a raw user id or the secret:\n%s", stderr.String())
	}

	cancel() // what SIGTERM does through signal.NotifyContext
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v on shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
