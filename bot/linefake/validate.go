package linefake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/rivo/uniseg"
)

// Limits of the Messaging API (line-platform.md and the API reference). Text
// lengths count UTF-16 code units unless a comment says graphemes; LINE
// counts action labels, postback displayText/text and template text/title in
// grapheme clusters.
const (
	maxMessages         = 5
	maxTextLen          = 5000 // UTF-16
	maxQuickReplyItems  = 13
	maxLabel            = 20 // graphemes; quick replies and templates
	maxFlexLabel        = 40 // graphemes; flex components
	maxData             = 300
	maxDisplayText      = 300 // graphemes
	maxURI              = 1000
	maxClipboardText    = 1000
	maxImageURL         = 2000
	maxTemplateAltText  = 400
	maxFlexAltText      = 1500
	maxButtonsText      = 160 // graphemes
	maxButtonsTextImage = 60  // graphemes, with a title or thumbnail
	maxButtonsTitle     = 40  // graphemes
	maxButtonsActions   = 4
	maxConfirmText      = 240 // graphemes
	maxSenderName       = 20
	maxBubbleBytes      = 30_000 // "30 KB"; the smaller reading, to stay strict
	maxCarouselBytes    = 50_000
	maxCarouselBubbles  = 12
)

// details collects validation errors the way LINE reports them: one entry per
// offending property, with a JSON path such as "messages[0].text".
type details []ErrorDetail

func (d *details) add(property, format string, args ...any) {
	*d = append(*d, ErrorDetail{Message: fmt.Sprintf(format, args...), Property: property})
}

// response turns the collected errors into LINE's 400 body.
func (d details) response() ErrorResponse {
	return ErrorResponse{Message: fmt.Sprintf("The request body has %d error(s)", len(d)), Details: d}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// decodeStrict decodes body into v (a pointer to a request struct), rejecting
// what encoding/json would let through: unknown properties at any depth,
// properties of another variant of a polymorphic schema, keys that differ
// from the schema only in case, and values of the wrong JSON type. ok is
// false for a body that is not JSON at all; d lists the schema violations.
func decodeStrict(body []byte, v any) (d details, ok bool) {
	if !json.Valid(body) {
		return nil, false
	}
	checkValue(reflect.TypeOf(v).Elem(), body, "", &d)
	if len(d) > 0 {
		return d, true
	}
	if err := json.Unmarshal(body, v); err != nil {
		// checkValue should have caught everything json rejects.
		d.add("", "The request body could not be decoded: %v", err)
	}
	return d, true
}

// checkValue checks raw against the Go type t that mirrors its schema.
func checkValue(t reflect.Type, raw json.RawMessage, path string, d *details) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return // same as absent; required properties are checked by the rules
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkValue(t.Elem(), raw, path, d)
	case reflect.Struct:
		checkObject(t, raw, path, d)
	case reflect.Slice:
		var elems []json.RawMessage
		if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
			d.add(path, "Must be an array")
			return
		}
		for i, e := range elems {
			checkValue(t.Elem(), e, index(path, i), d)
		}
	case reflect.String:
		if raw[0] != '"' {
			d.add(path, "Must be a string")
		}
	case reflect.Bool:
		if string(raw) != "true" && string(raw) != "false" {
			d.add(path, "Must be a boolean")
		}
	case reflect.Int32:
		var n int32
		if raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
			d.add(path, "Must be a 32-bit integer")
		}
	case reflect.Int64:
		var n int64
		if raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
			d.add(path, "Must be an integer")
		}
	default:
		panic("linefake: no strict decoding for " + t.String())
	}
}

