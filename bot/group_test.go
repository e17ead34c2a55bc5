package bot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/storage/storagetest"
)

// In a group or a multi-person chat (room) the bot says once that it works
// 1:1 and leaves (issue 11, item 8): it used to answer every message there
// with that notice and stay. Nothing is stored about anyone there.
func TestGroupsAndRoomsAreToldOnceThenLeft(t *testing.T) {
	inRoom := func(ev linefake.Event) linefake.Event {
		ev.Source = &linefake.Source{Type: "room", RoomID: "Rroom1", UserID: ev.Source.UserID}
		return ev
	}
	joined := func(ev linefake.Event) linefake.Event {
		ev.Type, ev.Message, ev.Source.UserID = "join", nil, ""
		return ev
	}
	cases := []struct {
		name     string
		event    func(h *harness, user string) linefake.Event
		kind, id string
	}{
		{"a message in a group", func(h *harness, user string) linefake.Event {
			return linefake.GroupTextEvent("Cgroup1", user, "助けて", linefake.ReplyTokenFrom(h.fake))
		}, "group", "Cgroup1"},
		{"a message in a room", func(h *harness, user string) linefake.Event {
			return inRoom(linefake.GroupTextEvent("", user, "助けて", linefake.ReplyTokenFrom(h.fake)))
		}, "room", "Rroom1"},
		{"added to a group", func(h *harness, user string) linefake.Event {
			return joined(linefake.GroupTextEvent("Cgroup2", user, "", linefake.ReplyTokenFrom(h.fake)))
		}, "group", "Cgroup2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T, b storagetest.Backend) {
				h := newHarness(t, b, loadFlows(t, miniFlows))
				user := storagetest.UserID()
				ev := c.event(h, user)
				if code := h.post(ev); code != http.StatusOK {
					t.Fatalf("status %d", code)
				}
				if rs := h.replyTo(ev); len(rs) != 1 || !strings.Contains(strings.Join(rs[0].Texts(), ""), "1対1") {
					t.Fatalf("replies %+v, want the 1:1 notice once", rs)
				}
				leaves := h.fake.Leaves()
				if len(leaves) != 1 || leaves[0].Kind != c.kind || leaves[0].ChatID != c.id {
					t.Fatalf("leaves %+v, want the bot to leave %s %s once", leaves, c.kind, c.id)
				}
				if keys := userKeys(t, h, user); len(keys) != 0 {
					t.Fatalf("state stored for a %s: %v", c.kind, keys)
				}
				h.noRejections()
			})
		})
	}
}
