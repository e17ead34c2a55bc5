// Package linefake is a strict local fake of the LINE Messaging API, for
// tests, the load generator and reminder tests, so that nothing is sent
// through LINE (LINE asks bots not to load-test against it).
//
// The fake serves the endpoints fraudnavi uses (reply, push, loading
// animation), decodes request bodies strictly against the OpenAPI schemas and
// rejects, with LINE's status codes and error JSON, what LINE rejects: too
// many messages, over-long texts, quick-reply items without "type":"action",
// reused reply tokens, pushes without a valid X-Line-Retry-Key, and so on.
// Accepted requests are recorded for assertions, rejected ones are counted by
// reason, and faults (5xx, 429, a dropped connection after a push was
// accepted) can be injected.
//
// webhook.go builds signed webhook requests the way LINE sends them.
package linefake

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Paths of the endpoints the fake serves.
const (
	PathReply   = "/v2/bot/message/reply"
	PathPush    = "/v2/bot/message/push"
	PathLoading = "/v2/bot/chat/loading/start"
)

// DefaultToken is the channel access token the fake requires unless
// WithToken sets another.
const DefaultToken = "linefake-channel-access-token"

// MonthlyLimitBody is LINE's answer, with status 429, to a push over the
// monthly quota. It is handy with FailNext.
const MonthlyLimitBody = `{"message":"You have reached your monthly limit."}`

const maxBodyBytes = 2 << 20 // LINE's request body limit

// Option configures a Server.
type Option func(*config)

type config struct {
	token    string
	quota    int // pushes a month; < 0: unlimited
	latency  time.Duration
	strict   bool
	tokenTTL time.Duration
	discard  bool
	// schemaEvery: the schema is checked on one request body in this many.
	schemaEvery int64
}

// WithToken sets the channel access token requests must carry as
// "Authorization: Bearer <token>"; others get 401.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithMonthlyQuota limits accepted pushes to n (the free Japanese plan allows
// 200 a month); further pushes get 429. A push counts once whatever its
// number of message objects, as LINE counts recipients. The default is
// unlimited.
func WithMonthlyQuota(n int) Option { return func(c *config) { c.quota = n } }

// WithLatency delays every response by d, to exercise client time-outs.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// DefaultReplyTokenTTL is how long a token from IssueReplyToken is valid
// unless WithReplyTokenTTL says otherwise (LINE: about a minute).
const DefaultReplyTokenTTL = time.Minute

// StrictTokens is the default, as on LINE: only tokens from IssueReplyToken
// are valid for replies. It is kept for callers that say so explicitly.
func StrictTokens() Option { return func(c *config) { c.strict = true } }

// AcceptAnyReplyToken makes the fake lenient where LINE is not: any non-empty
// reply token it never issued is accepted once. Only for tests that send
// hand-made webhooks without IssueReplyToken and say so by this option.
func AcceptAnyReplyToken() Option { return func(c *config) { c.strict = false } }

// WithReplyTokenTTL makes tokens from IssueReplyToken expire d after they
// were issued (DefaultReplyTokenTTL when not set), to test replies that come
// too late. d <= 0 means they never expire: only for tests that hold a
// token past a minute on purpose.
func WithReplyTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// DiscardRecords keeps counts (Stats, WaitReplies, WaitPushes) but not the
// requests themselves, so a long load test does not grow memory with every
// message. Replies, Pushes and Loadings then return nothing. Used reply
// tokens and accepted retry keys are still remembered (they must be), so call
// Reset now and then in a very long run.
func DiscardRecords() Option { return func(c *config) { c.discard = true } }

