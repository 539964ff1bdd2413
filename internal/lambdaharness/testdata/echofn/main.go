// Command echofn is a Lambda function used only by the harness's tests. It
// echoes its event and reports what Lambda gave it (environment, context,
// deadline); fields of the event, or its environment at cold start, make it
// fail in each way a real function can.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Echo    json.RawMessage `json:"echo,omitempty"`
	Env     []string        `json:"env,omitempty"`      // names of variables to report
	Log     string          `json:"log,omitempty"`      // printed to stdout
	Fail    string          `json:"fail,omitempty"`     // returned as an *echoError
	Panic   string          `json:"panic,omitempty"`    // panicked with
	Exit    int             `json:"exit,omitempty"`     // exit status, mid-invocation
	SleepMS int             `json:"sleep_ms,omitempty"` // ignores the deadline, as a stuck call would
	Size    int             `json:"size,omitempty"`     // answer with a string of this many bytes
	Stream  string          `json:"stream,omitempty"`   // stream a response that fails with this message
}

type response struct {
	Echo         json.RawMessage   `json:"echo,omitempty"`
	Env          map[string]string `json:"env,omitempty"` // only variables that are set
	RequestID    string            `json:"request_id"`
	FunctionARN  string            `json:"function_arn"`
	FunctionName string            `json:"function_name"`
	MemoryMB     int               `json:"memory_mb"`
	DeadlineInMS int64             `json:"deadline_in_ms"`
	Invocation   int               `json:"invocation"` // 1 on a cold start
	PID          int               `json:"pid"`
}

type echoError struct{ msg string }

func (e *echoError) Error() string { return e.msg }

// failingStream is a streamed response (it marshals to {}, so aws-lambda-go
// streams it) whose second read fails.
type failingStream struct {
	msg  string
	read bool
}

func (s *failingStream) Read(b []byte) (int, error) {
	if s.read {
		return 0, &echoError{msg: s.msg}
	}
	s.read = true
	return copy(b, `{"partial":`), nil
}

// invocations counts events handled by this process: a warm process keeps it.
var invocations int

func handle(ctx context.Context, req request) (any, error) {
	invocations++
	if req.Log != "" {
		fmt.Println(req.Log)
	}
	if req.SleepMS > 0 {
		time.Sleep(time.Duration(req.SleepMS) * time.Millisecond)
	}
	switch {
	case req.Exit != 0:
		os.Exit(req.Exit)
	case req.Panic != "":
		panic(req.Panic)
	case req.Fail != "":
		return nil, &echoError{msg: req.Fail}
	case req.Stream != "":
		return &failingStream{msg: req.Stream}, nil
	case req.Size > 0:
		return strings.Repeat("x", req.Size), nil
	}

	resp := response{
		Echo:         req.Echo,
		FunctionName: lambdacontext.FunctionName,
		MemoryMB:     lambdacontext.MemoryLimitInMB,
		Invocation:   invocations,
		PID:          os.Getpid(),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		resp.RequestID = lc.AwsRequestID
		resp.FunctionARN = lc.InvokedFunctionArn
	}
	if deadline, ok := ctx.Deadline(); ok {
		resp.DeadlineInMS = time.Until(deadline).Milliseconds()
	}
	for _, name := range req.Env {
		if v, ok := os.LookupEnv(name); ok {
			if resp.Env == nil {
				resp.Env = map[string]string{}
			}
			resp.Env[name] = v
		}
	}
	return resp, nil
}

func main() {
	// Two ways a cold start fails: a runtime that reports through
	// /runtime/init/error, and the usual Go way of exiting.
	if msg := os.Getenv("ECHOFN_INIT_ERROR"); msg != "" {
		if err := postInitError(msg); err != nil {
			log.Print(err)
		}
		os.Exit(1)
	}
	if msg := os.Getenv("ECHOFN_INIT_EXIT"); msg != "" {
		log.Fatal(msg)
	}
	lambda.Start(handle)
}

func postInitError(msg string) error {
	body, err := json.Marshal(map[string]string{"errorType": "echofn.ConfigError", "errorMessage": msg})
	if err != nil {
		return err
	}
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "echofn.ConfigError")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post init error: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post init error: status %s", resp.Status)
	}
	return nil
}
