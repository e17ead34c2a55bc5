package faults

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/cmd/fraudnavi-load/internal/load"
)

// destination is the bot user id the bodies name.
const destination = "Ufraudnavi0faults000000000000000"

// Hard bounds, so that every loop ends whatever the options say.
const (
	maxRunTime = 3 * time.Minute
	maxEvents  = 20_000
	maxUsers   = 2_000
	maxWorkers = 256
)

// Options say how to load.
type Options struct {
	Users int // distinct users
	// Events is how many events to send in all; at most Users·PerUser.
	Events int
	// PerUser bounds one user's events. Keep it at most 20: the bot's
	// per-user rate limit lets a burst of 20 through (bot/ratelimit.go),
	// and an event over it is answered but deliberately not applied.
	PerUser int
	Workers int // units of work in flight at once
	// PerBody > 1 puts 1..PerBody events of distinct users in one body,
	// as LINE does, so one body can half succeed.
	PerBody int
	// Burst > 1: after the follow, a user's events go out 1..Burst at a
	// time, all at once, each in a body of its own, so several events of
	// one user are in flight together (on different replicas behind a
	// round-robin proxy).
	Burst int
	// TextRatio is the share of events (after the follow) that are typed
	// text rather than taps.
	TextRatio float64
	// ReminderShare is the share of users who accept every reminder the
	// bot offers them.
	ReminderShare float64

	Timeout time.Duration // per request
	// Redelivery like LINE's: a body answered non-2xx, or not at all, is
	// sent again with the same webhookEventIds and reply tokens and
	// isRedelivery true, after RedeliverWait (doubling up to
	// RedeliverMaxWait), until it is answered 2xx or RedeliverFor has passed
	// since its first delivery.
	RedeliverWait    time.Duration
	RedeliverMaxWait time.Duration
	RedeliverFor     time.Duration

	// Duration bounds the whole run (with every redelivery).
	Duration time.Duration
	Seed     uint64
	Secret   string
}

