package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SecretStore is the service that holds the Slack webhook URL.
type SecretStore string

// Secret stores.
const (
	SecretsManager SecretStore = "secretsmanager"
	ParameterStore SecretStore = "ssm"
)

// SecretRef names the secret holding the Slack webhook URL. The zero value
// names nothing: Slack delivery is off.
type SecretRef struct {
	Store SecretStore
	// ID is the secret ARN, the parameter ARN or the parameter name,
	// passed to the service as is.
	ID string
	// Region is taken from an ARN; empty for a parameter name, which
	// lives in the function's own region.
	Region string
}

// IsZero reports whether r names nothing.
func (r SecretRef) IsZero() bool { return r == SecretRef{} }

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// SSM parameter names: letters, digits and _.-, hierarchy levels
	// separated by / with a leading /.
	parameterNamePattern = regexp.MustCompile(`^(/[A-Za-z0-9_.\-]+)+$|^[A-Za-z0-9_.\-]+$`)
)

// ParseSecretRef reads a reference to the Slack webhook secret:
//
//   - arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-abcdef: a Secrets
//     Manager secret (Secrets Manager secrets must be given by ARN);
//   - arn:aws:ssm:REGION:ACCOUNT:parameter/NAME: an SSM parameter;
//   - /NAME or NAME: an SSM parameter in the function's own region.
func ParseSecretRef(v string) (SecretRef, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return SecretRef{}, errors.New("empty secret reference")
	}
	if strings.Contains(v, "://") {
		// Someone put the URL itself here: do not echo it.
		return SecretRef{}, errors.New("value is a URL: give the secret or parameter holding the webhook URL, not the URL")
	}
	if !strings.HasPrefix(v, "arn:") {
		if len(v) > 2048 || !parameterNamePattern.MatchString(v) {
			return SecretRef{}, fmt.Errorf("%q is neither an ARN nor an SSM parameter name", v)
		}
		return SecretRef{Store: ParameterStore, ID: v}, nil
	}
	a, err := arn.Parse(v)
	if err != nil {
		return SecretRef{}, fmt.Errorf("%q is not a valid ARN", v)
	}
	if a.Region == "" || !accountIDPattern.MatchString(a.AccountID) {
		return SecretRef{}, fmt.Errorf("%q lacks a region or a 12-digit account id", v)
	}
	switch {
	case a.Service == "secretsmanager" && strings.HasPrefix(a.Resource, "secret:") && len(a.Resource) > len("secret:"):
		return SecretRef{Store: SecretsManager, ID: v, Region: a.Region}, nil
	case a.Service == "ssm" && strings.HasPrefix(a.Resource, "parameter/") && len(a.Resource) > len("parameter/"):
		return SecretRef{Store: ParameterStore, ID: v, Region: a.Region}, nil
	}
	return SecretRef{}, fmt.Errorf("%q is neither a Secrets Manager secret ARN nor an SSM parameter ARN", v)
}

// secretValueGetter is the Secrets Manager call the notifier makes.
type secretValueGetter interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// parameterGetter is the SSM call the notifier makes.
type parameterGetter interface {
	GetParameter(ctx context.Context, params *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var (
	_ secretValueGetter = (*secretsmanager.Client)(nil)
	_ parameterGetter   = (*ssm.Client)(nil)
)

// readWebhookURL fetches and checks the webhook URL. Errors name the
// reference, never the value.
func readWebhookURL(ctx context.Context, ref SecretRef, secrets secretValueGetter, params parameterGetter) (string, error) {
	var value string
	switch ref.Store {
	case SecretsManager:
		out, err := secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.ID)})
		if err != nil {
			return "", fmt.Errorf("read slack webhook secret %s: %w", ref.ID, err)
		}
		if out.SecretString == nil {
			return "", fmt.Errorf("slack webhook secret %s holds no string value", ref.ID)
		}
		value = *out.SecretString
	case ParameterStore:
		out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref.ID), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", fmt.Errorf("read slack webhook parameter %s: %w", ref.ID, err)
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return "", fmt.Errorf("slack webhook parameter %s holds no value", ref.ID)
		}
		value = *out.Parameter.Value
	default:
		return "", fmt.Errorf("slack webhook: unknown secret store %q", ref.Store)
	}
	u, err := parseWebhookURL(value)
	if err != nil {
		return "", fmt.Errorf("slack webhook %s %s: %w", ref.Store, ref.ID, err)
	}
	return u, nil
}

// parseWebhookURL accepts the bare URL or a JSON object {"url": "..."}.
// Its errors never quote the value.
func parseWebhookURL(value string) (string, error) {
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "{") {
		var doc struct {
			URL *string `json:"url"`
		}
		if err := json.Unmarshal([]byte(value), &doc); err != nil {
			return "", errors.New(`value starts with "{" but is not a JSON object with a "url" string`)
		}
		if doc.URL == nil {
			return "", errors.New(`JSON value has no "url" string`)
		}
		value = strings.TrimSpace(*doc.URL)
	}
	if value == "" {
		return "", errors.New("value is empty")
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", errors.New("value is not an absolute URL")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", errors.New("URL scheme is http: https is required (http only for loopback hosts)")
		}
	default:
		return "", errors.New("URL scheme is not https")
	}
	return value, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
