package notify

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestParseSecretRef(t *testing.T) {
	const smARN = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:rootguard/slack-AbCdEf"
	const ssmARN = "arn:aws:ssm:us-west-2:111122223333:parameter/rootguard/slack"
	tests := []struct {
		in      string
		want    SecretRef
		wantErr string
	}{
		{in: smARN, want: SecretRef{Store: SecretsManager, ID: smARN, Region: "eu-west-1"}},
		{in: " " + ssmARN + " ", want: SecretRef{Store: ParameterStore, ID: ssmARN, Region: "us-west-2"}},
		{in: "arn:aws-us-gov:ssm:us-gov-west-1:111122223333:parameter/slack", want: SecretRef{Store: ParameterStore, ID: "arn:aws-us-gov:ssm:us-gov-west-1:111122223333:parameter/slack", Region: "us-gov-west-1"}},
		{in: "/rootguard/slack-webhook", want: SecretRef{Store: ParameterStore, ID: "/rootguard/slack-webhook"}},
		{in: "rootguard_slack.webhook", want: SecretRef{Store: ParameterStore, ID: "rootguard_slack.webhook"}},
		{in: "", wantErr: "empty"},
		{in: "rootguard/slack", wantErr: "neither an ARN nor an SSM parameter name"},
		{in: "/rootguard//slack", wantErr: "neither an ARN nor an SSM parameter name"},
		{in: "name with spaces", wantErr: "neither an ARN nor an SSM parameter name"},
		{in: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:", wantErr: "neither a Secrets Manager secret ARN nor an SSM parameter ARN"},
		{in: "arn:aws:ssm:eu-west-1:111122223333:document/x", wantErr: "neither a Secrets Manager secret ARN nor an SSM parameter ARN"},
		{in: "arn:aws:s3:::bucket", wantErr: "lacks a region"},
		{in: "arn:aws:secretsmanager::111122223333:secret:x", wantErr: "lacks a region"},
		{in: "arn:aws:secretsmanager:eu-west-1:1111:secret:x", wantErr: "12-digit account id"},
		{in: "arn:aws:ssm", wantErr: "not a valid ARN"},
		{in: "https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n", wantErr: "value is a URL"},
	}
	for _, tt := range tests {
		got, err := ParseSecretRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSecretRef(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("ParseSecretRef error reveals the URL: %v", err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSecretRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseWebhookURL(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n"
	tests := []struct {
		name    string
		value   string
		want    string
		wantErr string
	}{
		{name: "bare", value: hook, want: hook},
		{name: "bare with newline", value: hook + "\n", want: hook},
		{name: "json", value: `{"url": "` + hook + `"}`, want: hook},
		{name: "json with other keys", value: `{"channel": "#sec", "url": "` + hook + `"}`, want: hook},
		{name: "loopback http", value: "http://127.0.0.1:4566/_localorg/slack", want: "http://127.0.0.1:4566/_localorg/slack"},
		{name: "localhost http", value: "http://localhost:8080/s3cr3t", want: "http://localhost:8080/s3cr3t"},
		{name: "ipv6 loopback http", value: "http://[::1]:8080/s3cr3t", want: "http://[::1]:8080/s3cr3t"},
		{name: "json without url", value: `{"webhook": "` + hook + `"}`, wantErr: `no "url" string`},
		{name: "json url not a string", value: `{"url": 42, "x": "s3cr3t"}`, wantErr: `not a JSON object with a "url" string`},
		{name: "broken json", value: `{"url": "` + hook, wantErr: `not a JSON object`},
		{name: "plain http", value: "http://hooks.slack.com/services/s3cr3t", wantErr: "https is required"},
		{name: "other scheme", value: "ftp://example.com/s3cr3t", wantErr: "not https"},
		{name: "relative", value: "/services/s3cr3t", wantErr: "not an absolute URL"},
		{name: "not a URL", value: "s3cr3t token", wantErr: "not an absolute URL"},
		{name: "bad escape", value: "https://hooks.slack.com/%zz/s3cr3t", wantErr: "not an absolute URL"},
		{name: "empty", value: "  ", wantErr: "empty"},
		{name: "json empty url", value: `{"url": ""}`, wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWebhookURL(tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "hooks.slack") {
					t.Fatalf("error reveals the value: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

type fakeSecrets struct {
	get func(in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error)
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f.get(in)
}

type fakeParams struct {
	get func(in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
}

func (f *fakeParams) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return f.get(in)
}

func TestReadWebhookURL(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T000/B000/s3cr3tT0k3n"
	smRef := SecretRef{Store: SecretsManager, ID: "arn:aws:secretsmanager:us-east-1:111122223333:secret:slack-AbCdEf", Region: "us-east-1"}
	ssmRef := SecretRef{Store: ParameterStore, ID: "/rootguard/slack"}
	denied := errors.New("AccessDeniedException")
	secret := func(v *string, err error) *fakeSecrets {
		return &fakeSecrets{get: func(in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
			if aws.ToString(in.SecretId) != smRef.ID {
				t.Errorf("SecretId = %q", aws.ToString(in.SecretId))
			}
			return &secretsmanager.GetSecretValueOutput{SecretString: v}, err
		}}
	}
	param := func(p *ssmtypes.Parameter, err error) *fakeParams {
		return &fakeParams{get: func(in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			if aws.ToString(in.Name) != ssmRef.ID || !aws.ToBool(in.WithDecryption) {
				t.Errorf("GetParameter(%q, WithDecryption %v)", aws.ToString(in.Name), aws.ToBool(in.WithDecryption))
			}
			return &ssm.GetParameterOutput{Parameter: p}, err
		}}
	}
	tests := []struct {
		name    string
		ref     SecretRef
		secrets *fakeSecrets
		params  *fakeParams
		want    string
		wantErr string
	}{
		{name: "secrets manager bare", ref: smRef, secrets: secret(aws.String(hook), nil), want: hook},
		{name: "secrets manager json", ref: smRef, secrets: secret(aws.String(`{"url":"`+hook+`"}`), nil), want: hook},
		{name: "secrets manager denied", ref: smRef, secrets: secret(nil, denied), wantErr: "read slack webhook secret " + smRef.ID},
		{name: "secrets manager binary", ref: smRef, secrets: secret(nil, nil), wantErr: "holds no string value"},
		{name: "secrets manager bad value", ref: smRef, secrets: secret(aws.String("http://hooks.slack.com/s3cr3t"), nil), wantErr: "slack webhook secretsmanager " + smRef.ID + ": URL scheme is http"},
		{name: "ssm", ref: ssmRef, params: param(&ssmtypes.Parameter{Value: aws.String(hook)}, nil), want: hook},
		{name: "ssm denied", ref: ssmRef, params: param(nil, denied), wantErr: "read slack webhook parameter /rootguard/slack"},
		{name: "ssm no value", ref: ssmRef, params: param(nil, nil), wantErr: "holds no value"},
		{name: "ssm bad value", ref: ssmRef, params: param(&ssmtypes.Parameter{Value: aws.String(`{"uri":"s3cr3t"}`)}, nil), wantErr: `no "url" string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readWebhookURL(context.Background(), tt.ref, tt.secrets, tt.params)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("error reveals the value: %v", err)
				}
				if strings.Contains(tt.name, "denied") && !errors.Is(err, denied) {
					t.Fatalf("error %v does not wrap the API error", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
