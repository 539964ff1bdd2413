package trail

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a time as a record spells it. CloudTrail uses ISO 8601 for
// eventTime but services put other spellings inside their payloads
// (Organizations: "May 15, 2023 8:26:57 AM"; STS: "Oct 25, 2024, 9:07:11 PM"),
// so the text is kept and Time is set only when the text was understood.
type Timestamp struct {
	Raw  string
	Time time.Time // zero when Raw is empty or in no known layout
}

// String returns the time in RFC 3339 when it was understood, else the raw text.
func (t Timestamp) String() string {
	if t.Time.IsZero() {
		return t.Raw
	}
	return t.Time.Format(time.RFC3339)
}

// Layouts seen in real records. Those without a zone are UTC: CloudTrail
// and the services it quotes write UTC.
var timestampLayouts = []string{
	time.RFC3339,                // 2024-10-25T20:52:11Z
	"2006-01-02T15:04:05",       // ISO without zone
	"2006-01-02 15:04:05Z07:00", // 2021-05-20 15:53:47Z (log pipelines)
	"2006-01-02 15:04:05",       // 2023-01-10 20:10:41, 2024-01-01 00:00:00.000
	"20060102T150405Z07:00",     // 20131102T010628Z (basic ISO 8601)
	"Jan 2, 2006 3:04:05 PM",    // Organizations createAccountStatus, handshakes
	"Jan 2, 2006, 3:04:05 PM",   // STS credentials expiration
}

func parseTimestamp(raw string) Timestamp {
	ts := Timestamp{Raw: raw}
	// Java's newer locale data writes a narrow no-break space before AM/PM.
	s := strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(strings.TrimSpace(raw))
	for _, layout := range timestampLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			ts.Time = t.UTC()
			return ts
		}
	}
	return ts
}

// timestampValue reads a timestamp string, or a number of seconds since the
// epoch as SDK JSON encodes them.
func timestampValue(path string, raw json.RawMessage) (Timestamp, error) {
	switch jsonType(raw) {
	case "nothing", "null":
		return Timestamp{}, nil
	case "string":
		s, err := stringValue(path, raw)
		if err != nil {
			return Timestamp{}, err
		}
		return parseTimestamp(s), nil
	case "number":
		text := string(bytes.TrimSpace(raw))
		ts := Timestamp{Raw: text}
		secs, err := strconv.ParseFloat(text, 64)
		// Beyond year ~2900 is not a timestamp rootguard will see; keep it raw.
		if err == nil && secs > 0 && secs < 3e10 {
			whole, frac := math.Modf(secs)
			ts.Time = time.Unix(int64(whole), int64(frac*1e9)).UTC()
		}
		return ts, nil
	}
	return Timestamp{}, fieldErr(path, "want timestamp string, got %s", jsonType(raw))
}
