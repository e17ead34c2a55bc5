package load

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
)

// destination is the bot user id the bodies name.
const destination = "Ufraudnavi0load0000000000000000000"

// driver sends webhooks to one URL.
type driver struct {
	opts   Options
	url    string
	client *http.Client
	pool   *pool
	script *script
}

func newDriver(opts Options, url string, f *Fake) *driver {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxInFlight,
		MaxIdleConnsPerHost: maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &driver{
		opts:   opts,
		url:    url,
		client: &http.Client{Transport: tr, Timeout: opts.Timeout},
		pool:   newPool(opts.Users),
		script: newScript(f, opts.TextRatio, opts.Think, opts.Seed),
	}
}

func (d *driver) close() { d.client.CloseIdleConnections() }

// phase collects what one phase (warm-up or measured) did.
type phase struct {
	mu        sync.Mutex
	start     time.Time
	end       time.Time
	latencies []time.Duration // first delivery of each body, from its scheduled time
	status    map[string]int  // first delivery: "200", "503", "error: timeout", ...
	redeliver map[string]int  // redeliveries by answer
	failed    int             // bodies still not 2xx after all redeliveries
	events    int
	kinds     map[string]int // events by type: follow, postback, message
	bodies    int
	tokens    []string
	lag       time.Duration // open loop: most a send started after its scheduled time
	stalls    int           // open loop: sends that waited for a free in-flight slot
}

func newPhase() *phase {
	return &phase{status: map[string]int{}, redeliver: map[string]int{}, kinds: map[string]int{}}
}

func (p *phase) record(events []linefake.Event, latency time.Duration, status string, redeliveries []string, ok bool, lag time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latencies = append(p.latencies, latency)
	p.status[status]++
	for _, r := range redeliveries {
		p.redeliver[r]++
	}
	if !ok {
		p.failed++
	}
	p.bodies++
	p.events += len(events)
	for _, ev := range events {
		p.tokens = append(p.tokens, ev.ReplyToken)
		p.kinds[ev.Type]++
	}
	p.lag = max(p.lag, lag)
}

// run drives one phase for at most dur and at most events events (0: no
// count bound), open or closed loop per the options.
func (d *driver) run(ctx context.Context, dur time.Duration, events int) *phase {
	ph := newPhase()
	ph.start = time.Now()
	ctx, cancel := context.WithTimeout(ctx, dur+d.opts.Timeout*time.Duration(d.opts.Redeliver+2))
	defer cancel()
	if d.opts.Rate > 0 {
		d.open(ctx, ph, dur, events)
	} else {
		d.closed(ctx, ph, dur, events)
	}
	ph.end = time.Now()
	return ph
}

// prime has every user follow once, as fast as it goes (closed loop), so
// that the measured phases see conversations under way rather than a crowd
// of newcomers. It is bounded like any phase.
func (d *driver) prime(ctx context.Context, limit time.Duration) *phase {
	ph := newPhase()
	ph.start = time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit+d.opts.Timeout)
	defer cancel()
	d.closed(ctx, ph, limit, d.opts.Users)
	ph.end = time.Now()
	return ph
}

// open sends on a fixed timetable: body k at start + k·interval, whatever
// the answers to earlier bodies. Latency counts from the scheduled time, so
// a slow server cannot slow the generator down and hide its own latency.
func (d *driver) open(ctx context.Context, ph *phase, dur time.Duration, events int) {
	epb := d.opts.EventsPerBody
	interval := time.Duration(float64(time.Second) * float64(epb) / d.opts.Rate)
	slots := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	sent := 0
	for k := 0; ; k++ {
		at := ph.start.Add(time.Duration(k) * interval)
		n := epb
		if events > 0 {
			n = min(n, events-sent)
		}
		if n <= 0 || at.Sub(ph.start) >= dur {
			return
		}
		if wait := time.Until(at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		us, err := d.pool.take(ctx, n)
		if err != nil {
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			ph.mu.Lock()
			ph.stalls++
			ph.mu.Unlock()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				d.pool.give(us)
				return
			}
		}
		sent += n
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			d.deliver(ctx, ph, us, at)
		}()
	}
}

// closed keeps Concurrency bodies in flight, each sent as soon as the
// previous one of its worker was answered.
func (d *driver) closed(ctx context.Context, ph *phase, dur time.Duration, events int) {
	epb := d.opts.EventsPerBody
	deadline := ph.start.Add(dur)
	var reserved atomic.Int64
	var wg sync.WaitGroup
	for range d.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := epb
				if events > 0 {
					end := reserved.Add(int64(epb))
					if over := int(end) - events; over > 0 {
						n -= over
					}
					if n <= 0 {
						return
					}
				}
				us, err := d.pool.take(ctx, n)
				if err != nil {
					return
				}
				d.deliver(ctx, ph, us, time.Now())
			}
		}()
	}
	wg.Wait()
}

// deliver sends one body for the users, redelivers it like LINE while it is
// answered non-2xx, records the outcome and hands the users back.
func (d *driver) deliver(ctx context.Context, ph *phase, us []*user, scheduled time.Time) {
	events := make([]linefake.Event, len(us))
	for i, u := range us {
		events[i] = d.script.next(u)
	}
	lag := time.Since(scheduled)
	status := d.post(ctx, linefake.Body(destination, events...))
	latency := time.Since(scheduled)
	ok := status == "200" || (len(status) == 3 && status[0] == '2')

	var redeliveries []string
	for i := 0; !ok && i < d.opts.Redeliver && ctx.Err() == nil; i++ {
		t := time.NewTimer(d.opts.RedeliverWait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		again := make([]linefake.Event, len(events))
		for j, ev := range events {
			again[j] = ev.Redelivered()
		}
		st := d.post(ctx, linefake.Body(destination, again...))
		redeliveries = append(redeliveries, st)
		ok = st == "200" || (len(st) == 3 && st[0] == '2')
	}
	for i, u := range us {
		d.script.answered(u, events[i], ok)
	}
	ph.record(events, latency, status, redeliveries, ok, lag)
	d.pool.give(us)
}

// post sends a signed body and returns the status, or "error: <kind>" when
// no answer came.
func (d *driver) post(ctx context.Context, body []byte) string {
	return Post(ctx, d.client, d.url, d.opts.Secret, body)
}

// Post sends a webhook body signed with secret to url, as LINE does, and
// returns the status code, or "error: <kind>" when no answer came.
func Post(ctx context.Context, c *http.Client, url, secret string, body []byte) string {
	req, err := linefake.NewClientRequest(ctx, url, secret, body)
	if err != nil {
		return "error: request"
	}
	req.ContentLength = int64(len(body))
	res, err := c.Do(req)
	if err != nil {
		return "error: " + ErrKind(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return strconv.Itoa(res.StatusCode)
}

// ErrKind names why a request got no answer, for counting.
func ErrKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op
	}
	return "transport"
}
