package linefake

// The types below mirror the request schemas of LINE's OpenAPI description
// (messaging-api.yml) for the parts of the API the fake implements.
//
// Polymorphic schemas (Message, Action, Template, FlexContainer,
// FlexComponent) are each one Go struct holding the union of their variants'
// properties. Two struct tags drive the strict decoder in validate.go:
//
//	types:"a,b"  on the discriminator field: the accepted "type" values.
//	in:"a,b"     on a property: the variants that have it (no tag: all do).
//
// A request property the schema does not have, or one that belongs to another
// variant, is rejected, as LINE does. The decoded values are what Reply.Messages
// and Push.Messages return; treat them as read-only.

// replyRequest is ReplyMessageRequest.
type replyRequest struct {
	ReplyToken           string    `json:"replyToken"`
	Messages             []Message `json:"messages"`
	NotificationDisabled bool      `json:"notificationDisabled"`
}

// pushRequest is PushMessageRequest.
type pushRequest struct {
	To                     string    `json:"to"`
	Messages               []Message `json:"messages"`
	NotificationDisabled   bool      `json:"notificationDisabled"`
	CustomAggregationUnits []string  `json:"customAggregationUnits"`
}

// loadingRequest is ShowLoadingAnimationRequest.
type loadingRequest struct {
	ChatID         string `json:"chatId"`
	LoadingSeconds *int32 `json:"loadingSeconds"` // nil: LINE's default of 20 s
}

// Message is a decoded message object: a text, sticker, template or flex
// message (the types this bot sends; others are rejected as unsupported).
type Message struct {
	Type       string      `json:"type" types:"text,sticker,template,flex"`
	QuickReply *QuickReply `json:"quickReply,omitempty"`
	Sender     *Sender     `json:"sender,omitempty"`

	Text       string  `json:"text,omitempty" in:"text"`
	Emojis     []Emoji `json:"emojis,omitempty" in:"text"`
	QuoteToken string  `json:"quoteToken,omitempty" in:"text,sticker"`

	PackageID string `json:"packageId,omitempty" in:"sticker"`
	StickerID string `json:"stickerId,omitempty" in:"sticker"`

	AltText  string         `json:"altText,omitempty" in:"template,flex"`
	Template *Template      `json:"template,omitempty" in:"template"`
	Contents *FlexContainer `json:"contents,omitempty" in:"flex"`
}

// QuickReply is the quickReply property of a message.
type QuickReply struct {
	Items []QuickReplyItem `json:"items,omitempty"`
}

// QuickReplyItem is one quick-reply button. Type must be "action"; the SDK
// does not fill it in.
type QuickReplyItem struct {
	Type     string  `json:"type,omitempty"`
	ImageURL string  `json:"imageUrl,omitempty"`
	Action   *Action `json:"action,omitempty"`
}

// Sender changes the icon and display name of a message.
type Sender struct {
	Name    string `json:"name,omitempty"`
	IconURL string `json:"iconUrl,omitempty"`
}

// Emoji is a LINE emoji in a text message.
type Emoji struct {
	Index     int32  `json:"index"`
	ProductID string `json:"productId,omitempty"`
	EmojiID   string `json:"emojiId,omitempty"`
}

// Action is an action object. Camera, cameraRoll and location are accepted in
// quick replies only; richmenuswitch (rich menus only) is rejected.
type Action struct {
	Type  string `json:"type" types:"postback,message,uri,clipboard,datetimepicker,camera,cameraRoll,location"`
	Label string `json:"label,omitempty"`

	Data        string `json:"data,omitempty" in:"postback,datetimepicker"`
	DisplayText string `json:"displayText,omitempty" in:"postback"`
	Text        string `json:"text,omitempty" in:"postback,message"`
	InputOption string `json:"inputOption,omitempty" in:"postback"`
	FillInText  string `json:"fillInText,omitempty" in:"postback"`

	URI    string  `json:"uri,omitempty" in:"uri"`
	AltURI *AltURI `json:"altUri,omitempty" in:"uri"`

	ClipboardText string `json:"clipboardText,omitempty" in:"clipboard"`

	Mode    string `json:"mode,omitempty" in:"datetimepicker"`
	Initial string `json:"initial,omitempty" in:"datetimepicker"`
	Max     string `json:"max,omitempty" in:"datetimepicker"`
	Min     string `json:"min,omitempty" in:"datetimepicker"`
}

