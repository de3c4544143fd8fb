// Command shoplake runs the shoplake pipeline: the local demo, the local
// endpoints, and (in later commands) each step on its own.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runCLI(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shoplake:", err)
		os.Exit(1)
	}
}