func (o *Options) defaults() {
	o.Users = min(max(o.Users, 1), maxUsers)
	if o.PerUser <= 0 {
		o.PerUser = 18
	}
	o.Events = min(max(o.Events, 1), o.Users*o.PerUser, maxEvents)
	o.Workers = min(max(o.Workers, 1), maxWorkers)
	o.PerBody = max(o.PerBody, 1)
	o.Burst = max(o.Burst, 1)
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.RedeliverWait <= 0 {
		o.RedeliverWait = 100 * time.Millisecond
	}
	if o.RedeliverMaxWait < o.RedeliverWait {
		o.RedeliverMaxWait = time.Second
	}
	if o.RedeliverFor <= 0 {
		o.RedeliverFor = 30 * time.Second
	}
	if o.Duration <= 0 || o.Duration > maxRunTime {
		o.Duration = 90 * time.Second
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Secret == "" {
		o.Secret = load.DefaultSecret
	}
}

// reminderTextRatio is the share of a reminder user's events that are
// typed text (リマインド停止 among them).
const reminderTextRatio = 0.05

// phrases are what a user types instead of tapping: the load generator's,
// plus the reminder commands, so cancelling is exercised too.
var phrases = append(slices.Clone(load.Phrases), "リマインド一覧", "リマインド停止")

// User is one simulated LINE user. Fields are owned by the goroutine that
// took the user from the pool.
type User struct {
	ID        string
	Reminders bool // accepts every reminder offer
	followed  bool
	offered   []load.Choice
	budget    int
	Events    []*Event
}

// Attempt is one delivery of a body.
type Attempt struct {
	Start, End time.Time
	Status     string // "200", "503", "error: connection closed", ...
}

// Event is one webhook event sent, with every delivery of it.
type Event struct {
	Ev       linefake.Event
	User     *User
	Kind     string // follow, tap, accept (a reminder offer), text
	Attempts []Attempt
	OK       bool // answered 2xx in the end
	// Late: answered 2xx before any reply for its token had reached the
	// fake LINE API (the reply was sent by another delivery or event, or
	// later, or never).
	Late bool
}

// Redelivered reports whether the event was sent more than once.
func (e *Event) Redelivered() bool { return len(e.Attempts) > 1 }

// During reports whether one of the event's deliveries was under way at
// some moment of w.
func (e *Event) During(w Window) bool {
	for _, a := range e.Attempts {
		if !a.Start.After(w.To) && !a.End.Before(w.From) {
			return true
		}
	}
	return false
}

// Window is a span of time in which something was broken.
type Window struct {
	What     string
	From, To time.Time
	// Excuses: a reply missing for an event in flight during the window
	// is the bot's documented at-most-once reply (a kill between taking
	// the outbox and replying), not a failure.
	Excuses bool
}

// Driver sends the load.
type Driver struct {
	opts   Options
	url    string
	fake   *load.Fake
	client *http.Client

	rngMu sync.Mutex
	rng   *rand.Rand

	users []*User
	ready chan *User

	mu       sync.Mutex
	reserved int
	events   []*Event
	done     chan struct{}

	sent      atomic.Int64
	statusMu  sync.Mutex
	first     map[string]int // answers to first deliveries
	again     map[string]int // answers to redeliveries
	resent    int            // bodies sent again
	bodies    int
	elapsed   time.Duration
	startedAt time.Time
}

// NewDriver prepares users and a client for url.
func NewDriver(opts Options, url string, fake *load.Fake) *Driver {
	opts.defaults()
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	d := &Driver{
		opts:   opts,
		url:    url,
		fake:   fake,
		client: &http.Client{Transport: tr, Timeout: opts.Timeout},
		rng:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		ready:  make(chan *User, opts.Users),
		done:   make(chan struct{}),
		first:  map[string]int{},
		again:  map[string]int{},
	}
	for range opts.Users {
		u := &User{ID: linefake.NewUserID(), budget: opts.PerUser}
		u.Reminders = d.float() < opts.ReminderShare
		d.users = append(d.users, u)
		d.ready <- u
	}
	return d
}

// Sent is how many events were sent so far.
func (d *Driver) Sent() int { return int(d.sent.Load()) }

// WaitSent returns once n events were sent, the run ended, or ctx did.
func (d *Driver) WaitSent(ctx context.Context, n int) {
	for d.Sent() < n {
		select {
		case <-ctx.Done():
			return
		case <-d.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Run sends the load and returns when every event was answered 2xx or
// given up on.
func (d *Driver) Run(ctx context.Context) *Result {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Duration)
	defer cancel()
	d.startedAt = time.Now()
	var wg sync.WaitGroup
	for range d.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.work(ctx)
		}()
	}
	wg.Wait()
	d.elapsed = time.Since(d.startedAt)
	d.client.CloseIdleConnections()
	return d.result()
}

func (d *Driver) work(ctx context.Context) {
	for {
		u, ok := d.take(ctx)
		if !ok {
			return
		}
		if d.opts.Burst > 1 && u.followed {
			d.burst(ctx, u)
			continue
		}
		if d.reserve(u, 1) == 0 {
			d.give(u)
			continue
		}
		us := []*User{u}
		// More users for the same body, if some are ready right now.
		want := 1
		if d.opts.PerBody > 1 {
			want = 1 + d.intN(d.opts.PerBody)
		}
	more:
		for len(us) < want {
			select {
			case v := <-d.ready:
				if d.reserve(v, 1) == 0 {
					d.give(v)
					break more
				}
				us = append(us, v)
			default:
				break more
			}
		}
		evs := make([]*Event, len(us))
		for i, v := range us {
			evs[i] = d.next(v, v.offered, false)
		}
		d.deliver(ctx, evs)
		for i, v := range us {
			d.answered(v, evs[i:i+1])
			d.give(v)
		}
	}
}

// burst sends 1..Burst events of u at once, each in a body of its own.
func (d *Driver) burst(ctx context.Context, u *User) {
	n := d.reserve(u, 1+d.intN(d.opts.Burst))
	if n == 0 {
		d.give(u)
		return
	}
	evs := make([]*Event, n)
	for i := range evs {
		evs[i] = d.next(u, u.offered, i > 0)
	}
	var wg sync.WaitGroup
	for _, ev := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.deliver(ctx, []*Event{ev})
		}()
	}
	wg.Wait()
	d.answered(u, evs)
	d.give(u)
}