// CheckSchemaEvery checks the schema of one request body in n (n ≤ 1: every
// one) and only decodes the others; tokens, limits and the endpoints' rules
// are still checked on every request. For load runs, where the full check of
// every body would cost more CPU than the server under test on the same
// machine. Tests keep the default, every body.
func CheckSchemaEvery(n int) Option { return func(c *config) { c.schemaEvery = int64(max(n, 1)) } }

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	cfg config
	ts  *httptest.Server // nil when made by NewHandler
	// decoded counts decoded bodies, for CheckSchemaEvery.
	decoded atomic.Int64

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever a count grows
	stats      Stats
	issued     map[string]time.Time // reply token → when issued
	used       map[string]bool      // reply tokens already replied to
	retryKeys  map[string]string    // accepted retry key → request ID
	replies    []Reply
	pushes     []Push
	loadings   []Loading
	leaves     []Leave
	rejections []Rejection
	faults     map[string][]fault
	outages    map[string]outage // path → failing until a time
	drops      int
	attempts   map[string]int

	richMenus       map[string]*RichMenu
	richMenuOrder   []string
	defaultRichMenu string
}

// Stats counts what the fake has seen since it started or was Reset.
type Stats struct {
	Replies   int // accepted replies
	Pushes    int // accepted pushes (what the quota counts)
	Loadings  int // accepted loading animations
	Rejected  int // requests refused (4xx other than 409)
	Conflicts int // pushes answered 409 because their retry key was accepted before
	Faults    int // answers injected by FailNext
	Dropped   int // accepted pushes whose connection DropResponseAfterAccept closed
}

// Reply is an accepted reply request.
type Reply struct {
	RequestID            string
	Token                string
	Messages             []Message
	NotificationDisabled bool
	Body                 []byte // the request body as sent
	Received             time.Time
}

// Push is an accepted push request.
type Push struct {
	RequestID            string
	To                   string
	RetryKey             string
	Messages             []Message
	NotificationDisabled bool
	Body                 []byte // the request body as sent
	Received             time.Time
}

// Loading is an accepted loading-animation request.
type Loading struct {
	RequestID string
	ChatID    string
	Seconds   int // 20 when the request left it out
	Received  time.Time
}

// Rejection is a request the fake refused.
type Rejection struct {
	RequestID string
	Path      string
	Status    int
	Message   string
	Details   []ErrorDetail
	Received  time.Time
}

// Reason is a one-line description of the rejection, such as
// "messages[0].text: Length must be between 1 and 5000".
func (r Rejection) Reason() string {
	if len(r.Details) == 0 {
		return r.Message
	}
	parts := make([]string, len(r.Details))
	for i, d := range r.Details {
		parts[i] = d.Message
		if d.Property != "" {
			parts[i] = d.Property + ": " + d.Message
		}
	}
	return strings.Join(parts, "; ")
}

// Texts returns the texts of the reply: text messages, and the alt text of
// flex and template messages (what a notification shows).
func (r Reply) Texts() []string { return texts(r.Messages) }

// Texts returns the texts of the push, as Reply.Texts does.
func (p Push) Texts() []string { return texts(p.Messages) }

func texts(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		switch m.Type {
		case "text":
			out = append(out, m.Text)
		case "flex", "template":
			out = append(out, m.AltText)
		}
	}
	return out
}

type fault struct {
	status int
	body   string
}

// New starts the fake on a local httptest server. Close it when done.
func New(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.ts = httptest.NewServer(s)
	return s
}

// NewHandler makes the fake without starting a server, for use with any
// listener (the load generator serves it on a real port).
func NewHandler(opts ...Option) *Server {
	cfg := config{token: DefaultToken, quota: -1, strict: true, tokenTTL: DefaultReplyTokenTTL}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{cfg: cfg}
	s.resetLocked()
	return s
}

// URL is the base URL of the server started by New, for
// messaging_api.WithEndpoint; it is empty for NewHandler.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Close shuts down the server started by New; it does nothing for NewHandler.
func (s *Server) Close() {
	if s.ts != nil {
		s.ts.Close()
	}
}

// Handler returns the fake as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// Token is the channel access token the fake requires.
func (s *Server) Token() string { return s.cfg.token }

