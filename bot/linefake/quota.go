package linefake

import "net/http"

// Paths of the quota endpoints (messaging-api.yml).
const (
	PathQuota            = "/v2/bot/message/quota"
	PathQuotaConsumption = "/v2/bot/message/quota/consumption"
)

// serveQuota answers the month's quota (WithMonthlyQuota; "none" when
// unlimited) and its use (accepted pushes); ok is false for other paths.
func (s *Server) serveQuota(c *call) (ok bool) {
	if c.r.Method != http.MethodGet {
		return false
	}
	s.mu.Lock()
	quota, used := s.cfg.quota, s.stats.Pushes
	s.mu.Unlock()
	switch c.r.URL.Path {
	case PathQuota:
		if quota < 0 {
			c.respond(http.StatusOK, struct {
				Type string `json:"type"`
			}{"none"})
			return true
		}
		c.respond(http.StatusOK, struct {
			Type  string `json:"type"`
			Value int    `json:"value"`
		}{"limited", quota})
	case PathQuotaConsumption:
		c.respond(http.StatusOK, struct {
			TotalUsage int `json:"totalUsage"`
		}{used})
	default:
		return false
	}
	return true
}
