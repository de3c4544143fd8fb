# shoplake: two commands are all a fresh machine with Go needs.
#   make run    the local demo (in-process S3, Kinesis, FakeStore; DuckDB)
#   make test   every test (the PostgreSQL ones are skipped without a server),
#               then the failure scenarios and a swarm of 20 seeds, one line
#               per scenario and seed
#   make soak   a larger swarm: SOAK_SEEDS seeds from SOAK_FIRST_SEED
#   make integration   PostgreSQL 15 (installed and started if missing) and
#                      the tests of the PostgreSQL dialect against it
#   make readme-test   every command block of the README, run in order in
#                      one directory, its output checked against the README
#                      (moto for the mode aws block)
#   make aws-test      mode aws against moto (a third-party AWS emulator):
#                      the whole pipeline as separate processes, the Lambda's
#                      entry point, the Kinesis conformance suite, and
#                      cfn-lint of deploy/aws/template.yaml

SHELL    := bash
GO       ?= go
PKGS     := ./...
RUN_ARGS ?=
# make soak explores new seeds every day unless told which: the first seed
# is the date (20261126000 on 2026-11-26), printed with every result.
SOAK_SEEDS      ?= 200
SOAK_FIRST_SEED ?= $(shell date -u +%Y%m%d000)

.PHONY: run test integration bench lint build clean soak lambda deploy-lint aws-test readme-test

run:
	$(GO) run ./cmd/shoplake demo $(RUN_ARGS)

# The tests write thousands of small files (lakes, DuckDB files, journals):
# creating a file costs this kind of machine's ext4 disk some 0.3 ms in the
# kernel, tmpfs a fraction, so the tests' temporary directories go to
# /dev/shm when it is a writable tmpfs with 2 GiB free (half the time of the
# pipeline's tests). TEST_TMPDIR= (empty) keeps the system's default.
TEST_TMPDIR ?= $(shell d=/dev/shm; [ -d $$d ] && [ -w $$d ] && [ "$$(df -Pk $$d 2>/dev/null | awk 'NR==2 {print $$4}')" -gt 2097152 ] 2>/dev/null && echo $$d)

test:
	$(GO) vet $(PKGS)
	TMPDIR=$(TEST_TMPDIR) $(GO) test -count=1 -timeout 30m $$($(GO) list $(PKGS) | grep -v '/scenarios$$')
	set -o pipefail; TMPDIR=$(TEST_TMPDIR) $(GO) test -count=1 -timeout 30m -v ./scenarios/ | grep -v -E '^=== (RUN|PAUSE|CONT)'

# A swarm of SOAK_SEEDS drawn scenarios; a failing seed's scenario is saved
# under soak-failures/ to be rerun with shoplake scenario run.
soak:
	TMPDIR=$(TEST_TMPDIR) $(GO) run ./cmd/shoplake scenario swarm --seeds $(SOAK_SEEDS) --first-seed $(SOAK_FIRST_SEED) --save-dir soak-failures

# The PostgreSQL dialect's tests (TestPostgres_*) against a real server.
# .ci/postgres installs PostgreSQL if missing (apt-get), starts it, creates
# the role and database, and prints the DSN; an exported
# TEST_SHOPLAKE_POSTGRES_DSN is used as it is.
integration:
	@dsn="$${TEST_SHOPLAKE_POSTGRES_DSN:-$$(.ci/postgres)}" && \
	TEST_SHOPLAKE_POSTGRES_DSN="$$dsn" $(GO) test -count=1 -timeout 30m -run 'Postgres|BothEngines|Transform_Incremental|LateData|BlockingCheck|RebuildFromLake' ./warehouse/... ./pipeline/ ./cmd/... ./scenarios/

# Every benchmark, three iterations each (medians reported), written to
# bench.out, then the targets of issue 14 (P1 to P6) beside the figures
# (scripts/bench-report.sh). BenchmarkPipeline_Million runs the demo of a
# million-event day three times: the whole takes some ten minutes.
bench:
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 60m $(PKGS) | tee bench.out
	@echo; scripts/bench-report.sh bench.out

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

build:
	$(GO) build -o bin/shoplake ./cmd/shoplake

clean:
	rm -rf bin data

# The consumer Lambda's deployment package for deploy/aws/template.yaml:
# dist/shoplake-lambda.zip holds bootstrap, a static linux/arm64 build of
# ./cmd/shoplake-lambda; the same source gives the same bytes.
lambda:
	$(GO) run ./cmd/lambdazip -o dist/shoplake-lambda.zip

# Lints the CloudFormation template (cfn-lint: pip install cfn-lint).
deploy-lint:
	@command -v cfn-lint >/dev/null || { echo "deploy-lint: cfn-lint is not installed (pip install cfn-lint)" >&2; exit 1; }
	cfn-lint deploy/aws/template.yaml

# Mode aws proven against moto_server (moto, a third-party AWS emulator),
# started on a free port by scripts/with-moto.sh: deploy/aws's end-to-end
# suite (setup, produce, consume, ingest, transform, check as processes of
# the built binary, and the Lambda's real entry point), then the Kinesis
# conformance suite with moto's known divergences recorded by name, then
# the template's lint. Fails when moto_server or cfn-lint is missing.
aws-test: deploy-lint
	scripts/with-moto.sh $(GO) test -tags awstest -count=1 -v ./deploy/aws/
	scripts/with-moto.sh env AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
		KINESIS_CONFORMANCE_IMPL=moto sh -c 'KINESIS_CONFORMANCE_ENDPOINT=$$MOTO_ENDPOINT exec $(GO) test -count=1 -run Conformance -v ./stream/kinesislocal/'

# The README's examples as a test (cmd/shoplake/readme_run_test.go): every
# block that shows commands and their output runs, in the order shown, in one
# directory, and each output must keep what the README promises (timings,
# ports and the like masked). The mode aws block needs moto, which
# scripts/with-moto.sh starts; a day of a million users makes this some
# minutes, so it is not part of make test.
readme-test:
	TMPDIR=$(TEST_TMPDIR) scripts/with-moto.sh $(GO) test -tags readme -count=1 -timeout 30m -run '^TestREADME$$' -v ./cmd/shoplake/
