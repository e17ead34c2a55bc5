package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fraudnavi/fraudnavi/bot/linefake"
	"github.com/fraudnavi/fraudnavi/flows"
)

// TestRichMenuApplyTwiceLeavesOneMenu: apply against the fake LINE creates
// the menu, uploads the image (the fake checks type, size and dimensions)
// and sets it as default; a second run changes nothing; a changed design
// replaces the old menu and deletes it. Every area sends a command's postback.
func TestRichMenuApplyTwiceLeavesOneMenu(t *testing.T) {
	fake := linefake.New()
	defer fake.Close()
	env := map[string]string{"LINE_CHANNEL_ACCESS_TOKEN": fake.Token(), "LINE_API_ENDPOINT": fake.URL()}

	apply := func(want string) linefake.RichMenu {
		t.Helper()
		out, errOut, err := runCmd(t, "", env, "richmenu", "apply")
		if err != nil {
			t.Fatalf("richmenu apply: %v\n%s\nrejected: %v", err, errOut, fake.Rejected())
		}
		if !strings.Contains(out, want) {
			t.Errorf("richmenu apply says %q, want %q", out, want)
		}
		menus := fake.RichMenus()
		if len(menus) != 1 {
			t.Fatalf("%d rich menus after apply, want 1: %+v", len(menus), menus)
		}
		if menus[0].Image == nil || fake.DefaultRichMenu() != menus[0].ID {
			t.Fatalf("the menu has no image or is not the default: default %q, menu %q", fake.DefaultRichMenu(), menus[0].ID)
		}
		return menus[0]
	}

	first := apply("created")
	g, err := flows.Load(flows.Content())
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Areas) != len(g.RichMenu.Areas) {
		t.Fatalf("%d areas, want %d", len(first.Areas), len(g.RichMenu.Areas))
	}
	for i, a := range first.Areas {
		if a.Action.Type != "postback" || !strings.HasPrefix(a.Action.Data, "g=") || a.Action.DisplayText != g.RichMenu.Areas[i].Label {
			t.Errorf("area %d: action %+v, want the postback of command %q", i, a.Action, g.RichMenu.Areas[i].Command)
		}
	}
	if again := apply("already in place"); again.ID != first.ID {
		t.Errorf("the second run replaced the menu: %s → %s", first.ID, again.ID)
	}

	// A content editor renames an area: the new design replaces the old.
	dir := t.TempDir()
	entries, err := os.ReadDir("../../flows/content")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("../../flows/content", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "richmenu.yaml" {
			data = []byte(strings.Replace(string(data), "label: ヘルプ\n", "label: 使いかた\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env["FLOWS_DIR"] = dir
	changed := apply("1 older design(s) deleted")
	if changed.ID == first.ID || changed.Areas[5].Action.DisplayText != "使いかた" {
		t.Errorf("the changed design did not replace the menu: %+v", changed)
	}
	if r := fake.Rejected(); len(r) > 0 {
		t.Errorf("rejected: %v", r)
	}
}

// TestRichMenuApplyNeedsAToken: no token, a clear error and nothing sent.
func TestRichMenuApplyNeedsAToken(t *testing.T) {
	fake := linefake.New()
	defer fake.Close()
	_, _, err := runCmd(t, "", map[string]string{"LINE_API_ENDPOINT": fake.URL()}, "richmenu", "apply")
	if err == nil || !strings.Contains(err.Error(), "LINE_CHANNEL_ACCESS_TOKEN") {
		t.Fatalf("err = %v, want one naming LINE_CHANNEL_ACCESS_TOKEN", err)
	}
	if n := len(fake.RichMenus()); n != 0 {
		t.Errorf("%d menus created", n)
	}
}
