// Package awserr matches AWS API errors by their error code, the way
// rootguard decides what an error means (facts: some protocols spell a code
// with an "Exception" suffix, some without).
package awserr

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// Code returns the error code of the AWS API error in err's chain, without
// an "Exception" suffix, or "" when there is none.
func Code(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	return strings.TrimSuffix(apiErr.ErrorCode(), "Exception")
}

// Is reports whether err is an AWS API error with one of codes, compared
// case-insensitively and with or without the "Exception" suffix.
func Is(err error, codes ...string) bool {
	code := Code(err)
	if code == "" {
		return false
	}
	for _, c := range codes {
		if strings.EqualFold(code, strings.TrimSuffix(c, "Exception")) {
			return true
		}
	}
	return false
}
