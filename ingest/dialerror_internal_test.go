package ingest

import (
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
)

// A source nothing listens on is said in a person's words, and the
// transport's error is still there for errors.Is.
func TestDialError_Refused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = http.Get("http://" + host + "/users")
	got := dialError(host, err)
	if want := "cannot connect to " + host + ": connection refused, nothing listens there"; got.Error() != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if !errors.Is(got, syscall.ECONNREFUSED) {
		t.Errorf("%v does not wrap ECONNREFUSED", got)
	}
	if other := errors.New("EOF"); dialError(host, other) != other {
		t.Error("an error that is no dial error changed")
	}
}
