package notify

import (
	"fmt"
	"strings"
)

// Severity ranks a Finding. The zero value is not a valid severity.
type Severity string

// Severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// rank orders severities; 0 marks an invalid one.
func (s Severity) rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityLow:
		return 2
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 5
	}
	return 0
}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { return s.rank() > 0 }

// Compare returns -1, 0 or +1 as s is less severe than, as severe as, or
// more severe than t. Invalid severities sort below info.
func (s Severity) Compare(t Severity) int {
	switch a, b := s.rank(), t.rank(); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AtLeast reports whether s is valid and at least as severe as min.
func (s Severity) AtLeast(min Severity) bool { return s.Valid() && s.Compare(min) >= 0 }

// ParseSeverity reads a severity name, ignoring case and surrounding spaces.
func ParseSeverity(v string) (Severity, error) {
	s := Severity(strings.ToLower(strings.TrimSpace(v)))
	if !s.Valid() {
		return "", fmt.Errorf("%q is not critical, high, medium, low or info", v)
	}
	return s, nil
}

// Mode says whether a function acts (enforce) or only reports what it would do.
type Mode string

// Modes.
const (
	ModeEnforce Mode = "enforce"
	ModeReport  Mode = "report"
)

// Valid reports whether m is enforce or report.
func (m Mode) Valid() bool { return m == ModeEnforce || m == ModeReport }

// ParseMode reads a mode name, ignoring case and surrounding spaces.
func ParseMode(v string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(v)))
	if !m.Valid() {
		return "", fmt.Errorf("%q is not enforce or report", v)
	}
	return m, nil
}
