package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Config says where findings go. Both sinks are optional and independent;
// the zero Config delivers nowhere.
type Config struct {
	// TopicARN is the SNS topic; empty turns SNS delivery off.
	TopicARN string
	// SlackWebhook names the secret holding the Slack webhook URL; the
	// zero value turns Slack delivery off.
	SlackWebhook SecretRef
	// SlackMinSeverity is the least severe finding sent to Slack; empty
	// means info (everything). SNS always gets every finding.
	SlackMinSeverity Severity
}

// snsMaxAttempts is what the SDK's standard retryer may spend on one
// Publish (throttling, 5xx, network errors).
const snsMaxAttempts = 5

// rememberedIDs bounds the memory of findings already delivered.
const rememberedIDs = 1024

// Notifier delivers findings to the configured sinks.
type Notifier struct {
	sns    *snsSink   // nil: off
	slack  *slackSink // nil: off
	logger *slog.Logger

	mu   sync.Mutex
	sent map[sent]bool
	fifo []sent // eviction order of sent
}

type sent struct{ sink, id string }

// New builds a Notifier from cfg at cold start: it reads the Slack webhook
// URL once, here. awsCfg supplies credentials and endpoints; each client
// uses the region of the ARN it talks to. A nil logger means slog.Default().
func New(ctx context.Context, awsCfg aws.Config, cfg Config, logger *slog.Logger) (*Notifier, error) {
	var publisher snsPublisher
	if cfg.TopicARN != "" {
		a, err := arn.Parse(cfg.TopicARN)
		if err != nil || a.Service != "sns" || a.Region == "" {
			return nil, fmt.Errorf("sns topic %q: not an SNS topic ARN", cfg.TopicARN)
		}
		publisher = sns.NewFromConfig(awsCfg, func(o *sns.Options) {
			o.Region = a.Region
			// SNS's modelled throttling error (Throttled, 429) is not among the
			// standard retryer's throttle codes.
			o.Retryer = retry.AddWithErrorCodes(retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = snsMaxAttempts
			}), "Throttled")
		})
	}
	var webhookURL string
	if !cfg.SlackWebhook.IsZero() {
		var secrets secretValueGetter
		var params parameterGetter
		region := func(r string) string {
			if cfg.SlackWebhook.Region != "" {
				return cfg.SlackWebhook.Region
			}
			return r
		}
		switch cfg.SlackWebhook.Store {
		case SecretsManager:
			secrets = secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) { o.Region = region(o.Region) })
		case ParameterStore:
			params = ssm.NewFromConfig(awsCfg, func(o *ssm.Options) { o.Region = region(o.Region) })
		}
		u, err := readWebhookURL(ctx, cfg.SlackWebhook, secrets, params)
		if err != nil {
			return nil, err
		}
		webhookURL = u
	}
	return newNotifier(cfg, publisher, webhookURL, nil, logger)
}

// newNotifier assembles a Notifier from its parts; a nil httpClient means
// the default webhook client.
func newNotifier(cfg Config, publisher snsPublisher, webhookURL string, httpClient *http.Client, logger *slog.Logger) (*Notifier, error) {
	if logger == nil {
		logger = slog.Default()
	}
	minSev := cfg.SlackMinSeverity
	if minSev == "" {
		minSev = SeverityInfo
	}
	if !minSev.Valid() {
		return nil, fmt.Errorf("slack minimum severity %q is not critical, high, medium, low or info", minSev)
	}
	n := &Notifier{logger: logger, sent: make(map[sent]bool)}
	if publisher != nil {
		n.sns = &snsSink{client: publisher, topicARN: cfg.TopicARN}
	}
	if webhookURL != "" {
		n.slack = newSlackSink(webhookURL, minSev, httpClient)
	}
	logger.Info("findings delivery configured",
		slog.Bool("sns", n.sns != nil), slog.String("sns_topic", cfg.TopicARN),
		slog.Bool("slack", n.slack != nil), slog.String("slack_webhook_secret", cfg.SlackWebhook.ID),
		slog.String("slack_min_severity", string(minSev)))
	if n.sns == nil && n.slack == nil {
		logger.Warn("no findings sink configured: findings are only returned and logged")
	}
	return n, nil
}

// Deliver sends f to every configured sink: SNS always, Slack when f is at
// least the Slack minimum severity. A failing sink does not stop the other;
// the error names each sink that failed. Deliver may be called again with
// the same finding (after an error, or for a redelivered event): sinks that
// already accepted this finding id in this process are skipped, so a retry
// repeats only what failed.
func (n *Notifier) Deliver(ctx context.Context, f Finding) error {
	if err := f.Validate(); err != nil {
		return err
	}
	log := n.logger.With(slog.String("finding_id", f.ID), slog.String("kind", string(f.Kind)), slog.String("severity", string(f.Severity)))
	// The whole finding goes to the log first: if every sink fails, a retried
	// event may find nothing left to do, and this line is then the only record
	// of what was done.
	log.Info("finding", slog.String("summary", f.Summary), slog.String("account_id", f.AccountID),
		slog.String("resource", f.Resource), slog.Any("actions", f.Actions), slog.Any("details", f.Details))
	// The sinks are independent: both run at once, so one that hangs until
	// the Lambda deadline cannot keep the other from being tried.
	var wg sync.WaitGroup
	var snsErr, slackErr error
	if n.sns != nil && !n.delivered("sns", f.ID, log) {
		wg.Go(func() {
			msgID, err := n.sns.publish(ctx, f)
			if err != nil {
				log.Warn("sns delivery failed", slog.String("topic", n.sns.topicARN), slog.Any("error", err))
				snsErr = fmt.Errorf("sns topic %s: %w", n.sns.topicARN, err)
				return
			}
			n.remember("sns", f.ID)
			log.Info("finding delivered", slog.String("sink", "sns"), slog.String("message_id", msgID))
		})
	}
	if n.slack != nil {
		switch {
		case !f.Severity.AtLeast(n.slack.min):
			log.Debug("finding below slack minimum severity", slog.String("slack_min_severity", string(n.slack.min)))
		case n.delivered("slack", f.ID, log):
		default:
			wg.Go(func() {
				if err := n.slack.post(ctx, f); err != nil {
					log.Warn("slack delivery failed", slog.Any("error", err))
					slackErr = fmt.Errorf("slack webhook: %w", err)
					return
				}
				n.remember("slack", f.ID)
				log.Info("finding delivered", slog.String("sink", "slack"))
			})
		}
	}
	wg.Wait()
	if err := errors.Join(snsErr, slackErr); err != nil {
		return fmt.Errorf("deliver finding %s: %w", f.ID, err)
	}
	return nil
}

func (n *Notifier) delivered(sink, id string, log *slog.Logger) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sent[sent{sink, id}] {
		log.Info("finding already delivered, skipped", slog.String("sink", sink))
		return true
	}
	return false
}

func (n *Notifier) remember(sink, id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := sent{sink, id}
	if n.sent[k] {
		return
	}
	if len(n.fifo) == rememberedIDs {
		delete(n.sent, n.fifo[0])
		n.fifo = n.fifo[1:]
	}
	n.sent[k] = true
	n.fifo = append(n.fifo, k)
}