// take returns a user with no event in flight, or false when the run is
// over.
func (d *Driver) take(ctx context.Context) (*User, bool) {
	select {
	case <-d.done:
		return nil, false
	case <-ctx.Done():
		return nil, false
	default:
	}
	select {
	case u := <-d.ready:
		return u, true
	case <-d.done:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

// give hands u back unless it has sent all it may.
func (d *Driver) give(u *User) {
	d.mu.Lock()
	left := u.budget > 0
	d.mu.Unlock()
	if left {
		d.ready <- u // never blocks: the channel holds every user
	}
}

// reserve books up to n events for u within its and the run's budget.
func (d *Driver) reserve(u *User, n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n = min(n, u.budget, d.opts.Events-d.reserved)
	if n <= 0 {
		return 0
	}
	u.budget -= n
	d.reserved += n
	if d.reserved == d.opts.Events {
		close(d.done)
	}
	return n
}

// next builds u's next event: the follow first; then, for a user who
// accepts reminders, the offer when there is one; else a tap on one of the
// quick replies the bot sent last, or now and then (and when nothing was
// offered) typed text. extra marks the second and later events of a burst.
func (d *Driver) next(u *User, offered []load.Choice, extra bool) *Event {
	e := &Event{User: u}
	var accept []load.Choice
	for _, c := range offered {
		if isAccept(c) {
			accept = append(accept, c)
		}
	}
	var forward []load.Choice // the step's own choices: deeper into a flow
	for _, c := range offered {
		if q, err := url.ParseQuery(c.Data); err == nil && q.Has("c") && !isAccept(c) {
			forward = append(forward, c)
		}
	}
	// Users who accept reminders walk forward, so they reach the steps that
	// offer them (the ends of the flows), and type less.
	ratio := d.opts.TextRatio
	if u.Reminders {
		ratio = reminderTextRatio
	}
	typing := len(offered) == 0 || d.float() < ratio
	switch {
	case !u.followed && !extra:
		e.Kind = "follow"
		e.Ev = linefake.FollowEvent(u.ID)
	case typing:
		e.Kind = "text"
		text := phrases[d.intN(len(phrases))]
		if len(offered) > 0 && d.intN(2) == 0 {
			text = offered[d.intN(len(offered))].Label // typing a button's words
		}
		e.Ev = linefake.TextEvent(u.ID, text)
	case u.Reminders && len(accept) > 0 && (!extra || d.intN(2) == 0):
		e.Kind = "accept"
		e.Ev = d.tap(u, accept[d.intN(len(accept))])
	case u.Reminders && len(forward) > 0:
		e.Kind = "tap"
		e.Ev = d.tap(u, forward[d.intN(len(forward))])
	default:
		c := offered[d.intN(len(offered))]
		e.Kind = "tap"
		if isAccept(c) {
			e.Kind = "accept"
		}
		e.Ev = d.tap(u, c)
	}
	e.Ev.ReplyToken = d.fake.IssueReplyToken()
	d.mu.Lock()
	u.Events = append(u.Events, e)
	d.events = append(d.events, e)
	d.mu.Unlock()
	return e
}

func (d *Driver) tap(u *User, c load.Choice) linefake.Event {
	var params map[string]string
	if c.Picker {
		params = map[string]string{"datetime": c.Initial}
	}
	return linefake.PostbackEvent(u.ID, c.Data, params)
}

// isAccept tells a reminder offer's quick reply: r=a accepts the offered
// time, r=p picks one.
func isAccept(c load.Choice) bool {
	q, err := url.ParseQuery(c.Data)
	return err == nil && (q.Get("r") == "a" || q.Get("r") == "p")
}

// deliver sends one body and redelivers it like LINE while it is answered
// non-2xx or not at all.
func (d *Driver) deliver(ctx context.Context, evs []*Event) {
	raw := make([]linefake.Event, len(evs))
	for i, e := range evs {
		raw[i] = e.Ev
	}
	body := linefake.Body(destination, raw...)
	d.sent.Add(int64(len(evs)))
	first := time.Now()
	wait := d.opts.RedeliverWait
	for n := 0; ; n++ {
		if n == 1 {
			for i := range raw {
				raw[i] = raw[i].Redelivered()
			}
			body = linefake.Body(destination, raw...)
		}
		a := Attempt{Start: time.Now()}
		a.Status = d.post(ctx, body)
		a.End = time.Now()
		ok := len(a.Status) == 3 && a.Status[0] == '2'
		d.statusMu.Lock()
		if n == 0 {
			d.first[a.Status]++
			d.bodies++
		} else {
			d.again[a.Status]++
			d.resent++
		}
		d.statusMu.Unlock()
		for _, e := range evs {
			e.Attempts = append(e.Attempts, a)
			e.OK = ok
		}
		if ok || time.Since(first) > d.opts.RedeliverFor || ctx.Err() != nil {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		wait = min(2*wait, d.opts.RedeliverMaxWait)
	}
}

// answered updates u after its events were answered: what the bot offered
// in its last reply is what the user taps next. Of several events at once,
// the reply with the highest state version is the last one.
func (d *Driver) answered(u *User, evs []*Event) {
	best := int64(-2)
	for _, e := range evs {
		offered, replies := d.fake.Take(e.Ev.ReplyToken)
		if e.OK && replies == 0 {
			e.Late = true
		}
		if e.Kind == "follow" && (e.OK || replies > 0) {
			u.followed = true
		}
		if replies == 0 {
			continue
		}
		if v := versionOf(offered); v >= best {
			best, u.offered = v, offered
		}
	}
}

// versionOf is the highest v= in the choices' postback data: the state
// version the reply was made at; -1 if none carries one.
func versionOf(cs []load.Choice) int64 {
	v := int64(-1)
	for _, c := range cs {
		q, err := url.ParseQuery(c.Data)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(q.Get("v"), 10, 64); err == nil {
			v = max(v, n)
		}
	}
	return v
}

// post sends a signed body and returns the status, or "error: <kind>"
// when no answer came.
func (d *Driver) post(ctx context.Context, body []byte) string {
	return load.Post(ctx, d.client, d.url, d.opts.Secret, body)
}

func (d *Driver) float() float64 {
	d.rngMu.Lock()
	defer d.rngMu.Unlock()
	return d.rng.Float64()
}

func (d *Driver) intN(n int) int {
	d.rngMu.Lock()
	defer d.rngMu.Unlock()
	return d.rng.IntN(n)
}

// Result is what a run sent and how it was answered.
type Result struct {
	Users   []*User
	Events  []*Event
	Bodies  int
	Resent  int            // bodies sent again
	First   map[string]int // answers to first deliveries
	Again   map[string]int // answers to redeliveries
	Elapsed time.Duration
}

func (d *Driver) result() *Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.statusMu.Lock()
	defer d.statusMu.Unlock()
	return &Result{
		Users:   d.users,
		Events:  d.events,
		Bodies:  d.bodies,
		Resent:  d.resent,
		First:   d.first,
		Again:   d.again,
		Elapsed: d.elapsed,
	}
}
