package fetch_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio/fetch"
)

func TestFetchSavesFilesFromASlowServer(t *testing.T) {
	files := map[string][]byte{}
	for i := range 5 {
		files[fmt.Sprintf("/f%d.bin", i)] = content(10_000+i, uint64(i))
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		serve(w, r, files[r.URL.Path], "")
	})
	d := newDownloader(t)
	var reqs []fetch.Request
	for i := range 5 {
		reqs = append(reqs, fetch.Request{URL: fmt.Sprintf("%s/f%d.bin", srv.URL, i)})
	}
	res := runOK(t, d, reqs...)
	for i, r := range res {
		want := files[fmt.Sprintf("/f%d.bin", i)]
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Request.URL, r.Err)
		}
		if r.Path != in(d, fmt.Sprintf("f%d.bin", i)) || r.Bytes != int64(len(want)) || r.SHA256 != sum(want) || r.Attempts != 1 {
			t.Errorf("result %d = %+v, want path f%d.bin, %d bytes, sha256 %s, 1 attempt", i, r, i, len(want), sum(want))
		}
		checkFile(t, r.Path, want)
	}
	if got := dirFiles(t, d.Dir); len(got) != 5 {
		t.Errorf("directory holds %v, want the 5 files and nothing else", got)
	}
}

// TestFetchConcurrency checks that Jobs and PerHost bound the requests in
// flight, and that the bounds are reached: the servers hold each request
// until as many as expected have been in flight together, so a downloader
// that ran fewer at once would make the test fail after a 5s wait.
func TestFetchConcurrency(t *testing.T) {
	tests := []struct {
		name          string
		jobs, perHost int
		hosts         int
		want          int // requests in flight at once, over all hosts
	}{
		{"sync", 1, 0, 1, 1},
		{"jobs", 3, 0, 1, 3},
		{"jobs across hosts", 4, 0, 2, 4},
		{"per host", 8, 2, 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			inFlight, most := 0, 0
			hostInFlight, hostMost := map[string]int{}, map[string]int{}
			h := func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				inFlight++
				hostInFlight[r.Host]++
				most = max(most, inFlight)
				hostMost[r.Host] = max(hostMost[r.Host], hostInFlight[r.Host])
				mu.Unlock()
				for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
					mu.Lock()
					reached := most >= tt.want
					mu.Unlock()
					if reached {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				serve(w, r, []byte(r.URL.Path), "")
				mu.Lock()
				inFlight--
				hostInFlight[r.Host]--
				mu.Unlock()
			}
			d := newDownloader(t)
			d.Jobs, d.PerHost = tt.jobs, tt.perHost
			var reqs []fetch.Request
			for h2 := range tt.hosts {
				srv := newServer(t, h)
				for i := range 3 * tt.want {
					reqs = append(reqs, fetch.Request{URL: fmt.Sprintf("%s/h%d-%d", srv.URL, h2, i)})
				}
			}
			for _, r := range runOK(t, d, reqs...) {
				if r.Err != nil {
					t.Fatalf("%s: %v", r.Request.URL, r.Err)
				}
			}
			if most != tt.want {
				t.Errorf("at most %d requests were in flight at once, want %d", most, tt.want)
			}
			for host, n := range hostMost {
				if tt.perHost > 0 && n != tt.perHost {
					t.Errorf("at most %d requests to %s were in flight at once, want %d", n, host, tt.perHost)
				}
			}
		})
	}
}

// notFound is a Client whose every request is answered 404 at once.
var notFound = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
	return respond(r, http.StatusNotFound, http.NoBody, 0), nil
})}

// requestOrder runs reqs with d and returns the indexes of the requests in
// the order their first attempts started, and whether each had started
// before the download of reqs[0] was over.
func requestOrder(t *testing.T, d *fetch.Downloader, reqs ...fetch.Request) (order []int, beforeFirstDone []bool) {
	t.Helper()
	beforeFirstDone = make([]bool, len(reqs))
	firstDone := false
	d.OnEvent = func(e fetch.Event) {
		switch {
		case e.Kind == fetch.EventRequest && e.Attempt == 1:
			order = append(order, e.Index)
			beforeFirstDone[e.Index] = !firstDone
		case e.Kind == fetch.EventDone && e.Index == 0:
			firstDone = true
		}
	}
	runOK(t, d, reqs...)
	return order, beforeFirstDone
}

