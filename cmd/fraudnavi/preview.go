package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/fraudnavi/fraudnavi/bot/preview"
	"github.com/fraudnavi/fraudnavi/flows"
)

// runPreview serves the browser preview of the conversation on a loopback
// address until ctx ends.
func runPreview(ctx context.Context, args []string, getenv func(string) string, clock flows.Clock, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("preview", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8090", "where to serve the page: a loopback address and port only")
	nowFlag := fl.String("now", "", "the clock's starting time, Asia/Tokyo (2026-11-24T23:30); the page can change it")
	if err := fl.Parse(args); err != nil || fl.NArg() > 0 {
		return errUsage
	}
	clock, err := fixedClock(*nowFlag, clock)
	if err != nil {
		return err
	}
	fsys := flowFiles("", getenv)
	g, err := flows.Load(fsys)
	if err != nil {
		return fmt.Errorf("load flows: %w", err)
	}
	eng, err := newEngine(g, getenv)
	if err != nil {
		return err
	}
	srv := &preview.Server{Engine: eng, Clock: clock, RichMenu: g.RichMenu}
	if g.RichMenu != nil {
		// A menu without its image yet is previewed without the menu.
		if srv.RichMenuImage, err = fs.ReadFile(fsys, richMenuImageFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("preview: %w", err)
		}
	}
	ps := &previewServer{addr: *addr, handler: srv.Handler()}
	var running components
	if err := running.start(ctx, "preview", ps); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "preview on http://%s/ (Ctrl-C to stop)\n", ps.ln.Addr())
	select {
	case err := <-ps.done:
		return fmt.Errorf("preview: %w", err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return running.shutdown(shutdown)
	}
}

// previewServer serves the preview page on a loopback address, with the
// same Start and Shutdown as serve's components.
type previewServer struct {
	addr    string
	handler http.Handler
	ln      net.Listener
	hs      *http.Server
	done    chan error // the error Serve stopped with, other than a shutdown
}

// Start listens (on a loopback address only: preview.Listen) and serves in
// the background.
func (p *previewServer) Start(context.Context) error {
	ln, err := preview.Listen(p.addr)
	if err != nil {
		return err
	}
	p.ln, p.done = ln, make(chan error, 1)
	p.hs = &http.Server{Handler: p.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			p.done <- err
		}
	}()
	return nil
}

// Shutdown stops the server, waiting within ctx for the requests in flight.
func (p *previewServer) Shutdown(ctx context.Context) error { return p.hs.Shutdown(ctx) }

// fixedClock is clock fixed at a --now value (Japan time), or clock itself
// when the flag is empty.
func fixedClock(now string, clock flows.Clock) (flows.Clock, error) {
	if now == "" {
		return clock, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", now, flows.Tokyo)
	if err != nil {
		return nil, fmt.Errorf("--now %q: want 2026-11-24T23:30", now)
	}
	return flows.FixedClock(t), nil
}