func checkObject(t reflect.Type, raw json.RawMessage, path string, d *details) {
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		d.add(path, "Must be an object")
		return
	}
	s := schemaOf(t)
	variant := ""
	if s.types != nil {
		tp := join(path, "type")
		rawType, ok := obj["type"]
		if !ok || string(rawType) == "null" {
			d.add(tp, "Must be specified")
			return // the variant decides which properties exist
		}
		if err := json.Unmarshal(rawType, &variant); err != nil {
			d.add(tp, "Must be a string")
			return
		}
		if !slices.Contains(s.types, variant) {
			d.add(tp, "Must be one of the following values: [%s] (linefake supports these)", strings.Join(s.types, ", "))
			return
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // stable error order
	for _, k := range keys {
		f, ok := s.fields[k]
		if !ok || (f.in != nil && !slices.Contains(f.in, variant)) {
			if variant != "" {
				d.add(join(path, k), "Unknown property for type %q", variant)
			} else {
				d.add(join(path, k), "Unknown property")
			}
			continue
		}
		checkValue(f.typ, obj[k], join(path, k), d)
	}
}

// schema is what checkObject needs to know about a mirror struct.
type schema struct {
	types  []string // accepted discriminator values; nil: not polymorphic
	fields map[string]schemaField
}

type schemaField struct {
	typ reflect.Type
	in  []string // variants having the property; nil: all
}

var schemas sync.Map // reflect.Type → *schema

func schemaOf(t reflect.Type) *schema {
	if s, ok := schemas.Load(t); ok {
		return s.(*schema)
	}
	s := &schema{fields: make(map[string]schemaField)}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if ts := f.Tag.Get("types"); ts != "" {
			s.types = strings.Split(ts, ",")
		}
		var in []string
		if v := f.Tag.Get("in"); v != "" {
			in = strings.Split(v, ",")
		}
		s.fields[name] = schemaField{typ: f.Type, in: in}
	}
	actual, _ := schemas.LoadOrStore(t, s)
	return actual.(*schema)
}

// validateMessages applies LINE's rules to decoded messages. raw holds each
// message's JSON, for the size limits of flex messages.
func validateMessages(msgs []Message, raw []json.RawMessage, d *details) {
	if len(msgs) < 1 || len(msgs) > maxMessages {
		d.add("messages", "Size must be between 1 and %d", maxMessages)
	}
	for i := range msgs {
		var r json.RawMessage
		if i < len(raw) {
			r = raw[i]
		}
		validateMessage(&msgs[i], r, index("messages", i), d)
	}
}

func validateMessage(m *Message, raw json.RawMessage, p string, d *details) {
	if m.QuickReply != nil {
		validateQuickReply(m.QuickReply, join(p, "quickReply"), d)
	}
	if m.Sender != nil {
		validateSender(m.Sender, join(p, "sender"), d)
	}
	switch m.Type {
	case "text":
		requireLen(d, join(p, "text"), m.Text, 1, maxTextLen, utf16Len)
		for i, e := range m.Emojis {
			ep := index(join(p, "emojis"), i)
			if e.ProductID == "" {
				d.add(join(ep, "productId"), "Must be specified")
			}
			if e.EmojiID == "" {
				d.add(join(ep, "emojiId"), "Must be specified")
			}
			if e.Index < 0 || int(e.Index) >= utf16Len(m.Text) || utf16At(m.Text, int(e.Index)) != '$' {
				d.add(join(ep, "index"), "Must point at a $ placeholder in text")
			}
		}
	case "sticker":
		if m.PackageID == "" {
			d.add(join(p, "packageId"), "Must be specified")
		}
		if m.StickerID == "" {
			d.add(join(p, "stickerId"), "Must be specified")
		}
	case "template":
		requireLen(d, join(p, "altText"), m.AltText, 1, maxTemplateAltText, utf16Len)
		if m.Template == nil {
			d.add(join(p, "template"), "Must be specified")
			return
		}
		validateTemplate(m.Template, join(p, "template"), d)
	case "flex":
		requireLen(d, join(p, "altText"), m.AltText, 1, maxFlexAltText, utf16Len)
		if m.Contents == nil {
			d.add(join(p, "contents"), "Must be specified")
			return
		}
		validateFlexSize(raw, m.Contents.Type, join(p, "contents"), d)
		validateContainer(m.Contents, join(p, "contents"), d)
	}
}

