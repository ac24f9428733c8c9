package loadgen_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/loadgen/loadgen/loadgen"
)

// A Go program that runs a load against a URL and prints what it measured.
func ExampleNew() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	opts := loadgen.DefaultOptions()
	opts.Users = 10 // siege's -c 10
	opts.Reps = 20  // -r 20: 20 requests per user
	runner, err := loadgen.New([]loadgen.Target{{URL: srv.URL + "/"}}, opts)
	if err != nil {
		log.Fatal(err)
	}
	res, err := runner.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	p99 := res.Latency.ValueAtQuantile(99) // microseconds
	fmt.Println("transactions:", res.Transactions, "failed:", res.Failed, "status 200:", res.Status[200])
	fmt.Println("p99 measured:", p99 > 0 && p99 <= res.Longest.Microseconds()+1)
	// Output:
	// transactions: 200 failed: 0 status 200: 200
	// p99 measured: true
}

// One request, sent exactly as a load run sends it (siege's -g and -p).
func ExampleDo() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host %s", r.Host)
	}))
	defer srv.Close()

	opts := loadgen.DefaultOptions()
	opts.Headers = []loadgen.Header{{Name: "Host", Value: "example.test"}}
	ex, err := loadgen.Do(context.Background(), loadgen.Target{URL: srv.URL + "/"}, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ex.Status, string(ex.Body))
	// Output: 200 host example.test
}

// A Go program that ramps the load: 0 to 4 users over 300 ms, then holds 4
// for 200 ms, and reads each stage's figures.
func ExampleParseStages() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	opts := loadgen.DefaultOptions()
	opts.Users = 0 // the level to start from
	stages, err := loadgen.ParseStages("300ms:4,200ms:+4")
	if err != nil {
		log.Fatal(err)
	}
	opts.Stages = stages // or []loadgen.Stage{{Duration: 300 * time.Millisecond, Target: 4}, ...}
	runner, err := loadgen.New([]loadgen.Target{{URL: srv.URL + "/"}}, opts)
	if err != nil {
		log.Fatal(err)
	}
	res, err := runner.Run(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	var sum int64
	for _, s := range res.Stages {
		fmt.Printf("stage %d: %g -> %g users\n", s.Stage, s.From, s.To)
		sum += s.Transactions
	}
	fmt.Println("users at the peak:", res.Users, "stages add up:", sum == res.Transactions)
	// Output:
	// stage 1: 0 -> 4 users
	// stage 2: 4 -> 4 users
	// users at the peak: 4 stages add up: true
}
