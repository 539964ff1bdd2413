# rootguard Makefile.
#
#   make test    gofmt check, go vet, go test -race (unit and end-to-end), cfn-lint
#   make demo    the main scenario against a local organization
#   make bench   binary size, cold start, per-event latency, audit throughput
#   make build   every function as a Lambda bootstrap (linux/arm64) under bin/
#
# sam build calls the build-<LogicalId> targets with ARTIFACTS_DIR set
# (BuildMethod: makefile in template.yaml).

SHELL := /bin/bash
GO    ?= go

# name of functions/<dir> for each template LogicalId
FUNCTIONS := root-activity-alerter new-account-hardener bucket-policy-unlocker queue-policy-unlocker

LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: test demo bench build tools go-tool moto-tool cfn-lint-tool fmt-check vet gotest lint clean

test: tools fmt-check vet gotest lint

# Fail loudly, with the install command, when a required tool is missing:
# the end-to-end tests need moto_server and are never skipped under make test.
tools: go-tool moto-tool cfn-lint-tool

go-tool:
	@command -v $(GO) >/dev/null || { echo "error: go not found: install Go 1.26+ (https://go.dev/dl/)"; exit 1; }

moto-tool:
	@command -v moto_server >/dev/null || { echo "error: moto_server not found: install it with  pip install 'moto[server]'"; exit 1; }

cfn-lint-tool:
	@command -v cfn-lint >/dev/null || { echo "error: cfn-lint not found: install it with  pip install cfn-lint"; exit 1; }

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# ROOTGUARD_REQUIRE_E2E makes the end-to-end tests fail, not skip, when
# moto_server is missing.
gotest:
	ROOTGUARD_REQUIRE_E2E=1 $(GO) test -race -count=1 -timeout 8m ./...

lint:
	cfn-lint template.yaml

demo: go-tool moto-tool
	$(GO) run ./cmd/localorg demo --seed events/org.json

bench: go-tool moto-tool
	$(GO) run ./cmd/localorg bench

build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS)))

bin/%/bootstrap: FORCE
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

.PHONY: FORCE
FORCE:

clean:
	rm -rf bin .aws-sam

# --- sam build (BuildMethod: makefile) ---------------------------------------
build-RootActivityAlerterFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/root-activity-alerter

build-NewAccountHardenerFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/new-account-hardener

build-BucketPolicyUnlockerFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/bucket-policy-unlocker

build-QueuePolicyUnlockerFunction:
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/queue-policy-unlocker
