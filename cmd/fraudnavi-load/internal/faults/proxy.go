package faults

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// Proxy is a round-robin reverse proxy: request k goes to backend k mod n,
// whatever user it carries, the way a load balancer without affinity sends
// LINE's webhooks to replicas. A backend that does not answer gives 502, so
// the driver redelivers.
type Proxy struct {
	srv      *http.Server
	ln       net.Listener
	backends []*url.URL
	next     atomic.Uint64
	counts   []atomic.Int64
}

// StartProxy listens on a free loopback port and forwards to the backends
// (base URLs, http://host:port).
func StartProxy(backends ...string) (*Proxy, error) {
	if len(backends) == 0 {
		return nil, fmt.Errorf("proxy: no backends")
	}
	p := &Proxy{counts: make([]atomic.Int64, len(backends))}
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("proxy: backend %q: %w", b, err)
		}
		p.backends = append(p.backends, u)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.ln = ln
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     30 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			i := int((p.next.Add(1) - 1) % uint64(len(p.backends)))
			p.counts[i].Add(1)
			r.SetURL(p.backends[i])
			r.Out.Host = r.In.Host
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the webhook URL through the proxy.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() + "/callback" }

// Counts is how many requests each backend was sent.
func (p *Proxy) Counts() []int64 {
	out := make([]int64, len(p.counts))
	for i := range p.counts {
		out[i] = p.counts[i].Load()
	}
	return out
}

// Close stops the proxy.
func (p *Proxy) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}
