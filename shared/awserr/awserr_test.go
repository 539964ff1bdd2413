package awserr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestIs(t *testing.T) {
	wrapped := func(code string) error {
		return fmt.Errorf("delete access key: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	tests := []struct {
		name  string
		err   error
		codes []string
		want  bool
	}{
		{"exact", wrapped("NoSuchEntity"), []string{"NoSuchEntity"}, true},
		{"exception suffix on the error", wrapped("NoSuchEntityException"), []string{"NoSuchEntity"}, true},
		{"exception suffix on the code", wrapped("ExpiredToken"), []string{"ExpiredTokenException"}, true},
		{"case", wrapped("throttling"), []string{"Throttling"}, true},
		{"one of several", wrapped("SlowDown"), []string{"Throttling", "SlowDown"}, true},
		{"other code", wrapped("AccessDenied"), []string{"NoSuchEntity"}, false},
		{"not an API error", errors.New("NoSuchEntity"), []string{"NoSuchEntity"}, false},
		{"nil", nil, []string{"NoSuchEntity"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Is(tt.err, tt.codes...); got != tt.want {
				t.Errorf("Is = %v, want %v", got, tt.want)
			}
		})
	}
	if got := Code(wrapped("EntityTemporarilyUnmodifiableException")); got != "EntityTemporarilyUnmodifiable" {
		t.Errorf("Code = %q", got)
	}
}
