package lockout

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// realWorldCorpus locates the shared real-world policies beside the
// repository (../shared/corpus/policies from the module root) and reads
// their labels; ok is false when the directory is absent.
func realWorldCorpus(t *testing.T) (dir string, labels map[string]realWorldLabel, ok bool) {
	t.Helper()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("no go.mod above the test directory")
		}
		root = parent
	}
	policies := filepath.Join(root, "..", "shared", "corpus", "policies")
	if _, err := os.Stat(policies); errors.Is(err, fs.ErrNotExist) {
		return "", nil, false
	}
	b, err := os.ReadFile(filepath.Join(policies, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatalf("labels.json: %v", err)
	}
	// Label keys are relative to the corpus directory, one above policies/.
	return filepath.Dir(policies), labels, true
}

type realWorldLabel struct {
	Account  string
	Expect   Verdict
	Resource string
	Service  Service
}

// TestRealWorldCorpus checks every published policy of the shared corpus
// against its label. The files are read in place, never copied here.
func TestRealWorldCorpus(t *testing.T) {
	dir, labels, ok := realWorldCorpus(t)
	if !ok {
		t.Skip("../shared/corpus/policies is absent")
	}
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("labels.json labels no policy")
	}
	for _, name := range names {
		l := labels[name]
		t.Run(name, func(t *testing.T) {
			policy, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			in := Input{Service: l.Service, Resource: l.Resource, AccountID: l.Account}
			res, err := Analyze(policy, in)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if res.Verdict != l.Expect {
				t.Errorf("verdict %s, labelled %s: %s", res.Verdict, l.Expect, res.Summary)
				for _, s := range res.Statements {
					t.Logf("  %d %s: %s", s.Index, s.Verdict, s.Reason)
				}
			}
			checkResult(t, res, in)
		})
	}
}
