package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// httpInFlight is the number of W7 requests in flight at any time.
const httpInFlight = 16

// wantBody is the body that bench/cmd/loopserver sends.
const wantBody = "pong\n"

// httpClient keeps a connection open for each request in flight: the
// default transport keeps only two idle ones per host, and would open and
// close a connection for most requests. aiohttp's and Node's clients keep
// theirs as well.
var httpClient = &http.Client{Transport: &http.Transport{
	MaxIdleConns:        httpInFlight,
	MaxIdleConnsPerHost: httpInFlight,
}}

// get requests url and checks the response.
func get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || string(body) != wantBody {
		return fmt.Errorf("GET %s: %s %q, want 200 %q", url, resp.Status, body, wantBody)
	}
	return nil
}

// checkCount checks that the workers' request counts add up to want.
func checkCount(counts []int, want int) (outcome, error) {
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != want {
		return outcome{}, fmt.Errorf("%d requests answered, want %d", total, want)
	}
	return outcome{check: fmt.Sprintf("%d responses checked", total)}, nil
}
