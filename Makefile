# shoplake: two commands are all a fresh machine with Go needs.
#   make run    the local demo (in-process S3, Kinesis, FakeStore; DuckDB)
#   make test   every test (the PostgreSQL ones are skipped without a server)
#   make integration   PostgreSQL 15 (installed and started if missing) and
#                      the tests of the PostgreSQL dialect against it

GO       ?= go
PKGS     := ./...
RUN_ARGS ?=

.PHONY: run test integration bench lint build clean

run:
	$(GO) run ./cmd/shoplake demo $(RUN_ARGS)

test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

# The PostgreSQL dialect's tests (TestPostgres_*) against a real server.
# .ci/postgres installs PostgreSQL if missing (apt-get), starts it, creates
# the role and database, and prints the DSN; an exported
# TEST_SHOPLAKE_POSTGRES_DSN is used as it is.
integration:
	@dsn="$${TEST_SHOPLAKE_POSTGRES_DSN:-$$(.ci/postgres)}" && \
	TEST_SHOPLAKE_POSTGRES_DSN="$$dsn" $(GO) test -count=1 -run 'Postgres|BothEngines|Transform_Incremental|LateData|BlockingCheck' ./warehouse/... ./pipeline/ ./cmd/...

# The first performance figures: end-to-end events/s of the demo pipeline
# and DuckDB's read_json rate on the same NDJSON, with their ratio.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

build:
	$(GO) build -o bin/shoplake ./cmd/shoplake

clean:
	rm -rf bin data
