package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
)

// Fake is the strict fake LINE API on a loopback port, with a recorder in
// front that remembers, per reply token, how many replies were accepted or
// refused and which quick replies the accepted one offered. The fake itself
// keeps no records (DiscardRecords), so memory stays flat in a long run.
type Fake struct {
	fake *linefake.Server
	srv  *http.Server
	ln   net.Listener

	mu     sync.Mutex
	tokens map[string]*tokenRecord
	// rejected counts refused reply attempts by status and message.
	rejected map[string]int
	accepted int
}

// tokenRecord is what happened to one reply token.
type tokenRecord struct {
	accepted int
	refused  int
	// offered are the quick replies of the accepted reply, until the
	// generator takes them.
	offered []Choice
}

// Choice is a quick-reply item the bot offered: what a tap sends back.
type Choice struct {
	Label   string
	Data    string // postback data
	Picker  bool   // a datetime picker: the tap carries a datetime param
	Initial string // the picker's initial value, what a hurried tap picks
}

// StartFake serves the strict fake LINE API on addr ("127.0.0.1:0" picks a
// port).
//
// schemaEvery is linefake.CheckSchemaEvery: 1 checks every body.
func StartFake(addr, token string, schemaEvery int) (*Fake, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake LINE API: listen %s: %w", addr, err)
	}
	f := &Fake{
		fake: linefake.NewHandler(
			linefake.WithToken(token),
			linefake.StrictTokens(),
			linefake.WithReplyTokenTTL(time.Minute),
			linefake.DiscardRecords(),
			linefake.CheckSchemaEvery(schemaEvery),
		),
		ln:       ln,
		tokens:   make(map[string]*tokenRecord),
		rejected: make(map[string]int),
	}
	f.srv = &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// URL is the base URL to give the bot as LINE_API_ENDPOINT.
func (f *Fake) URL() string { return "http://" + f.ln.Addr().String() }

// Close stops the fake.
func (f *Fake) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return f.srv.Shutdown(ctx)
}

// Server is the fake itself (for its Stats).
func (f *Fake) Server() *linefake.Server { return f.fake }

// IssueReplyToken issues a token the fake will accept once, and starts
// tracking it.
func (f *Fake) IssueReplyToken() string {
	tok := f.fake.IssueReplyToken()
	f.mu.Lock()
	f.tokens[tok] = &tokenRecord{}
	f.mu.Unlock()
	return tok
}

// ServeHTTP passes every request to the fake and, for replies, records the
// outcome by token.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != linefake.PathReply {
		f.fake.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w}
	f.fake.ServeHTTP(sw, r)

	var req replyBody
	_ = json.Unmarshal(body, &req) // the fake judged it; here only the token and items matter
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.tokens[req.ReplyToken]
	if rec == nil {
		// Not a token this run issued (or none): count it as refused.
		rec = &tokenRecord{}
		if req.ReplyToken != "" {
			f.tokens[req.ReplyToken] = rec
		}
	}
	if sw.status/100 == 2 {
		f.accepted++
		rec.accepted++
		rec.offered = req.choices()
		return
	}
	rec.refused++
	f.rejected[fmt.Sprintf("%d %s", sw.status, errorMessage(sw.body.Bytes()))]++
}

// Take returns the quick replies of the reply accepted for token, and how
// many replies were accepted for it so far. The offered items are handed
// out once.
func (f *Fake) Take(token string) (offered []Choice, accepted int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.tokens[token]
	if rec == nil {
		return nil, 0
	}
	offered, rec.offered = rec.offered, nil
	return offered, rec.accepted
}

// ReplyCheck is how the replies of a set of tokens turned out.
type ReplyCheck struct {
	Expected   int            `json:"expected"`
	Replied    int            `json:"replied"`    // tokens with exactly one accepted reply
	Missing    int            `json:"missing"`    // tokens with none
	Duplicated int            `json:"duplicated"` // replies LINE accepted beyond the first for a token: a user got two
	Retried    int            `json:"retried"`    // further attempts refused as a used token: a redelivery tried again, the user got one
	Rejected   map[string]int `json:"rejected"`   // refused reply attempts by status and message
	Unexpected int            `json:"unexpected"` // replies with tokens the generator never issued
}

// Check counts, for the tokens given, how many got exactly one reply, none,
// or more than one attempt. It waits up to wait for missing replies, for
// bots that reply after answering the webhook.
func (f *Fake) Check(tokens []string, wait time.Duration) ReplyCheck {
	deadline := time.Now().Add(wait)
	for {
		c := f.check(tokens)
		if c.Missing == 0 || time.Now().After(deadline) {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *Fake) check(tokens []string) ReplyCheck {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := ReplyCheck{Expected: len(tokens), Rejected: make(map[string]int)}
	want := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		want[t] = true
		rec := f.tokens[t]
		switch {
		case rec == nil || rec.accepted == 0:
			c.Missing++
		case rec.accepted == 1:
			c.Replied++
		}
		if rec != nil {
			if rec.accepted > 1 {
				c.Duplicated += rec.accepted - 1
			}
			if rec.accepted > 0 {
				c.Retried += rec.refused
			}
		}
	}
	for t, rec := range f.tokens {
		if !want[t] && rec.accepted > 0 {
			c.Unexpected += rec.accepted
		}
	}
	for k, v := range f.rejected {
		c.Rejected[k] = v
	}
	return c
}

// replyBody is the part of a ReplyMessageRequest the recorder reads.
type replyBody struct {
	ReplyToken string `json:"replyToken"`
	Messages   []struct {
		QuickReply *struct {
			Items []struct {
				Action *struct {
					Type    string `json:"type"`
					Label   string `json:"label"`
					Data    string `json:"data"`
					Initial string `json:"initial"`
				} `json:"action"`
			} `json:"items"`
		} `json:"quickReply"`
	} `json:"messages"`
}

// choices are the postback and datetime picker items of the last message
// (LINE shows quick replies of the last message only).
func (b *replyBody) choices() []Choice {
	if len(b.Messages) == 0 {
		return nil
	}
	qr := b.Messages[len(b.Messages)-1].QuickReply
	if qr == nil {
		return nil
	}
	var out []Choice
	for _, it := range qr.Items {
		a := it.Action
		if a == nil {
			continue
		}
		switch a.Type {
		case "postback":
			out = append(out, Choice{Label: a.Label, Data: a.Data})
		case "datetimepicker":
			out = append(out, Choice{Label: a.Label, Data: a.Data, Picker: true, Initial: a.Initial})
		}
	}
	return out
}

func errorMessage(b []byte) string {
	var e struct {
		Message string `json:"message"`
		Details []struct {
			Property string `json:"property"`
			Message  string `json:"message"`
		} `json:"details"`
	}
	if json.Unmarshal(b, &e) != nil {
		return "(unreadable error)"
	}
	msg := e.Message
	for _, d := range e.Details {
		msg += "; " + d.Property + ": " + d.Message
	}
	return msg
}

// statusWriter remembers the status and, for errors, the body.
type statusWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status/100 != 2 && w.body.Len() < 4096 {
		w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
