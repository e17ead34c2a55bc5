package bot

import "net/http"

// Handler is the routed HTTP handler, for tests that skip the network.
func (s *Server) Handler() http.Handler { return s.http.Handler }