func validateQuickReply(q *QuickReply, p string, d *details) {
	ip := join(p, "items")
	if len(q.Items) < 1 || len(q.Items) > maxQuickReplyItems {
		d.add(ip, "Size must be between 1 and %d", maxQuickReplyItems)
	}
	for i, it := range q.Items {
		pp := index(ip, i)
		switch it.Type {
		case "action":
		case "":
			d.add(join(pp, "type"), `Must be specified ("action"); the SDK does not fill it in`)
		default:
			d.add(join(pp, "type"), `Must be "action"`)
		}
		if it.ImageURL != "" {
			validateImageURL(it.ImageURL, join(pp, "imageUrl"), d)
		}
		if it.Action == nil {
			d.add(join(pp, "action"), "Must be specified")
			continue
		}
		validateAction(it.Action, inQuickReply, join(pp, "action"), d)
	}
}

func validateSender(s *Sender, p string, d *details) {
	if graphemeLen(s.Name) > maxSenderName {
		d.add(join(p, "name"), "Length must be between 0 and %d", maxSenderName)
	}
	if s.IconURL != "" {
		validateImageURL(s.IconURL, join(p, "iconUrl"), d)
	}
}

func validateTemplate(t *Template, p string, d *details) {
	switch t.Type {
	case "buttons":
		limit := maxButtonsText
		if t.Title != "" || t.ThumbnailImageURL != "" {
			limit = maxButtonsTextImage
		}
		requireLen(d, join(p, "text"), t.Text, 1, limit, graphemeLen)
		if graphemeLen(t.Title) > maxButtonsTitle {
			d.add(join(p, "title"), "Length must be between 0 and %d", maxButtonsTitle)
		}
		if t.ThumbnailImageURL != "" {
			validateImageURL(t.ThumbnailImageURL, join(p, "thumbnailImageUrl"), d)
		}
		oneOf(d, join(p, "imageAspectRatio"), t.ImageAspectRatio, "rectangle", "square")
		oneOf(d, join(p, "imageSize"), t.ImageSize, "cover", "contain")
		if t.DefaultAction != nil {
			validateAction(t.DefaultAction, inDefaultAction, join(p, "defaultAction"), d)
		}
		if len(t.Actions) < 1 || len(t.Actions) > maxButtonsActions {
			d.add(join(p, "actions"), "Size must be between 1 and %d", maxButtonsActions)
		}
	case "confirm":
		requireLen(d, join(p, "text"), t.Text, 1, maxConfirmText, graphemeLen)
		if len(t.Actions) != 2 {
			d.add(join(p, "actions"), "Size must be 2")
		}
	}
	for i := range t.Actions {
		validateAction(&t.Actions[i], inTemplate, index(join(p, "actions"), i), d)
	}
}

// validateFlexSize enforces the JSON size limits of a flex container.
func validateFlexSize(rawMessage json.RawMessage, typ, p string, d *details) {
	var m struct {
		Contents json.RawMessage `json:"contents"`
	}
	if json.Unmarshal(rawMessage, &m) != nil {
		return
	}
	limit := maxBubbleBytes
	if typ == "carousel" {
		limit = maxCarouselBytes
	}
	if len(m.Contents) > limit {
		d.add(p, "Size of the %s JSON must be at most %d bytes, got %d", typ, limit, len(m.Contents))
	}
}

func validateContainer(c *FlexContainer, p string, d *details) {
	switch c.Type {
	case "bubble":
		validateBubble(c, p, d)
	case "carousel":
		cp := join(p, "contents")
		if len(c.Contents) < 1 || len(c.Contents) > maxCarouselBubbles {
			d.add(cp, "Size must be between 1 and %d", maxCarouselBubbles)
		}
		for i := range c.Contents {
			bp := index(cp, i)
			if c.Contents[i].Type != "bubble" {
				d.add(join(bp, "type"), "Must be bubble")
				continue
			}
			validateBubble(&c.Contents[i], bp, d)
		}
	}
}