// With Jobs 1 the downloads run one after the other in the order of the
// requests, also with a PerHost that is no tighter than Jobs.
func TestFetchJobsOneKeepsTheOrder(t *testing.T) {
	for _, perHost := range []int{0, 1} {
		d := newDownloader(t)
		d.Client, d.Jobs, d.PerHost = notFound, 1, perHost
		order, _ := requestOrder(t, d,
			fetch.Request{URL: "http://a.test/1"}, fetch.Request{URL: "http://a.test/2"}, fetch.Request{URL: "http://b.test/1"})
		if !slices.Equal(order, []int{0, 1, 2}) {
			t.Errorf("PerHost %d: requests started in the order %v, want 0, 1, 2", perHost, order)
		}
	}
}

// PerHost counts a host by its name, in any case, and port, the scheme's
// default port when the URL gives none: a URL that spells the default
// port out names the same host.
func TestFetchPerHostCountsHostAndPort(t *testing.T) {
	tests := []struct {
		name     string
		a, b     string
		sameHost bool
	}{
		{"default http port", "http://h.test/a", "http://h.test:80/b", true},
		{"default https port", "https://h.test/a", "https://h.test:443/b", true},
		{"host name case", "http://h.test/a", "http://H.Test/b", true},
		{"http and https", "http://h.test/a", "https://h.test/b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDownloader(t)
			d.Client, d.Jobs, d.PerHost = notFound, 2, 1
			_, before := requestOrder(t, d, fetch.Request{URL: tt.a}, fetch.Request{URL: tt.b})
			if before[1] == tt.sameHost {
				t.Errorf("the second download started before the first was over: %v, want %v", before[1], !tt.sameHost)
			}
		})
	}
}

// However long the list of a host held back by PerHost, a download from
// another host starts at once: with a high Jobs, more downloads are alive
// at once than the 1024 that suffice for a lower one.
func TestFetchLongListDoesNotHoldBackOtherHosts(t *testing.T) {
	d := newDownloader(t)
	d.Client, d.Jobs, d.PerHost = notFound, 300, 1
	var reqs []fetch.Request
	for i := range 1100 {
		reqs = append(reqs, fetch.Request{URL: fmt.Sprintf("http://a.test/%d", i)})
	}
	reqs = append(reqs, fetch.Request{URL: "http://b.test/x"})
	_, before := requestOrder(t, d, reqs...)
	if !before[1100] {
		t.Error("the download from another host waited for downloads held back by PerHost")
	}
}

// readSizes is a body that records the largest read asked of it.
type readSizes struct {
	r       io.Reader
	largest *int
}

func (b readSizes) Read(p []byte) (int, error) {
	*b.largest = max(*b.largest, len(p))
	return b.r.Read(p)
}

// Under RateLimit a download reads at most a quarter of a second's worth
// of bytes at a time, each read waiting for its turn, so that the rate
// holds over spans shorter than a second too, from the start.
func TestFetchRateLimitReadsAQuarterSecondAtATime(t *testing.T) {
	const rateLimit = 512 << 10
	body := content(rateLimit/4+4096, 30)
	largest := 0
	d := newDownloader(t)
	d.RateLimit = rateLimit
	d.Client = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		return respond(r, http.StatusOK, readSizes{bytes.NewReader(body), &largest}, int64(len(body))), nil
	})}
	res := runOK(t, d, fetch.Request{URL: "http://h.test/f"})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	checkFile(t, res[0].Path, body)
	if largest > rateLimit/4 {
		t.Errorf("a read of %d bytes at a rate limit of %d bytes a second, want at most %d", largest, rateLimit, rateLimit/4)
	}
}
