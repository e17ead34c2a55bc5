package load

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// memorySample is how many users' keys MEMORY USAGE looks at.
const memorySample = 200

// Run starts the fake LINE API and the target, loads it, checks the
// replies and measures. Progress lines go to progress.
func Run(ctx context.Context, opts Options, fakeAddr string, start Starter, progress io.Writer) (*Report, error) {
	opts.Defaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	fake, err := StartFake(fakeAddr, opts.Token, opts.SchemaEvery)
	if err != nil {
		return nil, err
	}
	defer fake.Close()
	fmt.Fprintf(progress, "fake LINE API at %s (token %q)\n", fake.URL(), opts.Token)

	probe, err := openProbe(ctx, opts.RedisURL)
	if err != nil {
		return nil, err
	}
	defer probe.close()
	var notes []string
	if probe != nil && opts.Flush {
		if err := probe.flush(ctx); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "flushed %s\n", storageRedact(opts.RedisURL))
	}

	target, err := start(ctx, fake.URL())
	if err != nil {
		return nil, err
	}
	stopTarget := sync.OnceFunc(func() {
		if err := target.Stop(); err != nil {
			fmt.Fprintf(progress, "%v\n", err)
		}
	})
	defer stopTarget()
	fmt.Fprintf(progress, "%s ready at %s\n", target.Name, target.URL)

	var memBefore redisSnapshot
	if probe != nil {
		if memBefore, err = probe.snapshot(ctx); err != nil {
			notes = append(notes, "redis: "+err.Error())
			probe = nil
		}
	}

	d := newDriver(opts, target.URL, fake)
	defer d.close()
	warm := warmUp(ctx, opts, d, probe, progress)
	notes = append(notes, warm.notes...)
	m, err := measure(ctx, opts, d, probe, target, progress)
	if err != nil {
		return nil, err
	}

	r := newReport(opts, target.Name, m.phase, fake.Check(append(warm.tokens, m.phase.tokens...), 2*time.Second), m.machine)
	notes = append(notes, paceNotes(opts, r)...)
	if m.cpuErr == nil && r.Events > 0 {
		v := m.serverCPU * 1000 / float64(r.Events)
		r.CPU.Server = &v
	} else if m.cpuErr != nil {
		notes = append(notes, fmt.Sprintf("server CPU unknown: %v", m.cpuErr))
	}
	if r.Events > 0 {
		r.CPU.LoadTool = m.toolCPU * 1000 / float64(r.Events)
	}
	if probe != nil {
		// Weigh the users once the server stopped: its shutdown clears the
		// outboxes of performed replies that would otherwise wait a minute
		// for the users' next events, and at rest they are gone.
		stopTarget()
		notes = append(notes, redisReport(ctx, r, probe, m, warm, memBefore, d.pool.touched())...)
	}
	if rj := fake.Server().Stats(); rj.Rejected > 0 {
		notes = append(notes, fmt.Sprintf("the fake LINE API refused %d requests", rj.Rejected))
	}
	if opts.SchemaEvery > 1 {
		notes = append(notes, fmt.Sprintf("the fake LINE API checked the schema of 1 body in %d (the rest only decoded, tokens and rules checked on all): --schema-every 1 checks all", opts.SchemaEvery))
	}
	r.Notes = notes
	r.Targets = judge(r, nil)
	return r, nil
}

// warmed is what priming and the warm-up leave for the report: the reply
// tokens to check, and the Redis round trips MONITOR counted.
type warmed struct {
	tokens   []string
	rtClient map[string]int64 // commands by name, over rtEvents events
	rtEvents int
	notes    []string
}

