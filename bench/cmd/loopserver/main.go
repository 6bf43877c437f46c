// Command loopserver is the HTTP server that W7 of the benchmarks requests:
// it listens on a loopback address, prints the URL to request on standard
// output, and answers every GET with "pong\n". bench/run starts one and
// every runtime's client requests it, so that all of them meet the same
// server.
//
// Usage:
//
//	loopserver [-addr 127.0.0.1:0] [-lifetime 2h]
//
// It stops on SIGINT or SIGTERM, or by itself once -lifetime has passed, so
// that a forgotten server does not outlive the benchmark for long.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// body is what every request gets; the clients check it.
const body = "pong\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "the loopback address to listen on")
	lifetime := flag.Duration("lifetime", 2*time.Hour, "stop after this long")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: loopserver [-addr 127.0.0.1:0] [-lifetime 2h]")
		os.Exit(2)
	}
	if err := serve(*addr, *lifetime); err != nil {
		log.Fatal("loopserver: ", err)
	}
}

// serve listens on addr, which must be a loopback address, prints the URL
// and serves until a signal comes or lifetime passes.
func serve(addr string, lifetime time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return fmt.Errorf("%s is not a loopback address", ip)
	}
	fmt.Printf("http://%s/ping\n", ln.Addr())

	srv := &http.Server{
		Handler:           http.HandlerFunc(pong),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func pong(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "only GET", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Write([]byte(body))
}
