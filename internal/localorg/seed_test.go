package localorg_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rootguard/rootguard/internal/localorg"
)

func TestParseSeed(t *testing.T) {
	tests := []struct {
		name, seed, wantErr string
	}{
		{"issue example", `{"management_account_id": "111122223333", "organization_id": "o-exampleorgid",
			"features": ["RootCredentialsManagement", "RootSessions"],
			"accounts": [{"id": "444455556666", "name": "workload-dev", "email": "dev@example.com",
			"root": {"password": true, "access_keys": 1, "signing_certificates": 1, "mfa_devices": ["virtual", "passkey", "hardware"]},
			"buckets": [{"name": "dev-data", "region": "us-east-1", "policy": {"Version": "2012-10-17", "Statement": []}}],
			"queues": [{"name": "dev-jobs", "region": "us-east-1", "policy": {"Version": "2012-10-17", "Statement": []}}]}]}`, ""},
		{"only ids", `{"accounts": [{"id": "444455556666"}]}`, ""},
		{"short account id", `{"accounts": [{"id": "4444"}]}`, `accounts[0]: id "4444": want 12 digits`},
		{"bad management id", `{"management_account_id": "abc"}`, "management_account_id"},
		{"unknown feature", `{"features": ["RootLogin"]}`, `unknown feature "RootLogin"`},
		{"unknown mfa kind", `{"accounts": [{"id": "444455556666", "root": {"mfa_devices": ["sms"]}}]}`, `unknown kind "sms"`},
		{"unknown field", `{"accounts": [{"id": "444455556666", "rooot": {}}]}`, `unknown field "rooot"`},
		{"duplicate account", `{"accounts": [{"id": "444455556666"}, {"id": "444455556666"}]}`, "listed twice"},
		{"bad joined", `{"accounts": [{"id": "444455556666", "joined": "merged"}]}`, "joined"},
		{"too many keys", `{"accounts": [{"id": "444455556666", "root": {"access_keys": 3}}]}`, "access_keys 3"},
		{"bad bucket name", `{"accounts": [{"id": "444455556666", "buckets": [{"name": "Bad_Bucket"}]}]}`, "not a valid bucket name"},
		{"policy not an object", `{"accounts": [{"id": "444455556666", "queues": [{"name": "q", "policy": "x"}]}]}`, "want a JSON object"},
		{"bad region", `{"accounts": [{"id": "444455556666", "queues": [{"name": "q", "region": "mars"}]}]}`, "not a region"},
		{"trailing data", `{} {}`, "trailing data"},
		{"bucket in two accounts", `{"accounts": [{"id": "444455556666", "buckets": [{"name": "shared-name"}]},
			{"id": "555566667777", "buckets": [{"name": "shared-name"}]}]}`, `bucket "shared-name" is also seeded in account 444455556666`},
		{"queue name in two regions", `{"accounts": [{"id": "444455556666", "queues": [{"name": "q"}, {"name": "q", "region": "eu-west-1"}]}]}`, ""},
		{"queue twice in a region", `{"accounts": [{"id": "444455556666", "queues": [{"name": "q"}, {"name": "q", "region": "us-east-1"}]}]}`, "listed twice in us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := localorg.ParseSeed([]byte(tt.seed))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseSeed: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ParseSeed error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadSeedNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	if err := os.WriteFile(path, []byte(`{"accounts": [{"id": "1"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := localorg.LoadSeed(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadSeed error = %v, want the path in it", err)
	}
}
