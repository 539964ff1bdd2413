// Package notify is how every rootguard function reports: the Finding
// model, its delivery to an SNS topic and to a Slack incoming webhook, and
// the Slack rendering that makes untrusted event strings harmless.
//
// A function's main wires it once per cold start:
//
//	s, err := settings.Load(os.Getenv)
//	...
//	n, err := notify.New(ctx, awsCfg, s.Notify, logger)
//
// and its handler ends with n.Deliver(ctx, finding), returning the finding.
//
// # Findings
//
// A Finding's id comes from NewID(kind, source event id, resource):
// EventBridge delivers at least once, and a redelivered event yields the
// same id, which subscribers can deduplicate on. Details keep their order
// and marshal to a JSON object.
//
// # SNS
//
// The message is the Finding as JSON (the same object the handler returns);
// the subject is Subject(f); the message attributes severity and kind
// (String) let subscriptions filter. The client uses the topic's region and
// the SDK's standard retryer with 5 attempts, which rides out throttling.
// A FIFO topic (.fifo) gets the finding id as deduplication id.
//
// # Slack
//
// The webhook URL is read once, in New, from Secrets Manager or SSM
// Parameter Store (see ParseSecretRef); the value is the bare URL or JSON
// {"url": "..."}. It must be https (http only for a loopback host, as the
// local organization's sink is); it is never logged and never appears in an
// error. Only findings at or above Config.SlackMinSeverity go to Slack.
//
// The message has a header ("[HIGH] summary"), the account, region,
// resource and details as section fields, the actions taken, and a context
// line (kind, mode, event id and time, finding id), plus a text fallback.
// Every string is escaped (& < > as entities, so nothing can @channel,
// mention or link), freed of control and bidi characters, cut to Slack's
// limits without splitting an entity or a character, and values sit in
// inline code spans, where mrkdwn formatting does not apply.
//
// Failed posts are retried with backoff: network errors and 5xx, and 429
// after its Retry-After (up to 15 s; a longer wait is left to Lambda's
// retry). Other 4xx answers are final.
//
// # Why not slack-go
//
// The issue asked for slack-go unless it costs more than it gives. We use
// encoding/json and net/http instead:
//
//   - Its webhook call (PostWebhookCustomHTTPContext) wraps the *url.Error
//     from net/http, whose text quotes the request URL: the webhook's
//     secret would reach logs and Lambda error output. It also discards
//     Slack's reason for a 4xx (invalid_blocks, no_service, ...), treats a
//     429 without Retry-After as a plain status error, and has no backoff.
//     We would wrap or replace all of it anyway.
//   - What it would still give is struct types for three block kinds and a
//     text object: about twenty lines here, with golden tests on the JSON.
//     Its WebhookMessage also always sends replace_original and
//     delete_original.
//   - It adds 262,144 bytes (3.1%) to a stripped linux/arm64 Lambda binary
//     that already links the SNS, Secrets Manager and SSM clients
//     (8,454,306 -> 8,716,450 bytes; 3,058,271 -> 3,124,021 gzipped), with
//     negligible init time, in each of rootguard's functions.
package notify
