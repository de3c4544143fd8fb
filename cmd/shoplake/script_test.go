package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs testdata/script/*.txtar: one script per command, each
// running `shoplake ...` as a process (TestMain makes this binary the
// command), on tiny worlds, and asserting what a user sees: the key lines of
// the happy path, the main errors in the user's words, that an error goes
// to stderr prefixed "shoplake:" with stdout empty, and the exit codes.
//
// Run one with `go test ./cmd/shoplake -run TestScripts/NAME`; -testwork
// keeps its $WORK directory. Each script starts in an empty $WORK with
// HOME inside it, no SHOPLAKE_* variable and no network but loopback; PORT1
// to PORT4 are free loopback ports for the commands that serve.
//
// Commands a script may use besides testscript's own:
//
//	waitport HOST:PORT    waits (at most 60 s) until something listens there
//	httpget [-until RE] URL  GETs URL; its body becomes stdout, a status
//	                      other than 200 fails (! httpget: must fail); with
//	                      -until, GETs again (at most 60 s) until the body
//	                      matches RE: a server that is up but not yet done
//	                      with its first piece of work
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, ".home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			// testscript passes on none of the user's variables (no
			// SHOPLAKE_*): only PATH, TMPDIR and the like.
			env.Setenv("HOME", home)
			for i := 1; i <= 4; i++ {
				port, err := freePort()
				if err != nil {
					return err
				}
				env.Setenv("PORT"+strconv.Itoa(i), strconv.Itoa(port))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitport": cmdWaitPort,
			"httpget":  cmdHTTPGet,
		},
	})
}

// freePort is a loopback port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func cmdWaitPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitport HOST:PORT")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on %s after 60s: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	var until *regexp.Regexp
	if len(args) == 3 && args[0] == "-until" {
		until = regexp.MustCompile("(?m)" + args[1])
		args = args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: httpget [-until RE] URL")
	}
	get := func() ([]byte, error) {
		c := http.Client{Timeout: 30 * time.Second}
		resp, err := c.Get(args[0])
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return body, fmt.Errorf("GET %s: %s", args[0], resp.Status)
		}
		return body, nil
	}
	body, err := get()
	for deadline := time.Now().Add(60 * time.Second); until != nil && err == nil && !until.Match(body) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		body, err = get()
	}
	ts.Stdout().Write(body)
	switch {
	case err != nil && !neg:
		ts.Fatalf("%v", err)
	case err == nil && neg:
		ts.Fatalf("GET %s succeeded", args[0])
	}
}