// IssueReplyToken returns a new reply token, as LINE puts in a webhook event.
// Only such tokens are valid, unless AcceptAnyReplyToken is set.
func (s *Server) IssueReplyToken() string {
	tok := randomHex(16)
	s.mu.Lock()
	s.issued[tok] = time.Now()
	s.mu.Unlock()
	return tok
}

// FailNext makes the next n requests to path (such as PathPush) fail with
// status and body, before any other processing: nothing is recorded, no
// reply token or retry key is used up. An empty body becomes LINE's
// {"message":...} with the status text. Calls queue up in order.
func (s *Server) FailNext(path string, status int, body string, n int) {
	if body == "" {
		b, _ := json.Marshal(ErrorResponse{Message: http.StatusText(status)})
		body = string(b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[path] = append(s.faults[path], fault{status, body})
	}
}

// outage is a path failing with one status until a time.
type outage struct {
	status int
	until  time.Time
}

// FailFor makes every request to path fail with status, as FailNext does,
// for d from now: an outage of LINE's API rather than a count of failures.
func (s *Server) FailFor(path string, status int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outages[path] = outage{status: status, until: time.Now().Add(d)}
}

// DropResponseAfterAccept makes the next n accepted pushes be recorded, their
// retry keys remembered and their quota used, and then closes the connection
// without an answer: the client sees an error although LINE delivered the
// message. Retrying with the same retry key then gets 409.
func (s *Server) DropResponseAfterAccept(n int) {
	s.mu.Lock()
	s.drops += n
	s.mu.Unlock()
}

// Reset forgets all requests, tokens, retry keys, quota use and pending
// faults; the options stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	if s.changed != nil {
		close(s.changed) // wake waiters; they re-check
	}
	s.changed = make(chan struct{})
	s.stats = Stats{}
	s.issued = make(map[string]time.Time)
	s.used = make(map[string]bool)
	s.retryKeys = make(map[string]string)
	s.replies, s.pushes, s.loadings, s.rejections = nil, nil, nil, nil
	s.leaves = nil
	s.faults = make(map[string][]fault)
	s.outages = make(map[string]outage)
	s.drops = 0
	s.attempts = make(map[string]int)
	s.richMenus, s.richMenuOrder, s.defaultRichMenu = make(map[string]*RichMenu), nil, ""
}

// notifyLocked wakes the waiters after a count changed.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Replies returns the accepted replies in the order they arrived.
func (s *Server) Replies() []Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRecords(s.replies, func(r *Reply) { r.Body = slices.Clone(r.Body); r.Messages = slices.Clone(r.Messages) })
}

// Pushes returns the accepted pushes in the order they arrived.
func (s *Server) Pushes() []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRecords(s.pushes, func(p *Push) { p.Body = slices.Clone(p.Body); p.Messages = slices.Clone(p.Messages) })
}

// Loadings returns the accepted loading-animation requests.
func (s *Server) Loadings() []Loading {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.loadings)
}

// RepliesFor returns the accepted replies that used token.
func (s *Server) RepliesFor(token string) []Reply {
	var out []Reply
	for _, r := range s.Replies() {
		if r.Token == token {
			out = append(out, r)
		}
	}
	return out
}

// PushesTo returns the accepted pushes to the user, group or room id.
func (s *Server) PushesTo(id string) []Push {
	var out []Push
	for _, p := range s.Pushes() {
		if p.To == id {
			out = append(out, p)
		}
	}
	return out
}

func cloneRecords[T any](recs []T, deep func(*T)) []T {
	out := slices.Clone(recs)
	for i := range out {
		deep(&out[i])
	}
	return out
}

// Rejections returns the refused requests in the order they arrived.
func (s *Server) Rejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rejections)
}

