package notify

import (
	"slices"
	"testing"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{in: "critical", want: SeverityCritical},
		{in: "high", want: SeverityHigh},
		{in: "medium", want: SeverityMedium},
		{in: "low", want: SeverityLow},
		{in: "info", want: SeverityInfo},
		{in: " HIGH ", want: SeverityHigh},
		{in: "Info", want: SeverityInfo},
		{in: "", wantErr: true},
		{in: "warning", wantErr: true},
		{in: "hi", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSeverity(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSeverityOrder(t *testing.T) {
	want := []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	got := []Severity{SeverityHigh, SeverityInfo, SeverityCritical, SeverityLow, SeverityMedium}
	slices.SortFunc(got, Severity.Compare)
	if !slices.Equal(got, want) {
		t.Fatalf("sorted = %v, want %v", got, want)
	}
	if Severity("bogus").Compare(SeverityInfo) != -1 {
		t.Error("an invalid severity must sort below info")
	}
	if SeverityHigh.Compare(SeverityHigh) != 0 {
		t.Error("high.Compare(high) != 0")
	}
}

func TestSeverityAtLeast(t *testing.T) {
	tests := []struct {
		s, min Severity
		want   bool
	}{
		{SeverityCritical, SeverityHigh, true},
		{SeverityHigh, SeverityHigh, true},
		{SeverityMedium, SeverityHigh, false},
		{SeverityInfo, SeverityInfo, true},
		{SeverityInfo, SeverityLow, false},
		{Severity("bogus"), SeverityInfo, false},
		{Severity(""), SeverityInfo, false},
	}
	for _, tt := range tests {
		if got := tt.s.AtLeast(tt.min); got != tt.want {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", tt.s, tt.min, got, tt.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr string
	}{
		{in: "enforce", want: ModeEnforce},
		{in: "report", want: ModeReport},
		{in: " Report", want: ModeReport},
		{in: "enforced", wantErr: `"enforced" is not enforce or report`},
		{in: "", wantErr: `"" is not enforce or report`},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseMode(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
