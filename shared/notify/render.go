package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Slack limits (docs.slack.dev/reference/block-kit), counted here in
// UTF-16 code units, which is never less than Slack's character count.
const (
	maxHeaderText       = 150
	maxFieldText        = 2000
	maxFieldsPerSection = 10
	maxSectionText      = 3000
)

// Our own limits, to keep a message readable.
const (
	maxFallbackText   = 1000
	maxLabel          = 80
	maxActionText     = 500
	maxFieldSections  = 4 // 40 facts; the rest are counted in the context line
	moreActionReserve = 40
)

// slackMessage is an incoming-webhook payload.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
	// Verbatim stops Slack from turning URLs, #channels and @names in
	// mrkdwn into links and mentions.
	Verbatim bool `json:"verbatim,omitempty"`
}

func plainText(s string) *slackText { return &slackText{Type: "plain_text", Text: s} }
func mrkdwn(s string) slackText     { return slackText{Type: "mrkdwn", Text: s, Verbatim: true} }

// slackPayload renders f as a Block Kit message: a header with severity and
// summary, the key facts as section fields, the actions taken, and a context
// line. Every string from f is passed through escape, and every value sits
// in an inline code span, where Slack applies no *bold*, _italic_, ~strike~,
// :emoji: or > quote formatting.
func slackPayload(f Finding) slackMessage {
	prefix := "[" + strings.ToUpper(string(f.Severity)) + "] "
	msg := slackMessage{
		Text: prefix + escape(f.Summary, maxFallbackText-width(prefix), false),
		Blocks: []slackBlock{{
			Type: "header",
			Text: plainText(prefix + escape(f.Summary, maxHeaderText-width(prefix), false)),
		}},
	}

	var fields []slackText
	if account := strings.TrimSpace(f.AccountID + " " + f.AccountName); account != "" {
		if f.AccountID != "" && f.AccountName != "" {
			account = f.AccountID + " (" + f.AccountName + ")"
		}
		fields = append(fields, field("Account", account))
	}
	if f.Region != "" {
		fields = append(fields, field("Region", f.Region))
	}
	if f.Resource != "" {
		fields = append(fields, field("Resource", f.Resource))
	}
	for _, fact := range f.Details {
		fields = append(fields, field(label(fact.Key), factText(fact.Value)))
	}
	hidden := 0
	if limit := maxFieldSections * maxFieldsPerSection; len(fields) > limit {
		hidden = len(fields) - limit
		fields = fields[:limit]
	}
	for len(fields) > 0 {
		n := min(len(fields), maxFieldsPerSection)
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Fields: fields[:n]})
		fields = fields[n:]
	}

	actions := "*Actions taken*"
	if len(f.Actions) == 0 {
		actions += "\nnone"
	}
	for i, a := range f.Actions {
		line := "\n• " + code(a, maxActionText)
		if width(actions)+width(line) > maxSectionText-moreActionReserve {
			actions += fmt.Sprintf("\n• … and %d more", len(f.Actions)-i)
			break
		}
		actions += line
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: actions, Verbatim: true}})

	ctx := []string{
		"kind " + code(string(f.Kind), 100),
		"mode " + code(string(f.Mode), 100),
		"event " + code(f.EventID, 300),
		code(f.EventTime.UTC().Format(time.RFC3339), 100),
		"finding " + code(f.ID, 100),
	}
	if hidden > 0 {
		ctx = append(ctx, fmt.Sprintf("%d more details in the SNS message", hidden))
	}
	msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: []slackText{mrkdwn(strings.Join(ctx, " · "))}})
	return msg
}

// field is a section field: a bold label over the value in a code span.
func field(name, value string) slackText {
	head := "*" + name + "*\n"
	return mrkdwn(head + code(value, maxFieldText-width(head)))
}

// label turns a detail key such as "source_ip" into "Source ip", free of
// mrkdwn formatting characters.
func label(key string) string {
	s := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-':
			return ' '
		case '*', '~', '`':
			return -1
		}
		return r
	}, key)
	s = escape(s, maxLabel, false)
	if r, n := utf8.DecodeRuneInString(s); n > 0 {
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	return s
}

// factText shows a detail value: a string as it is, anything else as
// compact JSON.
func factText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := marshal(v)
	if err != nil {
		return fmt.Sprintf("(cannot show: %v)", err)
	}
	return string(b)
}

// code puts s, escaped, in an inline code span of at most limit units, or
// returns "–" for an empty value (an empty span would show its backticks).
func code(s string, limit int) string {
	e := escape(s, limit-2, true)
	if e == "" {
		return "–"
	}
	return "`" + e + "`"
}

// escape makes untrusted s safe for Slack text of at most limit UTF-16 units:
//
//   - &, < and > become entities, so s cannot mention (<!channel>), link
//     (<http://evil|click>) or address a user (<@U123>);
//   - control characters and line and paragraph separators become spaces,
//     so s cannot break the layout;
//   - bidirectional overrides and invalid UTF-8 become U+FFFD, so s cannot
//     reorder what the reader sees;
//   - in a code span (inCode), a backtick becomes U+02CB, which looks the
//     same but cannot close the span;
//   - a longer result is cut, never inside an entity or a character, and
//     ends in "…".
//
// Surrounding spaces are trimmed. The exact value always travels in the SNS
// message.
func escape(s string, limit int, inCode bool) string {
	s = strings.TrimSpace(s)
	var pieces []string
	total := 0
	// range yields U+FFFD for invalid UTF-8, so the result is always valid.
	for _, r := range s {
		p := piece(r, inCode)
		pieces = append(pieces, p)
		total += width(p)
	}
	var b strings.Builder
	if total <= limit {
		for _, p := range pieces {
			b.WriteString(p)
		}
		return strings.TrimSpace(b.String())
	}
	used := 0
	for _, p := range pieces {
		w := width(p)
		if used+w > limit-1 { // room for the ellipsis
			break
		}
		b.WriteString(p)
		used += w
	}
	if limit < 1 {
		return ""
	}
	return strings.TrimSpace(b.String()) + "…"
}

func piece(r rune, inCode bool) string {
	switch {
	case r == '&':
		return "&amp;"
	case r == '<':
		return "&lt;"
	case r == '>':
		return "&gt;"
	case r == '`' && inCode:
		return "\u02cb"
	case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
		return " "
	case r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
		return "\uFFFD"
	}
	return string(r)
}

// width counts UTF-16 code units, as Slack's limits do at most.
func width(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
