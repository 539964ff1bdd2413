package testbed

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
)

func TestCollect(t *testing.T) {
	old := localorg.Call{Service: "sts", Action: "AssumeRoot"}
	read := localorg.Call{Service: "secretsmanager", Action: "GetSecretValue"}
	get := localorg.Call{Service: "s3", Action: "GetBucketPolicy", Caller: localorg.CallerRootSession}
	put := localorg.Call{Service: "s3", Action: "PutBucketPolicy", Caller: localorg.CallerRootSession}
	before := &localorg.State{
		Calls: []localorg.Call{old},
		SNS:   []localorg.SNSMessage{{Message: "earlier"}},
		Slack: []json.RawMessage{json.RawMessage(`{"text":"earlier"}`)},
	}
	after := &localorg.State{
		Calls: []localorg.Call{old, read, get, put},
		SNS:   []localorg.SNSMessage{{Message: "earlier"}, {Message: "now"}},
		Slack: []json.RawMessage{json.RawMessage(`{"text":"earlier"}`), json.RawMessage(`{"text":"now"}`)},
	}

	tests := []struct {
		name        string
		res         lambdaharness.Result
		wantFinding string // the finding's id; "" none
		wantErr     bool
	}{
		{name: "finding", res: lambdaharness.Result{Payload: json.RawMessage(`{"id":"f-1","kind":"policy-unlocked"}`)}, wantFinding: "f-1"},
		{name: "null result", res: lambdaharness.Result{Payload: json.RawMessage(`null`)}},
		{name: "function error", res: lambdaharness.Result{Error: &lambdaharness.FunctionError{ErrorMessage: "boom"}}},
		{name: "result not a finding", res: lambdaharness.Result{Payload: json.RawMessage(`[1]`)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := collect(tt.res, before, after)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("invocation %+v, want an error", inv)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inv.Calls, []localorg.Call{get, put}) {
				t.Errorf("calls %+v, want the invocation's own without the secret read", inv.Calls)
			}
			if len(inv.SNS) != 1 || inv.SNS[0].Message != "now" || len(inv.Slack) != 1 || string(inv.Slack[0]) != `{"text":"now"}` {
				t.Errorf("SNS %+v, Slack %s: want only the invocation's", inv.SNS, inv.Slack)
			}
			if inv.State != after || !reflect.DeepEqual(inv.Result, tt.res) {
				t.Errorf("state or result not passed through")
			}
			switch {
			case tt.wantFinding == "" && inv.Finding != nil:
				t.Errorf("finding %+v, want none", inv.Finding)
			case tt.wantFinding != "" && (inv.Finding == nil || inv.Finding.ID != tt.wantFinding):
				t.Errorf("finding %+v, want %s", inv.Finding, tt.wantFinding)
			}
		})
	}

	if _, err := collect(lambdaharness.Result{Payload: json.RawMessage(`null`)}, after, before); err == nil {
		t.Error("a state with fewer calls than before: want an error")
	}
}