// warmUp primes the users and warms the target up. The first half of the
// warm-up loads the scripts and fills the pools; MONITOR counts the round
// trips of the second, in the steady state.
func warmUp(ctx context.Context, opts Options, d *driver, probe *redisProbe, progress io.Writer) warmed {
	var w warmed
	if opts.Prime {
		fmt.Fprintf(progress, "priming: %d users follow\n", opts.Users)
		w.tokens = append(w.tokens, d.prime(ctx, 2*time.Minute).tokens...)
	}
	if opts.Warmup <= 0 {
		return w
	}
	fmt.Fprintf(progress, "warming up for %v\n", opts.Warmup)
	w.tokens = append(w.tokens, d.run(ctx, opts.Warmup/2, 0).tokens...)
	var mon *monitor
	if probe != nil {
		var err error
		if mon, err = probe.monitor(ctx); err != nil {
			w.notes = append(w.notes, "redis MONITOR: "+err.Error())
		}
	}
	ph := d.run(ctx, opts.Warmup-opts.Warmup/2, 0)
	w.tokens = append(w.tokens, ph.tokens...)
	if mon != nil {
		w.rtClient, _ = mon.stop()
		w.rtEvents = ph.events
	}
	return w
}

// measured is the measured phase and the counters read around it.
type measured struct {
	phase         *phase
	machine       Machine
	serverCPU     float64 // seconds of the target's CPU during the phase
	cpuErr        error   // why serverCPU is unknown
	toolCPU       float64 // seconds of the load tool's own CPU
	before, after redisSnapshot
}

