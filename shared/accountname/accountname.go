// Package accountname names member accounts for findings, from AWS
// Organizations, cached for the life of a warm Lambda container.
//
// A lookup never fails a finding: an account Organizations does not know (a
// record from elsewhere, a closed account) is named Unknown, and a failed
// lookup is logged and named Unknown without being cached, so the next
// invocation tries again.
package accountname

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Unknown is the name of an account that cannot be named.
const Unknown = "unknown"

// lookupTimeout bounds one DescribeAccount call, retries included.
const lookupTimeout = 5 * time.Second

// DescribeAccountAPI is the Organizations call a Cache needs.
type DescribeAccountAPI interface {
	DescribeAccount(ctx context.Context, params *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

var _ DescribeAccountAPI = (*organizations.Client)(nil)

// Cache looks account names up once per account.
type Cache struct {
	api    DescribeAccountAPI
	logger *slog.Logger

	mu    sync.Mutex
	names map[string]string
}

// New returns a Cache over api; logger may be nil.
func New(api DescribeAccountAPI, logger *slog.Logger) *Cache {
	if logger == nil {
		logger = slog.Default()
	}
	return &Cache{api: api, logger: logger, names: map[string]string{}}
}

// Name returns the account's name, or Unknown.
func (c *Cache) Name(ctx context.Context, accountID string) string {
	c.mu.Lock()
	name, ok := c.names[accountID]
	c.mu.Unlock()
	if ok {
		return name
	}
	// A name is a nicety: it must not eat the time the finding needs.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	out, err := c.api.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: &accountID})
	var notFound *orgtypes.AccountNotFoundException
	switch {
	case errors.As(err, &notFound):
		name = Unknown
	case err != nil:
		c.logger.WarnContext(ctx, "account name lookup failed", "account", accountID, "err", err)
		return Unknown
	case out.Account == nil || out.Account.Name == nil || *out.Account.Name == "":
		name = Unknown
	default:
		name = *out.Account.Name
	}
	c.mu.Lock()
	c.names[accountID] = name
	c.mu.Unlock()
	return name
}
