package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server is the HTTP side of fraudnavi: the webhook, health and metrics.
// It is the only place that knows echo, so moving to echo v5 touches this
// file alone.
type Server struct {
	// DrainDelay is how long Shutdown keeps serving with /readyz failing,
	// so the load balancer sees it before the listener closes; 0 closes at
	// once.
	DrainDelay time.Duration

	http     *http.Server
	log      *slog.Logger
	draining atomic.Bool
	ln       net.Listener
	done     chan error
}

// Server timeouts: LINE waits 2 s for an answer, and a slow client must not
// hold a connection open. readTimeout covers a 1 MiB body on a slow link;
// writeTimeout is counted from the end of the headers, so it also bounds the
// handler and must stay above webhookTimeout; idleTimeout lets LINE reuse
// its keep-alive connections.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 64 << 10 // LINE sends a few hundred bytes
)

// webhookTimeout bounds the work of one webhook request. That work is not
// cut short when the caller hangs up: LINE gives up after 2 s, and an event
// stopped between its state write and its reply would then wait for a
// redelivery that is off unless the operator turned it on. Finishing it is
// always safe: a redelivery of a finished event is acknowledged and sends
// nothing twice.
const webhookTimeout = 10 * time.Second

// Paths served.
const (
	PathCallback = "/callback"
	PathHealthz  = "/healthz"
	PathReadyz   = "/readyz"
	PathMetrics  = "/metrics"
)

// NewServer routes the webhook, /healthz, /readyz (ready when ready returns
// nil and the server is not draining) and /metrics.
func NewServer(addr string, wh http.Handler, ready func(context.Context) error, m *Metrics, log *slog.Logger) *Server {
	s := &Server{log: log, done: make(chan error, 1)}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		code := http.StatusInternalServerError
		var he *echo.HTTPError
		if errors.As(err, &he) {
			code = he.Code
		}
		_ = c.NoContent(code)
	}
	e.POST(PathCallback, echo.WrapHandler(detached(wh, webhookTimeout)))
	e.GET(PathHealthz, func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET(PathReadyz, func(c echo.Context) error {
		if s.draining.Load() {
			return c.String(http.StatusServiceUnavailable, "draining\n")
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if ready != nil {
			if err := ready(ctx); err != nil {
				return c.String(http.StatusServiceUnavailable, "not ready\n")
			}
		}
		return c.String(http.StatusOK, "ok\n")
	})
	if m != nil {
		e.GET(PathMetrics, echo.WrapHandler(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})))
	}
	s.http = &http.Server{
		Addr:              addr,
		Handler:           e,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// detached runs h with a context that is not cancelled when the client goes
// away, only after d.
func detached(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Start listens and serves in the background; ctx bounds only the listening.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.http.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.http.Addr, err)
	}
	s.ln = ln
	go func() {
		err := s.http.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return nil
}

// Addr is the address the server listens on (useful with ":0").
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.http.Addr
	}
	return s.ln.Addr().String()
}

// Done reports when the server stopped on its own, with why.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops taking work: /readyz fails at once so the load balancer
// moves away, then requests in flight finish, then the listener closes.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	select {
	case <-time.After(s.DrainDelay):
	case <-ctx.Done():
	}
	return s.http.Shutdown(ctx)
}
