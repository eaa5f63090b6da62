package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/linli/linli/bench"
)

type facts struct {
	cpu, generator     string
	loadStart, loadEnd string
}

func machineFacts(g Generator) facts {
	f := facts{cpu: bench.CPUModel(), generator: g.Name(), loadStart: bench.LoadAvg()}
	if w, ok := g.(wrk); ok {
		f.generator = fmt.Sprintf("%s (%s)", g.Name(), wrkVersion(w.path))
	}
	return f
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func column(ss []Sample, f func(Sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// report prints the run as Markdown, ready to paste into bench/README.md.
func report(w io.Writer, f flags, g Generator, fa facts, dbName string, me *bench.Response, loads map[string][]Sample) {
	fmt.Fprintf(w, "\n## GET %s: Linli vs bare net/http\n\n", bench.MePath)
	fmt.Fprintf(w, "- machine: %d CPUs (%s), GOMAXPROCS %d, %s\n", runtime.NumCPU(), fa.cpu, runtime.GOMAXPROCS(0), goVersion())
	fmt.Fprintf(w, "- load average: %s at start, %s at end\n", fa.loadStart, fa.loadEnd)
	fmt.Fprintf(w, "- database: %s\n", dbName)
	fmt.Fprintf(w, "- generator: %s, %d connections, %d rounds of %s per target, alternating, after %s warm-up\n",
		fa.generator, f.conns, f.rounds, f.duration, f.warmup)
	hdr := "Content-Type only"
	if f.bareHeaders {
		hdr = "every header Linli sends"
	}
	fmt.Fprintf(w, "- response: %d bytes of JSON (%s); bare sends the same bytes with %s\n\n",
		len(me.Body), me.Header.Get("Content-Type"), hdr)

	fmt.Fprintln(w, "| target | req/s (median) | req/s (min–max) | p50 ms (median) | p99 ms (median) | p99 ms (min–max) | CPU µs/req (median) | failed |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range []string{"bare", "linli"} {
		ss := loads[name]
		rps := column(ss, func(s Sample) float64 { return s.RPS() })
		p99 := column(ss, func(s Sample) float64 { return ms(s.P99) })
		var fail int64
		for _, s := range ss {
			fail += s.Failed
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f–%.0f | %.2f | %.2f | %.2f–%.2f | %.1f | %d |\n", name,
			median(rps), slices.Min(rps), slices.Max(rps),
			median(column(ss, func(s Sample) float64 { return ms(s.P50) })),
			median(p99), slices.Min(p99), slices.Max(p99),
			median(column(ss, Sample.CPUPerReq)), fail)
	}

	b, l := loads["bare"], loads["linli"]
	var rr, pr, cr []float64 // ratios within each round, where noise is shared
	for i := range min(len(b), len(l)) {
		rr = append(rr, l[i].RPS()/b[i].RPS())
		pr = append(pr, ms(b[i].P99)/ms(l[i].P99))
		cr = append(cr, b[i].CPUPerReq()/l[i].CPUPerReq())
	}
	rpsRatio := median(column(l, func(s Sample) float64 { return s.RPS() })) / median(column(b, func(s Sample) float64 { return s.RPS() }))
	p99Ratio := median(column(b, func(s Sample) float64 { return ms(s.P99) })) / median(column(l, func(s Sample) float64 { return ms(s.P99) }))
	cpuRatio := median(column(b, Sample.CPUPerReq)) / median(column(l, Sample.CPUPerReq))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| ratio (1.0 = as fast as bare) | of medians | per round: median (min–max) |")
	fmt.Fprintln(w, "|---|---:|---:|")
	fmt.Fprintf(w, "| req/s linli/bare (target ≥ 0.5) | **%.2f** | %.2f (%.2f–%.2f) |\n", rpsRatio, median(rr), slices.Min(rr), slices.Max(rr))
	fmt.Fprintf(w, "| p99 bare/linli | %.2f | %.2f (%.2f–%.2f) |\n", p99Ratio, median(pr), slices.Min(pr), slices.Max(pr))
	cpuNote := "server CPU per request"
	if _, ok := g.(goGen); ok {
		cpuNote = "process CPU per request, client included"
	}
	fmt.Fprintf(w, "| %s, bare/linli | %.2f | %.2f (%.2f–%.2f) |\n", cpuNote, cpuRatio, median(cr), slices.Min(cr), slices.Max(cr))
	verdict := "meets"
	if rpsRatio < 0.5 {
		verdict = "misses"
	}
	fmt.Fprintf(w, "\nreq/s ratio %.2f %s the 0.5 target.\n", rpsRatio, verdict)
}
