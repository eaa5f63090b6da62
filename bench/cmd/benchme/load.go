package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Load is one timed run against one target.
type Load struct {
	Target   string
	Requests int64         // responses with a 2xx status
	Failed   int64         // non-2xx responses and transport errors
	Elapsed  time.Duration // as the generator measured it
	P50, P99 time.Duration // latency of all responses
	Detail   string        // generator-specific notes (socket errors)
}

// RPS is successful responses per second: a failed request is no
// throughput.
func (l Load) RPS() float64 {
	if l.Elapsed <= 0 {
		return 0
	}
	return float64(l.Requests) / l.Elapsed.Seconds()
}

// Generator drives load at url for d with the given connections.
type Generator interface {
	Name() string
	Run(ctx context.Context, url, auth string, conns int, d time.Duration) (Load, error)
}

// wrk runs Debian's wrk as a child process, so the load generator's CPU is
// visible to the kernel as another process and none of it lands in the
// server's Go runtime.
type wrk struct {
	path    string
	threads int
}

func (w wrk) Name() string { return fmt.Sprintf("wrk -t%d", w.threads) }

func (w wrk) Run(ctx context.Context, url, auth string, conns int, d time.Duration) (Load, error) {
	args := []string{fmt.Sprintf("-t%d", w.threads), fmt.Sprintf("-c%d", conns),
		fmt.Sprintf("-d%ds", int(d.Round(time.Second)/time.Second)), "--latency"}
	if auth != "" {
		args = append(args, "-H", "Authorization: "+auth)
	}
	args = append(args, url)
	cmd := exec.CommandContext(ctx, w.path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return Load{}, fmt.Errorf("wrk: %w: %s", err, errb.String())
	}
	l, err := parseWrk(out.String())
	if err != nil {
		return Load{}, fmt.Errorf("%w in wrk output:\n%s", err, out.String())
	}
	return l, nil
}

var (
	wrkTotal   = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m|h),`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m|h)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSockets = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
)

func wrkDuration(num, unit string) (time.Duration, error) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}[unit]
	return time.Duration(f * mult), nil
}

// parseWrk reads wrk 4's --latency report. "Requests/sec" counts every
// response, so successful ones are recomputed from the total minus
// "Non-2xx or 3xx responses" (wrk counts status >= 400 there).
func parseWrk(s string) (Load, error) {
	var l Load
	m := wrkTotal.FindStringSubmatch(s)
	if m == nil {
		return l, fmt.Errorf("no \"N requests in T\" line")
	}
	total, _ := strconv.ParseInt(m[1], 10, 64)
	var err error
	if l.Elapsed, err = wrkDuration(m[2], m[3]); err != nil {
		return l, err
	}
	if wrkRPS.FindStringSubmatch(s) == nil {
		return l, fmt.Errorf("no Requests/sec line")
	}
	for _, p := range wrkPct.FindAllStringSubmatch(s, -1) {
		d, err := wrkDuration(p[2], p[3])
		if err != nil {
			return l, err
		}
		if p[1] == "50" {
			l.P50 = d
		} else {
			l.P99 = d
		}
	}
	if l.P99 == 0 {
		return l, fmt.Errorf("no 99%% latency line (was --latency given?)")
	}
	if m := wrkNon2xx.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		l.Failed += n
		total -= n
	}
	if m := wrkSockets.FindStringSubmatch(s); m != nil {
		var sum int64
		for _, x := range m[1:] {
			n, _ := strconv.ParseInt(x, 10, 64)
			sum += n
		}
		l.Failed += sum
		l.Detail = strings.TrimSpace(m[0])
	}
	l.Requests = total
	return l, nil
}

// goGen is the built-in generator: conns goroutines, each with its own
// keep-alive connection, sending one request after another for d. It needs
// nothing installed, but shares the server's two cores and Go runtime, so
// it depresses both targets more than wrk does.
type goGen struct{}

func (goGen) Name() string { return "go" }

func (goGen) Run(ctx context.Context, url, auth string, conns int, d time.Duration) (Load, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Load{}, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	type result struct {
		ok, failed int64
		lat        []time.Duration
		err        error
	}
	results := make([]result, conns)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func(r *result) {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 2 * time.Second} // wrk's default timeout
			req := req.Clone(ctx)                                      // one request per goroutine: Do may not share one
			r.lat = make([]time.Duration, 0, 1<<14)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				res, err := c.Do(req)
				if err != nil {
					r.failed++
					if ctx.Err() == nil && r.err == nil {
						r.err = err
					}
					continue
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				r.lat = append(r.lat, time.Since(t0))
				if err != nil || res.StatusCode < 200 || res.StatusCode > 299 {
					r.failed++
					continue
				}
				r.ok++
			}
		}(&results[i])
	}
	wg.Wait()
	l := Load{Elapsed: time.Since(start)}
	var all []time.Duration
	var firstErr error
	for _, r := range results {
		l.Requests += r.ok
		l.Failed += r.failed
		all = append(all, r.lat...)
		if firstErr == nil {
			firstErr = r.err
		}
	}
	if err := ctx.Err(); err != nil {
		return l, err
	}
	slices.Sort(all)
	l.P50, l.P99 = quantile(all, 0.50), quantile(all, 0.99)
	if firstErr != nil {
		l.Detail = "first error: " + firstErr.Error()
	}
	return l, nil
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// wrkVersion returns wrk's first line of -v output, e.g. "wrk 4.1.0 [epoll] ...".
func wrkVersion(path string) string {
	out, _ := exec.Command(path, "-v").CombinedOutput() // wrk -v exits 1
	line, _, _ := bufio.NewReader(bytes.NewReader(out)).ReadLine()
	v, _, _ := strings.Cut(string(line), " Copyright")
	return strings.TrimSpace(v)
}