func validateBubble(b *FlexContainer, p string, d *details) {
	oneOf(d, join(p, "direction"), b.Direction, "ltr", "rtl")
	oneOf(d, join(p, "size"), b.Size, "nano", "micro", "deca", "hecto", "kilo", "mega", "giga")
	for _, blk := range []struct {
		name  string
		c     *FlexComponent
		types []string
	}{
		{"header", b.Header, []string{"box"}},
		{"hero", b.Hero, []string{"box", "image", "video"}},
		{"body", b.Body, []string{"box"}},
		{"footer", b.Footer, []string{"box"}},
	} {
		if blk.c == nil {
			continue
		}
		bp := join(p, blk.name)
		if !slices.Contains(blk.types, blk.c.Type) {
			d.add(join(bp, "type"), "Must be one of the following values: [%s]", strings.Join(blk.types, ", "))
			continue
		}
		validateComponent(blk.c, bp, d)
	}
	if b.Action != nil {
		validateAction(b.Action, inFlex, join(p, "action"), d)
	}
}

// validateComponent checks one flex component and its children.
func validateComponent(c *FlexComponent, p string, d *details) {
	oneOf(d, join(p, "position"), c.Position, "relative", "absolute")
	if c.Action != nil {
		where := inFlex
		if c.Type == "button" {
			where = inFlexButton
		}
		validateAction(c.Action, where, join(p, "action"), d)
	}
	switch c.Type {
	case "box":
		switch c.Layout {
		case "horizontal", "vertical", "baseline":
		case "":
			d.add(join(p, "layout"), "Must be specified")
		default:
			d.add(join(p, "layout"), "Must be one of the following values: [horizontal, vertical, baseline]")
		}
		oneOf(d, join(p, "justifyContent"), c.JustifyContent, "center", "flex-start", "flex-end", "space-between", "space-around", "space-evenly")
		oneOf(d, join(p, "alignItems"), c.AlignItems, "center", "flex-start", "flex-end")
		for i := range c.Contents {
			cp := index(join(p, "contents"), i)
			child := &c.Contents[i]
			switch {
			case child.Type == "span" || child.Type == "video":
				d.add(join(cp, "type"), "A %s cannot be placed in a box", child.Type)
			case child.Type == "icon" && c.Layout != "baseline":
				d.add(join(cp, "type"), "An icon can only be placed in a baseline box")
			default:
				validateComponent(child, cp, d)
			}
		}
	case "button":
		if c.Action == nil {
			d.add(join(p, "action"), "Must be specified")
		}
		oneOf(d, join(p, "style"), c.Style, "primary", "secondary", "link")
		oneOf(d, join(p, "height"), c.Height, "md", "sm")
		oneOf(d, join(p, "gravity"), c.Gravity, "top", "bottom", "center")
		oneOf(d, join(p, "adjustMode"), c.AdjustMode, "shrink-to-fit")
	case "image":
		requireImageURL(c.URL, join(p, "url"), d)
		oneOf(d, join(p, "align"), c.Align, "start", "end", "center")
		oneOf(d, join(p, "gravity"), c.Gravity, "top", "bottom", "center")
		oneOf(d, join(p, "aspectMode"), c.AspectMode, "fit", "cover")
	case "video":
		requireImageURL(c.URL, join(p, "url"), d)
		requireImageURL(c.PreviewURL, join(p, "previewUrl"), d)
		if c.AltContent == nil {
			d.add(join(p, "altContent"), "Must be specified")
		} else {
			validateComponent(c.AltContent, join(p, "altContent"), d)
		}
	case "icon":
		requireImageURL(c.URL, join(p, "url"), d)
	case "text":
		if c.Text == "" && len(c.Contents) == 0 {
			d.add(join(p, "text"), "Must be specified unless contents has spans")
		}
		for i := range c.Contents {
			sp := index(join(p, "contents"), i)
			if c.Contents[i].Type != "span" {
				d.add(join(sp, "type"), "Must be span")
				continue
			}
			validateComponent(&c.Contents[i], sp, d)
		}
		validateTextStyle(c, p, d)
		oneOf(d, join(p, "align"), c.Align, "start", "end", "center")
		oneOf(d, join(p, "gravity"), c.Gravity, "top", "bottom", "center")
		oneOf(d, join(p, "adjustMode"), c.AdjustMode, "shrink-to-fit")
		if c.MaxLines < 0 {
			d.add(join(p, "maxLines"), "Must be at least 0")
		}
	case "span":
		if c.Text == "" {
			d.add(join(p, "text"), "Must be specified")
		}
		validateTextStyle(c, p, d)
	}
}

