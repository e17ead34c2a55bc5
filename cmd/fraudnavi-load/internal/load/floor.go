package load

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"
)

// FloorCommand is the hidden subcommand that runs the floor; FloorBanner
// starts the line it prints when it listens.
const (
	FloorCommand = "floor-server"
	FloorBanner  = "floor listening on "
)

// floorText is the one text the floor replies with.
const floorText = "受け付けました。"

// FloorHandler is the least a LINE bot can do: verify the signature and
// parse (webhook.ParseRequest), reply one text to each event with a reply
// token through the SDK, answer 200. No state, no Redis.
func FloorHandler(secret string, api *messaging_api.MessagingApiAPI) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callback", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		cb, err := webhook.ParseRequest(secret, r)
		if err != nil {
			// A bad signature or a malformed body: 400, nothing processed.
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		for _, ev := range cb.Events {
			tok := replyToken(ev)
			if tok == "" {
				continue
			}
			_, _ = api.ReplyMessage(&messaging_api.ReplyMessageRequest{
				ReplyToken: tok,
				Messages:   []messaging_api.MessageInterface{&messaging_api.TextMessage{Text: floorText}},
			})
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	})
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }
	mux.HandleFunc("GET /healthz", ok)
	mux.HandleFunc("GET /readyz", ok)
	return mux
}

func replyToken(ev webhook.EventInterface) string {
	switch e := ev.(type) {
	case webhook.MessageEvent:
		return e.ReplyToken
	case webhook.PostbackEvent:
		return e.ReplyToken
	case webhook.FollowEvent:
		return e.ReplyToken
	}
	return ""
}

// NewFloorAPI is the SDK client the floor replies through: the 10 s
// time-out fraudnavi serve uses, and a connection pool as large as the
// webhooks in flight (the default transport keeps two idle connections, so
// under load it would dial for most replies: work the least bot does not do).
func NewFloorAPI(token, endpoint string) (*messaging_api.MessagingApiAPI, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	return messaging_api.NewMessagingApiAPI(token,
		messaging_api.WithEndpoint(endpoint),
		messaging_api.WithHTTPClient(&http.Client{Timeout: 10 * time.Second, Transport: tr}),
	)
}

// RunFloor serves the floor until ctx ends: LINE_CHANNEL_SECRET,
// LINE_CHANNEL_ACCESS_TOKEN, LINE_API_ENDPOINT and ADDR from the
// environment, like fraudnavi serve.
func RunFloor(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	secret, token, endpoint := getenv("LINE_CHANNEL_SECRET"), getenv("LINE_CHANNEL_ACCESS_TOKEN"), getenv("LINE_API_ENDPOINT")
	addr := cmp.Or(getenv("ADDR"), "127.0.0.1:0")
	if secret == "" || token == "" || endpoint == "" {
		return errors.New("floor-server needs LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_ENDPOINT")
	}
	api, err := NewFloorAPI(token, endpoint)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           FloorHandler(secret, api),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(stderr, "floor: ", 0),
	}
	fmt.Fprintf(stdout, "%s%s\n", FloorBanner, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
