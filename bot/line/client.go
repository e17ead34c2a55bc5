package line

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/fraudnavi/fraudnavi/flows"
	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"
)

// DefaultEndpoint is LINE's Messaging API.
const DefaultEndpoint = "https://api.line.me"

// Client sends replies and pushes.
type Client struct {
	api *messaging_api.MessagingApiAPI
	enc encoder
	// Observe, when set, is told of every call (metrics).
	Observe func(endpoint string, status int)
}

// NewClient returns a client for the API at endpoint. The HTTP client's
// timeout bounds every call: the SDK takes no context, and its WithContext
// option mutates a shared client.
func NewClient(token, endpoint string, hc *http.Client) (*Client, error) {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	api, err := messaging_api.NewMessagingApiAPI(token,
		messaging_api.WithEndpoint(endpoint),
		messaging_api.WithHTTPClient(hc),
	)
	if err != nil {
		return nil, fmt.Errorf("line client: %w", err)
	}
	return &Client{api: api}, nil
}

// APIError is a non-2xx answer from LINE.
type APIError struct {
	Status    int
	RequestID string // x-line-request-id, what LINE's support asks for
	Message   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("line api: status %d (request %s): %s", e.Status, e.RequestID, e.Message)
}

// Permanent reports whether retrying cannot help: a 4xx other than 429.
func (e *APIError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests
}

// TokenUsed reports whether a reply token was refused as used or expired.
func (e *APIError) TokenUsed() bool {
	return e.Status == http.StatusBadRequest && strings.Contains(e.Message, "Invalid reply token")
}

// MonthlyLimit reports whether the push quota of the month is used up.
func (e *APIError) MonthlyLimit() bool {
	return e.Status == http.StatusTooManyRequests && strings.Contains(e.Message, "monthly limit")
}

// ErrAlreadyAccepted is a push LINE already accepted under the same retry key
// (409): the message was sent, and this attempt must count as success.
var ErrAlreadyAccepted = errors.New("line api: retry key already accepted")

// Reply answers an event with its reply token. It is never retried: a reply
// token works once, and a retry after a lost answer could send twice.
func (c *Client) Reply(token string, r flows.Reply) error {
	body, err := c.enc.replyBody(token, r)
	if err != nil {
		return fmt.Errorf("line api reply: %w", err)
	}
	res, err := c.post("/v2/bot/message/reply", body, "")
	if err == nil {
		// As the SDK does: an answer it cannot read is an error.
		var sent messaging_api.ReplyMessageResponse
		if derr := json.NewDecoder(res.Body).Decode(&sent); derr != nil {
			err = fmt.Errorf("failed to decode JSON: %w", derr)
		}
	}
	return c.result("reply", res, err)
}

// Leave makes the bot leave a group (kind "group") or a multi-person chat
// ("room") by its id.
func (c *Client) Leave(kind, id string) error {
	var (
		res *http.Response
		err error
	)
	switch kind {
	case "group":
		res, _, err = c.api.LeaveGroupWithHttpInfo(id)
	case "room":
		res, _, err = c.api.LeaveRoomWithHttpInfo(id)
	default:
		return fmt.Errorf("line api leave: unknown chat kind %q", kind)
	}
	return c.result("leave", res, err)
}

// Push sends a message outside a reply. retryKey (a UUID) makes a retry of
// the same push safe: LINE answers 409 and does not send it again.
func (c *Client) Push(to, retryKey string, r flows.Reply) error {
	body, err := c.enc.pushBody(to, r)
	if err != nil {
		return fmt.Errorf("line api push: %w", err)
	}
	res, err := c.post("/v2/bot/message/push", body, retryKey)
	err = c.result("push", res, err)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return ErrAlreadyAccepted
	}
	return err
}

// post sends body to the API at path as the SDK's generated calls do: the
// SDK's Do adds the token and user agent, and a non-2xx answer becomes the
// same error the SDK returns, which result reads. retryKey, when set, is
// the push's X-Line-Retry-Key.
//
// The bodies are encoded here, not by the SDK: its request types would
// send "customAggregationUnits": null in a push (LINE's OpenAPI types it as
// an array), and encoding them on every call was much of the server's CPU.
func (c *Client) post(path string, body []byte, retryKey string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, c.api.Url(path), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if retryKey != "" {
		req.Header.Set("X-Line-Retry-Key", retryKey)
	}
	res, err := c.api.Do(req)
	if err != nil {
		return res, err
	}
	if res.StatusCode/100 != 2 {
		msg, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body = io.NopCloser(bytes.NewReader(msg))
		if err != nil {
			return res, fmt.Errorf("failed to read response body: %w", err)
		}
		return res, fmt.Errorf("unexpected status code: %d, %s", res.StatusCode, msg)
	}
	return res, nil
}

func (c *Client) result(endpoint string, res *http.Response, err error) error {
	status := 0
	if res != nil {
		status = res.StatusCode
		defer res.Body.Close()
	}
	if c.Observe != nil {
		c.Observe(endpoint, status)
	}
	if err == nil {
		return nil
	}
	if res == nil || res.StatusCode/100 == 2 {
		return fmt.Errorf("line api %s: %w", endpoint, err)
	}
	msg := err.Error()
	if i := strings.Index(msg, ", "); i >= 0 {
		msg = msg[i+2:]
	}
	return &APIError{Status: res.StatusCode, RequestID: res.Header.Get("X-Line-Request-Id"), Message: msg}
}

// PushQuota is the channel's message quota of this month and what pushes
// used of it. Limit is -1 when the plan has none.
type PushQuota struct {
	Limit, Used int64
}

// PushQuota asks LINE for this month's quota and consumption.
func (c *Client) PushQuota() (PushQuota, error) {
	q, err := c.api.GetMessageQuota()
	if err != nil {
		return PushQuota{}, fmt.Errorf("line api quota: %w", err)
	}
	used, err := c.api.GetMessageQuotaConsumption()
	if err != nil {
		return PushQuota{}, fmt.Errorf("line api quota consumption: %w", err)
	}
	limit := q.Value
	if q.Type == messaging_api.QuotaType_NONE {
		limit = -1
	}
	return PushQuota{Limit: limit, Used: used.TotalUsage}, nil
}