func validateTextStyle(c *FlexComponent, p string, d *details) {
	oneOf(d, join(p, "weight"), c.Weight, "regular", "bold")
	oneOf(d, join(p, "style"), c.Style, "normal", "italic")
	oneOf(d, join(p, "decoration"), c.Decoration, "none", "underline", "line-through")
}

// actionPlace is where an action sits; label rules depend on it.
type actionPlace int

const (
	inQuickReply    actionPlace = iota // label required, 20
	inTemplate                         // label required, 20
	inDefaultAction                    // template defaultAction: label optional, 20
	inFlexButton                       // label required, 40
	inFlex                             // other flex components: label optional, 40
)

func validateAction(a *Action, where actionPlace, p string, d *details) {
	lp := join(p, "label")
	switch where {
	case inQuickReply, inTemplate:
		requireLen(d, lp, a.Label, 1, maxLabel, graphemeLen)
	case inDefaultAction:
		requireLen(d, lp, a.Label, 0, maxLabel, graphemeLen)
	case inFlexButton:
		requireLen(d, lp, a.Label, 1, maxFlexLabel, graphemeLen)
	case inFlex:
		requireLen(d, lp, a.Label, 0, maxFlexLabel, graphemeLen)
	}
	switch a.Type {
	case "camera", "cameraRoll", "location":
		if where != inQuickReply {
			d.add(join(p, "type"), "A %s action can only be used in a quick reply", a.Type)
		}
	case "postback":
		requireLen(d, join(p, "data"), a.Data, 1, maxData, utf16Len)
		requireLen(d, join(p, "displayText"), a.DisplayText, 0, maxDisplayText, graphemeLen)
		requireLen(d, join(p, "text"), a.Text, 0, maxDisplayText, graphemeLen)
		if a.DisplayText != "" && a.Text != "" {
			d.add(join(p, "text"), "Cannot be used with displayText")
		}
		oneOf(d, join(p, "inputOption"), a.InputOption, "closeRichMenu", "openRichMenu", "openKeyboard", "openVoice")
		requireLen(d, join(p, "fillInText"), a.FillInText, 0, maxDisplayText, graphemeLen)
	case "message":
		requireLen(d, join(p, "text"), a.Text, 1, maxDisplayText, graphemeLen)
	case "uri":
		validateURI(a.URI, true, join(p, "uri"), d)
		if a.AltURI != nil && a.AltURI.Desktop != "" {
			validateURI(a.AltURI.Desktop, false, join(p, "altUri.desktop"), d)
		}
	case "clipboard":
		requireLen(d, join(p, "clipboardText"), a.ClipboardText, 1, maxClipboardText, utf16Len)
	case "datetimepicker":
		requireLen(d, join(p, "data"), a.Data, 1, maxData, utf16Len)
		validateDatetimePicker(a, p, d)
	}
}

func validateURI(s string, allowTel bool, p string, d *details) {
	if s == "" {
		d.add(p, "Must be specified")
		return
	}
	if utf16Len(s) > maxURI {
		d.add(p, "Length must be between 1 and %d", maxURI)
	}
	u, err := url.Parse(s)
	if err != nil {
		d.add(p, "Invalid URI: %v", err)
		return
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "line":
	case "tel":
		if !allowTel {
			d.add(p, "The scheme must be http, https or line")
		} else if strings.Contains(s, "#") {
			d.add(p, "Percent-encode # in a tel: URI as %%23")
		}
	default:
		d.add(p, "The scheme must be http, https, line or tel")
	}
}