// Rejected counts the refused requests by Rejection.Reason. It is empty when
// nothing was refused, which is what most tests should assert. Answers
// injected by FailNext and 409s to retried pushes are not refusals (see
// Stats).
func (s *Server) Rejected() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int)
	for _, r := range s.rejections {
		m[r.Reason()]++
	}
	return m
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Attempts returns how many requests arrived for path, whatever their fate
// (for example 3 after two injected 500s and a success).
func (s *Server) Attempts(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[path]
}

// WaitReplies waits until at least n replies were accepted or ctx is done.
func (s *Server) WaitReplies(ctx context.Context, n int) error {
	return s.wait(ctx, n, "replies", func(st Stats) int { return st.Replies })
}

// WaitPushes waits until at least n pushes were accepted or ctx is done.
func (s *Server) WaitPushes(ctx context.Context, n int) error {
	return s.wait(ctx, n, "pushes", func(st Stats) int { return st.Pushes })
}

func (s *Server) wait(ctx context.Context, n int, what string, count func(Stats) int) error {
	for {
		s.mu.Lock()
		got, changed := count(s.stats), s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("linefake: waiting for %d %s, got %d: %w", n, what, got, ctx.Err())
		}
	}
}

// call is one request being handled.
type call struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	id       string
	received time.Time
	body     []byte
}

// ServeHTTP serves the fake API: injected faults first, then the token,
// the route, and the endpoint's own checks.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, w: w, r: r, id: NewRetryKey(), received: time.Now()}
	w.Header().Set("X-Line-Request-Id", c.id)

	s.mu.Lock()
	s.attempts[r.URL.Path]++
	f, faulted := s.popFaultLocked(r.URL.Path)
	if o, ok := s.outages[r.URL.Path]; ok && !faulted && c.received.Before(o.until) {
		b, _ := json.Marshal(ErrorResponse{Message: http.StatusText(o.status)})
		f, faulted = fault{o.status, string(b)}, true
	}
	s.mu.Unlock()

	if !s.sleep(r.Context()) {
		return // the client gave up
	}
	if faulted {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBodyBytes))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
		return
	}

	if r.Header.Get("Authorization") != "Bearer "+s.cfg.token {
		c.reject(http.StatusUnauthorized, "Authentication failed. Confirm that the access token in the authorization header is valid.")
		return
	}
	if s.serveRichMenu(c) || s.serveQuota(c) || s.serveLeave(c) {
		return
	}
	var handle func(*call)
	switch r.URL.Path {
	case PathReply:
		handle = s.handleReply
	case PathPush:
		handle = s.handlePush
	case PathLoading:
		handle = s.handleLoading
	default:
		c.reject(http.StatusNotFound, "Not found")
		return
	}
	if r.Method != http.MethodPost {
		c.reject(http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		c.reject(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			c.reject(http.StatusRequestEntityTooLarge, "The request body is too large")
			return
		}
		c.reject(http.StatusBadRequest, "The request body could not be read")
		return
	}
	c.body = body
	handle(c)
}

func (s *Server) popFaultLocked(path string) (fault, bool) {
	q := s.faults[path]
	if len(q) == 0 {
		return fault{}, false
	}
	s.faults[path] = q[1:]
	s.stats.Faults++
	return q[0], true
}

