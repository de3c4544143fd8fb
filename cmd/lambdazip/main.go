// Command lambdazip builds the Lambda deployment package of shoplake's
// stream consumer (make lambda):
//
//	go run ./cmd/lambdazip -o dist/shoplake-lambda.zip
//
// The zip holds one file, bootstrap, a static linux/arm64 build of
// ./cmd/shoplake-lambda for the provided.al2023 runtime; the same source
// gives the same bytes. deploy/aws/template.yaml deploys it.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"

	"github.com/shoplake/shoplake/internal/lambdazip"
)

func main() {
	out := flag.String("o", "dist/shoplake-lambda.zip", "the zip to write")
	pkg := flag.String("pkg", "./cmd/shoplake-lambda", "the main package to build")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "lambdazip: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := lambdazip.Build(context.Background(), *pkg, *out); err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
	b, err := os.ReadFile(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdazip:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d bytes, sha256 %x\n", *out, len(b), sha256.Sum256(b))
}