// AltURI is the desktop alternative of a URI action.
type AltURI struct {
	Desktop string `json:"desktop,omitempty"`
}

// Template is the template of a template message: buttons or confirm.
type Template struct {
	Type string `json:"type" types:"buttons,confirm"`

	ThumbnailImageURL    string  `json:"thumbnailImageUrl,omitempty" in:"buttons"`
	ImageAspectRatio     string  `json:"imageAspectRatio,omitempty" in:"buttons"`
	ImageSize            string  `json:"imageSize,omitempty" in:"buttons"`
	ImageBackgroundColor string  `json:"imageBackgroundColor,omitempty" in:"buttons"`
	Title                string  `json:"title,omitempty" in:"buttons"`
	DefaultAction        *Action `json:"defaultAction,omitempty" in:"buttons"`

	Text    string   `json:"text,omitempty"`
	Actions []Action `json:"actions,omitempty"`
}

// FlexContainer is a flex bubble or carousel.
type FlexContainer struct {
	Type string `json:"type" types:"bubble,carousel"`

	Direction string            `json:"direction,omitempty" in:"bubble"`
	Styles    *FlexBubbleStyles `json:"styles,omitempty" in:"bubble"`
	Header    *FlexComponent    `json:"header,omitempty" in:"bubble"`
	Hero      *FlexComponent    `json:"hero,omitempty" in:"bubble"`
	Body      *FlexComponent    `json:"body,omitempty" in:"bubble"`
	Footer    *FlexComponent    `json:"footer,omitempty" in:"bubble"`
	Size      string            `json:"size,omitempty" in:"bubble"`
	Action    *Action           `json:"action,omitempty" in:"bubble"`

	Contents []FlexContainer `json:"contents,omitempty" in:"carousel"`
}

// FlexBubbleStyles styles the blocks of a bubble.
type FlexBubbleStyles struct {
	Header *FlexBlockStyle `json:"header,omitempty"`
	Hero   *FlexBlockStyle `json:"hero,omitempty"`
	Body   *FlexBlockStyle `json:"body,omitempty"`
	Footer *FlexBlockStyle `json:"footer,omitempty"`
}

// FlexBlockStyle styles one block of a bubble.
type FlexBlockStyle struct {
	BackgroundColor string `json:"backgroundColor,omitempty"`
	Separator       bool   `json:"separator,omitempty"`
	SeparatorColor  string `json:"separatorColor,omitempty"`
}

