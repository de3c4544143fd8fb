# shoplake: two commands are all a fresh machine with Go needs.
#   make run    the local demo (in-process S3, Kinesis, FakeStore; DuckDB)
#   make test   every test

GO       ?= go
PKGS     := ./...
RUN_ARGS ?=

.PHONY: run test bench lint build clean

run:
	$(GO) run ./cmd/shoplake demo $(RUN_ARGS)

test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

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
