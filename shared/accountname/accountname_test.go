package accountname

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

type fakeOrgs struct {
	describeAccount func(ctx context.Context, params *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

func (f fakeOrgs) DescribeAccount(ctx context.Context, params *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	return f.describeAccount(ctx, params, optFns...)
}

func TestName(t *testing.T) {
	tests := []struct {
		name      string
		out       *organizations.DescribeAccountOutput
		err       error
		want      string
		wantCalls int // over two lookups of the same account
	}{
		{"known", &organizations.DescribeAccountOutput{Account: &orgtypes.Account{Name: aws.String("workload-dev")}}, nil, "workload-dev", 1},
		{"not in the organization is cached", nil, &orgtypes.AccountNotFoundException{Message: aws.String("no")}, Unknown, 1},
		{"failure is retried next time", nil, errors.New("throttled"), Unknown, 2},
		{"no name", &organizations.DescribeAccountOutput{Account: &orgtypes.Account{}}, nil, Unknown, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			c := New(fakeOrgs{describeAccount: func(_ context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
				calls++
				if got := aws.ToString(in.AccountId); got != "444455556666" {
					t.Errorf("DescribeAccount(%q), want 444455556666", got)
				}
				return tt.out, tt.err
			}}, nil)
			for range 2 {
				if got := c.Name(context.Background(), "444455556666"); got != tt.want {
					t.Errorf("Name = %q, want %q", got, tt.want)
				}
			}
			if calls != tt.wantCalls {
				t.Errorf("DescribeAccount called %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}