// FlexComponent is a flex component: box, button, image, video, icon, text,
// span, separator or filler.
type FlexComponent struct {
	Type string `json:"type" types:"box,button,image,video,icon,text,span,separator,filler"`

	Layout   string          `json:"layout,omitempty" in:"box"`
	Contents []FlexComponent `json:"contents,omitempty" in:"box,text"`
	Flex     int32           `json:"flex,omitempty" in:"box,button,image,text,filler"`

	Text       string `json:"text,omitempty" in:"text,span"`
	Size       string `json:"size,omitempty" in:"image,icon,text,span"`
	Color      string `json:"color,omitempty" in:"button,text,span,separator"`
	Weight     string `json:"weight,omitempty" in:"text,span"`
	Style      string `json:"style,omitempty" in:"button,text,span"`
	Decoration string `json:"decoration,omitempty" in:"text,span"`
	Wrap       bool   `json:"wrap,omitempty" in:"text"`
	MaxLines   int32  `json:"maxLines,omitempty" in:"text"`

	LineSpacing string `json:"lineSpacing,omitempty" in:"text"`
	Align       string `json:"align,omitempty" in:"image,text"`
	Gravity     string `json:"gravity,omitempty" in:"button,image,text"`
	AdjustMode  string `json:"adjustMode,omitempty" in:"button,text"`
	Scaling     bool   `json:"scaling,omitempty" in:"button,icon,text"`

	Margin       string `json:"margin,omitempty" in:"box,button,image,icon,text,separator"`
	Position     string `json:"position,omitempty" in:"box,button,image,icon,text"`
	OffsetTop    string `json:"offsetTop,omitempty" in:"box,button,image,icon,text"`
	OffsetBottom string `json:"offsetBottom,omitempty" in:"box,button,image,icon,text"`
	OffsetStart  string `json:"offsetStart,omitempty" in:"box,button,image,icon,text"`
	OffsetEnd    string `json:"offsetEnd,omitempty" in:"box,button,image,icon,text"`

	Spacing         string             `json:"spacing,omitempty" in:"box"`
	BackgroundColor string             `json:"backgroundColor,omitempty" in:"box,image"`
	BorderColor     string             `json:"borderColor,omitempty" in:"box"`
	BorderWidth     string             `json:"borderWidth,omitempty" in:"box"`
	CornerRadius    string             `json:"cornerRadius,omitempty" in:"box"`
	Width           string             `json:"width,omitempty" in:"box"`
	MaxWidth        string             `json:"maxWidth,omitempty" in:"box"`
	Height          string             `json:"height,omitempty" in:"box,button"`
	MaxHeight       string             `json:"maxHeight,omitempty" in:"box"`
	PaddingAll      string             `json:"paddingAll,omitempty" in:"box"`
	PaddingTop      string             `json:"paddingTop,omitempty" in:"box"`
	PaddingBottom   string             `json:"paddingBottom,omitempty" in:"box"`
	PaddingStart    string             `json:"paddingStart,omitempty" in:"box"`
	PaddingEnd      string             `json:"paddingEnd,omitempty" in:"box"`
	JustifyContent  string             `json:"justifyContent,omitempty" in:"box"`
	AlignItems      string             `json:"alignItems,omitempty" in:"box"`
	Background      *FlexBoxBackground `json:"background,omitempty" in:"box"`

	Action *Action `json:"action,omitempty" in:"box,button,image,video,text"`

	URL         string         `json:"url,omitempty" in:"image,video,icon"`
	PreviewURL  string         `json:"previewUrl,omitempty" in:"video"`
	AltContent  *FlexComponent `json:"altContent,omitempty" in:"video"`
	AspectRatio string         `json:"aspectRatio,omitempty" in:"image,video,icon"`
	AspectMode  string         `json:"aspectMode,omitempty" in:"image"`
	Animated    bool           `json:"animated,omitempty" in:"image"`
}

// FlexBoxBackground is a box background (only linearGradient exists).
type FlexBoxBackground struct {
	Type           string `json:"type" types:"linearGradient"`
	Angle          string `json:"angle,omitempty"`
	StartColor     string `json:"startColor,omitempty"`
	EndColor       string `json:"endColor,omitempty"`
	CenterColor    string `json:"centerColor,omitempty"`
	CenterPosition string `json:"centerPosition,omitempty"`
}

// ErrorResponse is the body LINE answers errors with.
type ErrorResponse struct {
	Message string        `json:"message"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// ErrorDetail is one entry of ErrorResponse.Details.
type ErrorDetail struct {
	Message  string `json:"message"`
	Property string `json:"property,omitempty"`
}

type sentMessage struct {
	ID         string `json:"id"`
	QuoteToken string `json:"quoteToken,omitempty"`
}

// sentMessages is ReplyMessageResponse and PushMessageResponse.
type sentMessages struct {
	SentMessages []sentMessage `json:"sentMessages"`
}