func validateImageURL(s, p string, d *details) {
	if utf16Len(s) > maxImageURL {
		d.add(p, "Length must be between 1 and %d", maxImageURL)
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
		d.add(p, "Must be an https URL")
	}
}

func requireImageURL(s, p string, d *details) {
	if s == "" {
		d.add(p, "Must be specified")
		return
	}
	validateImageURL(s, p, d)
}

// Datetime picker value layouts per mode; LINE also accepts a lower-case t.
var pickerLayouts = map[string]struct {
	layout, min, max string
}{
	"date":     {"2006-01-02", "1900-01-01", "2100-12-31"},
	"time":     {"15:04", "00:00", "23:59"},
	"datetime": {"2006-01-02T15:04", "1900-01-01T00:00", "2100-12-31T23:59"},
}

func validateDatetimePicker(a *Action, p string, d *details) {
	spec, ok := pickerLayouts[a.Mode]
	if !ok {
		if a.Mode == "" {
			d.add(join(p, "mode"), "Must be specified")
		} else {
			d.add(join(p, "mode"), "Must be one of the following values: [date, time, datetime]")
		}
		return
	}
	lo, _ := time.Parse(spec.layout, spec.min)
	hi, _ := time.Parse(spec.layout, spec.max)
	parse := func(name, v string) (time.Time, bool) {
		if v == "" {
			return time.Time{}, false
		}
		if a.Mode == "datetime" && len(v) > 10 && v[10] == 't' {
			v = v[:10] + "T" + v[11:]
		}
		t, err := time.Parse(spec.layout, v)
		if err != nil {
			d.add(join(p, name), "Must be in the format %s for mode %s", spec.min, a.Mode)
			return time.Time{}, false
		}
		if t.Before(lo) || t.After(hi) {
			d.add(join(p, name), "Must be between %s and %s", spec.min, spec.max)
			return time.Time{}, false
		}
		return t, true
	}
	initial, okI := parse("initial", a.Initial)
	minT, okMin := parse("min", a.Min)
	maxT, okMax := parse("max", a.Max)
	if okMin && okMax && !maxT.After(minT) {
		d.add(join(p, "max"), "Must be greater than min")
	}
	if okI && okMin && initial.Before(minT) {
		d.add(join(p, "initial"), "Must not be before min")
	}
	if okI && okMax && initial.After(maxT) {
		d.add(join(p, "initial"), "Must not be after max")
	}
}

// requireLen checks that length(s) is within [lo, hi]; lo > 0 makes s required.
func requireLen(d *details, p, s string, lo, hi int, length func(string) int) {
	switch n := length(s); {
	case n == 0 && lo > 0:
		d.add(p, "Must be specified")
	case n < lo || n > hi:
		d.add(p, "Length must be between %d and %d", lo, hi)
	}
}

// oneOf checks an optional enumerated property.
func oneOf(d *details, p, v string, allowed ...string) {
	if v != "" && !slices.Contains(allowed, v) {
		d.add(p, "Must be one of the following values: [%s]", strings.Join(allowed, ", "))
	}
}

// utf16Len is the length LINE applies to most texts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// utf16At returns the UTF-16 code unit at index i of s.
func utf16At(s string, i int) uint16 {
	u := utf16.Encode([]rune(s))
	if i < 0 || i >= len(u) {
		return 0
	}
	return u[i]
}

// graphemeLen is the number of extended grapheme clusters (UAX #29) in s,
// which LINE counts for labels and template texts: a flag, a ZWJ family or a
// letter with its combining marks is one.
func graphemeLen(s string) int { return uniseg.GraphemeClusterCount(s) }