func (s *Server) sleep(ctx context.Context) bool {
	if s.cfg.latency <= 0 {
		return true
	}
	t := time.NewTimer(s.cfg.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// decode strictly decodes and validates the body; on failure it answers 400
// and returns false. check adds rules beyond the schema.
func (c *call) decode(v any, check func(*details)) bool {
	var (
		d  details
		ok bool
	)
	if n := c.s.cfg.schemaEvery; n > 1 && c.s.decoded.Add(1)%n != 0 {
		ok = json.Valid(c.body) && json.Unmarshal(c.body, v) == nil
	} else {
		d, ok = decodeStrict(c.body, v)
	}
	if !ok {
		c.reject(http.StatusBadRequest, "The request body could not be parsed as JSON")
		return false
	}
	if len(d) == 0 {
		check(&d)
	}
	if len(d) > 0 {
		c.rejectDetails(http.StatusBadRequest, d.response())
		return false
	}
	return true
}

// rawMessages returns each message's JSON, for limits on serialized size.
func (c *call) rawMessages() []json.RawMessage {
	var v struct {
		Messages []json.RawMessage `json:"messages"`
	}
	_ = json.Unmarshal(c.body, &v) // already validated
	return v.Messages
}

// rawField returns the JSON of one top-level field of the body, "" when it is
// absent: a null the strict decoder lets through as an empty slice.
func (c *call) rawField(name string) string {
	var v map[string]json.RawMessage
	_ = json.Unmarshal(c.body, &v) // already validated
	return string(v[name])
}

func (s *Server) handleReply(c *call) {
	// LINE refuses a retry key on a reply: a reply token already makes a
	// reply happen at most once.
	if len(c.r.Header.Values("X-Line-Retry-Key")) > 0 {
		c.reject(http.StatusBadRequest, "The X-Line-Retry-Key header cannot be specified for this request")
		return
	}
	var req replyRequest
	if !c.decode(&req, func(d *details) {
		if req.ReplyToken == "" {
			d.add("replyToken", "Must be specified")
		}
		validateMessages(req.Messages, c.rawMessages(), d)
	}) {
		return
	}

	s.mu.Lock()
	if !s.tokenValidLocked(req.ReplyToken, c.received) {
		s.mu.Unlock()
		c.reject(http.StatusBadRequest, "Invalid reply token")
		return
	}
	// A used token is remembered to reject its reuse; its issue time is no
	// longer needed.
	s.used[req.ReplyToken] = true
	delete(s.issued, req.ReplyToken)
	s.stats.Replies++
	if !s.cfg.discard {
		s.replies = append(s.replies, Reply{
			RequestID:            c.id,
			Token:                req.ReplyToken,
			Messages:             req.Messages,
			NotificationDisabled: req.NotificationDisabled,
			Body:                 c.body,
			Received:             c.received,
		})
	}
	s.notifyLocked()
	s.mu.Unlock()

	c.respond(http.StatusOK, sent(req.Messages))
}

func (s *Server) tokenValidLocked(tok string, now time.Time) bool {
	if s.used[tok] {
		return false
	}
	issuedAt, issued := s.issued[tok]
	if s.cfg.strict && !issued {
		return false
	}
	return !issued || s.cfg.tokenTTL <= 0 || now.Sub(issuedAt) <= s.cfg.tokenTTL
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (s *Server) handlePush(c *call) {
	// LINE makes the retry key optional; the fake requires it because the
	// bot must send one with every push to retry safely.
	keys := c.r.Header.Values("X-Line-Retry-Key")
	switch {
	case len(keys) == 0:
		c.reject(http.StatusBadRequest, "The X-Line-Retry-Key header is required by linefake: send a UUID with every push")
		return
	case len(keys) > 1 || !uuidPattern.MatchString(keys[0]):
		c.reject(http.StatusBadRequest, "The value for the 'X-Line-Retry-Key' header is invalid")
		return
	}
	key := strings.ToLower(keys[0])

	var req pushRequest
	if !c.decode(&req, func(d *details) {
		if req.To == "" {
			d.add("to", "Must be specified")
		}
		if c.rawField("customAggregationUnits") == "null" {
			d.add("customAggregationUnits", "Must be an array of strings or left out")
		}
		validateMessages(req.Messages, c.rawMessages(), d)
	}) {
		return
	}

	s.mu.Lock()
	if orig, ok := s.retryKeys[key]; ok {
		s.stats.Conflicts++
		s.mu.Unlock()
		c.w.Header().Set("X-Line-Accepted-Request-Id", orig)
		c.respond(http.StatusConflict, ErrorResponse{Message: "The retry key is already accepted"})
		return
	}
	if s.cfg.quota >= 0 && s.stats.Pushes >= s.cfg.quota {
		s.mu.Unlock()
		c.reject(http.StatusTooManyRequests, "You have reached your monthly limit.")
		return
	}
	s.retryKeys[key] = c.id
	s.stats.Pushes++
	if !s.cfg.discard {
		s.pushes = append(s.pushes, Push{
			RequestID:            c.id,
			To:                   req.To,
			RetryKey:             keys[0],
			Messages:             req.Messages,
			NotificationDisabled: req.NotificationDisabled,
			Body:                 c.body,
			Received:             c.received,
		})
	}
	drop := s.drops > 0
	if drop {
		s.drops--
		s.stats.Dropped++
	}
	s.notifyLocked()
	s.mu.Unlock()

	if drop {
		abortConnection(c.w)
		return
	}
	c.respond(http.StatusOK, sent(req.Messages))
}

// abortConnection closes the connection without writing a response.
func abortConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hijack; this panic makes net/http reset the
		// stream without logging.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (s *Server) handleLoading(c *call) {
	var req loadingRequest
	if !c.decode(&req, func(d *details) {
		switch {
		case req.ChatID == "":
			d.add("chatId", "Must be specified")
		case !strings.HasPrefix(req.ChatID, "U"):
			d.add("chatId", "Must be a user ID: the loading animation works in one-on-one chats only")
		}
		if n := req.LoadingSeconds; n != nil && (*n < 5 || *n > 60 || *n%5 != 0) {
			d.add("loadingSeconds", "Must be a multiple of 5 between 5 and 60")
		}
	}) {
		return
	}
	seconds := 20
	if req.LoadingSeconds != nil {
		seconds = int(*req.LoadingSeconds)
	}

	s.mu.Lock()
	s.stats.Loadings++
	if !s.cfg.discard {
		s.loadings = append(s.loadings, Loading{RequestID: c.id, ChatID: req.ChatID, Seconds: seconds, Received: c.received})
	}
	s.notifyLocked()
	s.mu.Unlock()

	c.respond(http.StatusAccepted, struct{}{})
}

// reject records a refusal and answers {"message": msg}.
func (c *call) reject(status int, msg string) {
	c.rejectDetails(status, ErrorResponse{Message: msg})
}

func (c *call) rejectDetails(status int, resp ErrorResponse) {
	c.s.mu.Lock()
	c.s.stats.Rejected++
	c.s.rejections = append(c.s.rejections, Rejection{
		RequestID: c.id,
		Path:      c.r.URL.Path,
		Status:    status,
		Message:   resp.Message,
		Details:   resp.Details,
		Received:  c.received,
	})
	c.s.mu.Unlock()
	c.respond(status, resp)
}

func (c *call) respond(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("linefake: encode response: %v", err)) // our own types always encode
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

var messageSeq atomic.Int64

func init() {
	// LINE message IDs are 18-digit decimal strings; start somewhere new
	// each run so IDs from separate runs do not look alike.
	messageSeq.Store(500_000_000_000_000_000 + time.Now().UnixMilli()%1_000_000_000*1000)
}

// newMessageID returns a unique message ID, for sent messages and webhooks.
func newMessageID() string { return strconv.FormatInt(messageSeq.Add(1), 10) }

// sent builds the 200 answer to a reply or push. Text and sticker messages
// get a quote token, as LINE gives only to quotable messages.
func sent(msgs []Message) sentMessages {
	out := sentMessages{SentMessages: make([]sentMessage, len(msgs))}
	for i, m := range msgs {
		out.SentMessages[i].ID = newMessageID()
		if m.Type == "text" || m.Type == "sticker" {
			out.SentMessages[i].QuoteToken = randomHex(32)
		}
	}
	return out
}

// NewRetryKey returns a random (version 4) UUID, the format LINE requires
// for X-Line-Retry-Key. The fake also uses it for request IDs.
func NewRetryKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return fmt.Sprintf("%x", b)
}