// measure runs the measured phase, reading the CPU and Redis counters
// before and after it.
func measure(ctx context.Context, opts Options, d *driver, probe *redisProbe, target *Target, progress io.Writer) (*measured, error) {
	m := &measured{}
	var err error
	if probe != nil {
		if m.before, err = probe.snapshot(ctx); err != nil {
			return nil, err
		}
	}
	m.machine = machine()
	cpu0, cpuErr := targetCPU(target)
	self0 := selfCPU()
	fmt.Fprintf(progress, "loading %s: %s\n", target.Name, describe(opts))
	m.phase = d.run(ctx, opts.Duration, opts.Events)
	m.machine.LoadAfter = loadAvg()
	cpu1, cpuErr1 := targetCPU(target)
	m.toolCPU = selfCPU() - self0
	m.serverCPU, m.cpuErr = cpu1-cpu0, firstErr(cpuErr, cpuErr1)
	if probe != nil {
		if m.after, err = probe.snapshot(ctx); err != nil {
			return nil, err
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return m, nil
}

// newReport is the report of the measured phase ph, before Redis and CPU.
func newReport(opts Options, target string, ph *phase, replies ReplyCheck, mach Machine) *Report {
	r := &Report{
		Target:        target,
		Mode:          opts.Mode(),
		Rate:          opts.Rate,
		EventsPerBody: opts.EventsPerBody,
		Users:         opts.Users,
		TextRatio:     opts.TextRatio,
		ThinkSeconds:  opts.Think.Seconds(),
		Redeliver:     opts.Redeliver,
		WarmupSeconds: opts.Warmup.Seconds(),
		Seconds:       ph.end.Sub(ph.start).Seconds(),
		Events:        ph.events,
		EventTypes:    ph.kinds,
		Bodies:        ph.bodies,
		Latency:       latencyStats(ph.latencies),
		Status:        ph.status,
		Redeliveries:  ph.redeliver,
		BodiesFailed:  ph.failed,
		GeneratorLag:  ms(ph.lag),
		Stalls:        ph.stalls,
		Replies:       replies,
		Machine:       mach,
	}
	if opts.Rate <= 0 {
		r.Concurrency = opts.Concurrency
	}
	if r.Seconds > 0 {
		r.EventsPerSecond = float64(r.Events) / r.Seconds
	}
	for st, n := range r.Status {
		if len(st) != 3 || st[0] != '2' {
			r.Non2xx += n
		}
	}
	return r
}

// paceNotes say when the users, not the server, may have set the pace.
func paceNotes(opts Options, r *Report) []string {
	var notes []string
	if need := opts.Concurrency * opts.EventsPerBody; opts.Rate <= 0 && opts.Users < need {
		notes = append(notes, fmt.Sprintf("only %d users for %d events in flight: concurrency was limited by users", opts.Users, need))
	}
	if opts.Think > 0 {
		if most := float64(opts.Users) / opts.Think.Seconds(); r.EventsPerSecond > 0.9*most {
			notes = append(notes, fmt.Sprintf("%d users thinking %v between events carry at most %.0f events/s: the users, not the server, may have set the pace (raise --users)", opts.Users, opts.Think, most))
		}
	}
	return notes
}

// redisReport fills in r.Redis and Redis's share of r.CPU, and returns the
// notes on what it could not measure.
func redisReport(ctx context.Context, r *Report, probe *redisProbe, m *measured, warm warmed, memBefore redisSnapshot, touched []*user) []string {
	var notes []string
	r.Redis = probe.stats(m.before, m.after, r.Events)
	if warm.rtEvents > 0 {
		r.Redis.RoundTripsEvents = warm.rtEvents
		r.Redis.RoundTripsBy = map[string]float64{}
		var n int64
		for cmd, c := range warm.rtClient {
			n += c
			r.Redis.RoundTripsBy[cmd] = float64(c) / float64(warm.rtEvents)
		}
		r.Redis.RoundTripsPerEvent = float64(n) / float64(warm.rtEvents)
	} else {
		notes = append(notes, "round trips not counted (they are counted with MONITOR during the warm-up)")
	}
	if r.Redis.CPUPer1000 > 0 {
		v := r.Redis.CPUPer1000
		r.CPU.Redis = &v
	}
	// Let the last replies settle before weighing the users.
	if mem, err := probe.memory(ctx, memBefore.usedMemory, touched, memorySample); err != nil {
		notes = append(notes, "redis memory: "+err.Error())
	} else {
		mem.DatasetDelta = mem.datasetNow - memBefore.dataset
		if mem.Users > 0 {
			mem.DatasetPerUser = float64(mem.DatasetDelta) / float64(mem.Users)
		}
		r.Redis.Memory = mem
	}
	return notes
}

// Comparison is fraudnavi and the floor loaded the same way, back to back.
type Comparison struct {
	Fraudnavi *Report `json:"fraudnavi"`
	Floor     *Report `json:"floor"`
	// Ratio is fraudnavi's events/s over the floor's.
	Ratio   float64 `json:"ratio"`
	Targets []Check `json:"targets"`
}

// Compare runs fraudnavi, then the floor, with the same options. The floor
// uses no Redis.
func Compare(ctx context.Context, opts Options, fakeAddr string, fraudnavi, floor Starter, progress io.Writer) (*Comparison, error) {
	fr, err := Run(ctx, opts, fakeAddr, fraudnavi, progress)
	if err != nil {
		return nil, fmt.Errorf("fraudnavi: %w", err)
	}
	fo := opts
	fo.RedisURL, fo.Flush = "", false
	fo.Seed = opts.Seed + 1
	fl, err := Run(ctx, fo, fakeAddr, floor, progress)
	if err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	c := &Comparison{Fraudnavi: fr, Floor: fl}
	if fl.EventsPerSecond > 0 {
		c.Ratio = fr.EventsPerSecond / fl.EventsPerSecond
	}
	c.Targets = judge(fr, &c.Ratio)
	return c, nil
}

func targetCPU(t *Target) (float64, error) {
	if t.CPU == nil {
		return 0, fmt.Errorf("%s: no CPU source", t.Name)
	}
	return t.CPU()
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func describe(o Options) string {
	bound := fmt.Sprintf("for %v", o.Duration)
	if o.Events > 0 {
		bound = fmt.Sprintf("%d events (at most %v)", o.Events, o.Duration)
	}
	loop := fmt.Sprintf("closed loop, %d bodies in flight", o.Concurrency)
	if o.Rate > 0 {
		loop = fmt.Sprintf("open loop at %g events/s", o.Rate)
	}
	return fmt.Sprintf("%s, %d event(s)/body, %d users, %s", loop, o.EventsPerBody, o.Users, bound)
}

func latencyStats(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	q := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		return ms(s[min(max(i, 0), len(s)-1)])
	}
	return Latency{
		P50:  q(0.50),
		P90:  q(0.90),
		P99:  q(0.99),
		Max:  ms(s[len(s)-1]),
		Mean: ms(sum / time.Duration(len(s))),
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
