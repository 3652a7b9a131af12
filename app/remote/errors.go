package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Problem says what went wrong talking to an endpoint.
type Problem string

// Problems.
const (
	Unreachable Problem = "unreachable" // no connection, or no answer in time
	Timeout     Problem = "timeout"     // connected, but no first byte in time
	AuthFailed  Problem = "auth"        // 401/403: the key is wrong or missing
	BadAnswer   Problem = "bad_answer"  // not the API it should speak (HTML, wrong JSON)
	Broken      Problem = "broken"      // the stream ended before the answer did
)

// Error is a failure talking to an endpoint, naming it.
type Error struct {
	Endpoint string
	URL      string
	Problem  Problem
	Status   int // the remote's status, for AuthFailed
	Detail   string
	Err      error
}

func (e *Error) Error() string {
	where := fmt.Sprintf("remote endpoint %q (%s)", e.Endpoint, e.URL)
	switch e.Problem {
	case Unreachable:
		return fmt.Sprintf("%s is not reachable: %s; check that the machine is on and its server is running, or remove it with `perch remote rm %s`", where, e.Detail, e.Endpoint)
	case Timeout:
		return fmt.Sprintf("%s did not answer in time: %s", where, e.Detail)
	case AuthFailed:
		return fmt.Sprintf("%s refused the API key (HTTP %d): %s; set the right key with `perch remote add %s URL --api-key KEY`", where, e.Status, e.Detail, e.Endpoint)
	case BadAnswer:
		return fmt.Sprintf("%s does not answer like an OpenAI or Ollama API: %s", where, e.Detail)
	case Broken:
		return fmt.Sprintf("%s broke off the answer: %s", where, e.Detail)
	}
	return fmt.Sprintf("%s: %s", where, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// classify turns a transport error into an *Error.
func classify(ep Endpoint, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	e := &Error{Endpoint: ep.Name, URL: ep.URL, Problem: Unreachable, Detail: err.Error(), Err: err}
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &oe) && oe.Op == "dial":
		e.Detail = oe.Err.Error()
		if oe.Timeout() {
			e.Detail = "no connection within the connect timeout"
		}
	case errors.As(err, &ne) && ne.Timeout():
		e.Problem, e.Detail = Timeout, "connected, but no answer within the first-byte timeout"
	}
	return e
}
