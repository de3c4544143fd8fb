package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// produceOptions are the flags of shoplake produce.
type produceOptions struct {
	input   string
	rate    float64
	speed   float64
	dataDir string
	asJSON  bool
	jitter  jitterFlag
}

func newProduceCmd(g *globalFlags) *cobra.Command {
	var (
		opts  produceOptions
		world worldFlags
		an    sim.AnomalyConfig
	)
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Put the simulated clickstream, or NDJSON records, on the Kinesis stream",
		Long: `produce puts clickstream records on the configured Kinesis stream with
PutRecords, in any mode, and accounts for every one: sent, acknowledged, or
refused before sending with its reason.

By default the records are the simulated clickstream: the same world and
anomaly flags as ` + "`shoplake sim events`" + `, so the stream receives exactly the records
that command prints, each keyed by its session_id. With --input FILE (- for
stdin), every non-blank line of NDJSON is sent as it is, malformed or not, so
that invalid records reach the consumer's quarantine; its partition key is
the line's session_id if it has one, else a hash of the line. A record over
Kinesis's 1 MiB limit is refused, not sent.

Pacing: --rate N sends N records per second; --speed F replays the records at
F times real time (the simulator's send times, or each line's event_time:
records earlier than the one before them go at once); with neither, records
go as fast as the stream's quotas allow, throttled records being retried with
backoff. The backoff's jitter comes from a seed drawn per process (logged
with -v, reported as jitter_seed), so that producers throttled together do
not retry together; --jitter-seed N replays a run's waits.

Progress goes to stderr about every second; the account to stdout. The exit
status is non-zero if any record was refused or the stream failed.

In mode local without kinesis.endpoint, the stream is the one kept under
<data-dir>/kinesis, as consume reads it; it must exist (shoplake setup).`,
		Example: "  shoplake produce --users 100 --days 1\n" +
			"  shoplake produce --duplicates 0.01 --late 0.02 --speed 3600 --json\n" +
			"  shoplake sim events --users 100 | shoplake produce --input - --rate 500",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			if fs.Changed("rate") && fs.Changed("speed") {
				return errors.New("--rate and --speed: choose one way to pace the records")
			}
			if fs.Changed("rate") && !(opts.rate > 0 && !math.IsInf(opts.rate, 1)) {
				return fmt.Errorf("--rate %g: want a positive number of records per second", opts.rate)
			}
			if fs.Changed("speed") && !(opts.speed > 0 && !math.IsInf(opts.speed, 1)) {
				return fmt.Errorf("--speed %g: want a positive factor of real time", opts.speed)
			}
			if opts.input != "" {
				// The world and anomaly flags, as sim events has them.
				simFlags := pflag.NewFlagSet("sim", pflag.ContinueOnError)
				(&worldFlags{}).register(simFlags)
				registerAnomalyFlags(simFlags, &sim.AnomalyConfig{})
				var simOnly []string
				simFlags.VisitAll(func(f *pflag.Flag) {
					if fs.Changed(f.Name) {
						simOnly = append(simOnly, "--"+f.Name)
					}
				})
				if len(simOnly) > 0 {
					return fmt.Errorf("%s: they shape the simulated clickstream, which --input replaces", strings.Join(simOnly, ", "))
				}
			}
			cfg, err := g.loadData(cmd, opts.dataDir)
			if err != nil {
				return err
			}
			world.apply(fs, &cfg)
			needs := config.NeedStream
			if opts.input == "" {
				needs |= config.NeedWorld
			}
			if err := cfg.Check("shoplake produce", needs); err != nil {
				return err
			}
			return runProduce(cmd, g, cfg, opts, an)
		},
	}
	fs := cmd.Flags()
	world.register(fs)
	registerAnomalyFlags(fs, &an)
	fs.StringVar(&opts.input, "input", "", "send the NDJSON records of this file (- for stdin) instead of the simulated clickstream")
	fs.Float64Var(&opts.rate, "rate", 0, "records per second")
	fs.Float64Var(&opts.speed, "speed", 0, "replay at this factor of real time, by the records' times")
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake (and, in mode local, the stream) is")
	fs.BoolVar(&opts.asJSON, "json", false, "print the account as JSON")
	opts.jitter.register(fs)
	return cmd
}

// produceAccount is the final account of a produce run (--json). Every
// record read is refused, sent, or unsent; a sent record is acknowledged or
// not.
type produceAccount struct {
	Stream   string `json:"stream"`
	Endpoint string `json:"endpoint"`
	Source   string `json:"source"`
	Pacing   string `json:"pacing"`
	// JitterSeed is the seed of the backoff's jitter (--jitter-seed).
	JitterSeed uint64 `json:"jitter_seed,string"`
	// Records counts the records read from the source (blank lines aside).
	Records    int `json:"records"`
	BlankLines int `json:"blank_lines,omitempty"`
	// Refused counts the records not sent because Kinesis would refuse them
	// (stream.Reject* reasons).
	Refused        int            `json:"refused"`
	RefusedReasons map[string]int `json:"refused_by_reason,omitempty"`
	// Sent counts the records handed to PutRecords; Acknowledged those the
	// stream accepted; Unacknowledged the others (given up after retries,
	// or in doubt when the run stopped).
	Sent           int `json:"sent"`
	Acknowledged   int `json:"acknowledged"`
	Unacknowledged int `json:"unacknowledged"`
	// Unsent counts records read but never sent, because the run stopped.
	Unsent    int     `json:"unsent"`
	Throttled int     `json:"throttled"` // record sends refused for the shards' throughput
	Retried   int     `json:"retried"`   // record sends repeated
	Calls     int     `json:"put_records_calls"`
	BackoffMS int64   `json:"backoff_ms"`
	ElapsedMS int64   `json:"elapsed_ms"`
	PerSecond float64 `json:"events_per_second"` // acknowledged records per second
	Error     string  `json:"error,omitempty"`
}

func runProduce(cmd *cobra.Command, g *globalFlags, cfg config.Config, opts produceOptions, an sim.AnomalyConfig) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	errw := cmd.ErrOrStderr()
	clk := clock.Real{}
	jitterSeed, err := opts.jitter.resolve(cmd.Flags(), g.logger(errw))
	if err != nil {
		return err
	}

	src := produceSource{name: "simulator"}
	switch opts.input {
	case "":
		wcfg, err := pipeline.WorldConfig(cfg)
		if err != nil {
			return err
		}
		gen, err := sim.NewGenerator(wcfg)
		if err != nil {
			return err
		}
		src = simSource(gen, an, cfg.Seed)
	case "-":
		src = ndjsonSource(ctx, "stdin", cmd.InOrStdin())
	default:
		f, err := os.Open(opts.input)
		if err != nil {
			return fileError("--input", opts.input, err)
		}
		defer f.Close()
		src = ndjsonSource(ctx, opts.input, f)
	}
	pc, pacing := pacer(noPacer{}), "as fast as the stream accepts"
	switch {
	case opts.rate > 0:
		pc, pacing = &ratePacer{rate: opts.rate}, fmt.Sprintf("%g records/s", opts.rate)
	case opts.speed > 0:
		pc, pacing = &speedPacer{speed: opts.speed}, fmt.Sprintf("%g x real time", opts.speed)
	}

	if err := requireDataDir(cfg, cfg.Kinesis.Endpoint, "no stream "+cfg.Kinesis.Stream+" to put records on; run shoplake setup first"); err != nil {
		return err
	}
	// A simulated world's events go into a data directory of that world
	// only, as the batch's do: two shops in one lake would mix.
	if opts.input == "" && cfg.Mode == config.ModeLocal && cfg.Kinesis.Endpoint == "" {
		if err := pipeline.CheckManifest(cfg); err != nil {
			return err
		}
	}
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clk, PersistStreams: true})
	if err != nil {
		return err
	}
	defer env.Close()
	endpoint := env.Endpoints["kinesis"]
	if err := requireStream(ctx, env, cfg.Kinesis.Stream); err != nil {
		return err
	}
	p := &stream.Producer{Client: env.Kinesis, Stream: cfg.Kinesis.Stream, Clock: clk,
		Backoff: stream.Backoff{Jitter: rng.New(jitterSeed, "stream/produce")}}
	began := clk.Now()
	lastLine := began
	progress := func(t produceTotals) {
		now := clk.Now()
		if now.Sub(lastLine) < time.Second {
			return
		}
		lastLine = now
		el := now.Sub(began)
		fmt.Fprintf(errw, "  %d read, %d sent, %d acknowledged, %d refused [%s, %.0f/s]\n",
			t.Records, t.Put.Attempted-t.Put.Rejected, t.Put.Acknowledged, t.Put.Rejected,
			el.Round(time.Second), perSecond(t.Put.Acknowledged, el))
	}
	tot, runErr := produce(ctx, clk, p, src.each, pc, progress)
	elapsed := clk.Now().Sub(began)
	if src.summary != nil {
		fmt.Fprintln(errw, src.summary())
	}

	acct := newProduceAccount(tot, elapsed)
	acct.Stream, acct.Endpoint, acct.Source, acct.Pacing = cfg.Kinesis.Stream, endpoint, src.name, pacing
	acct.JitterSeed = jitterSeed
	var errs []error
	if runErr != nil {
		if ctx.Err() != nil {
			runErr = fmt.Errorf("interrupted: %w", ctx.Err())
		}
		errs = append(errs, fmt.Errorf("stopped after %d of %d records acknowledged: %w", acct.Acknowledged, acct.Records, runErr))
	}
	if acct.Refused > 0 {
		errs = append(errs, fmt.Errorf("%d of %d records refused (%s)", acct.Refused, acct.Records, reasonList(acct.RefusedReasons)))
	}
	if runErr == nil && acct.Unacknowledged > 0 {
		// PutRecords returns an error with every given-up record; this is a
		// guard, not an expected path.
		errs = append(errs, fmt.Errorf("%d records sent but not acknowledged", acct.Unacknowledged))
	}
	failure := errors.Join(errs...)
	if failure != nil {
		acct.Error = failure.Error()
	}
	out := cmd.OutOrStdout()
	if err := report(out, opts.asJSON, acct, printProduce); err != nil {
		return err
	}
	if failure != nil {
		return fmt.Errorf("produce to %s: %w", cfg.Kinesis.Stream, failure)
	}
	return nil
}

func newProduceAccount(t produceTotals, elapsed time.Duration) produceAccount {
	sent := t.Put.Attempted - t.Put.Rejected
	a := produceAccount{
		Records: t.Records, BlankLines: t.Blank,
		Refused: t.Put.Rejected, RefusedReasons: t.Put.RejectedReasons,
		Sent: sent, Acknowledged: t.Put.Acknowledged, Unacknowledged: sent - t.Put.Acknowledged,
		Unsent:    t.Records - t.Put.Attempted,
		Throttled: t.Put.Throttled, Retried: t.Put.Retried, Calls: t.Put.Calls,
		BackoffMS: t.Put.Waited.Milliseconds(), ElapsedMS: elapsed.Milliseconds(),
		PerSecond: math.Round(perSecond(t.Put.Acknowledged, elapsed)*10) / 10,
	}
	return a
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// reasonList writes reasons as "2 over 1 MiB, 1 empty data", most frequent
// first.
func reasonList(reasons map[string]int) string {
	names := make([]string, 0, len(reasons))
	for r := range reasons {
		names = append(names, r)
	}
	sort.Slice(names, func(i, j int) bool {
		if a, b := reasons[names[i]], reasons[names[j]]; a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, r := range names {
		parts[i] = fmt.Sprintf("%d %s", reasons[r], r)
	}
	return strings.Join(parts, ", ")
}

func printProduce(w io.Writer, a produceAccount) {
	fmt.Fprintf(w, "stream %s (%s), source %s, pacing: %s\n", a.Stream, a.Endpoint, a.Source, a.Pacing)
	fmt.Fprintf(w, "records %d: %d sent, %d acknowledged, %d refused", a.Records, a.Sent, a.Acknowledged, a.Refused)
	if a.Unacknowledged > 0 {
		fmt.Fprintf(w, ", %d not acknowledged", a.Unacknowledged)
	}
	if a.Unsent > 0 {
		fmt.Fprintf(w, ", %d unsent", a.Unsent)
	}
	if a.BlankLines > 0 {
		fmt.Fprintf(w, " (%d blank lines skipped)", a.BlankLines)
	}
	fmt.Fprintln(w)
	if a.Refused > 0 {
		fmt.Fprintf(w, "refused: %s\n", reasonList(a.RefusedReasons))
	}
	fmt.Fprintf(w, "throttled %d record sends, %d retried, %d PutRecords calls, %s of backoff\n",
		a.Throttled, a.Retried, a.Calls, time.Duration(a.BackoffMS)*time.Millisecond)
	fmt.Fprintf(w, "elapsed %s, %.1f events/s\n", time.Duration(a.ElapsedMS)*time.Millisecond, a.PerSecond)
	if a.Error != "" {
		fmt.Fprintf(w, "\nerror: %s\n", a.Error)
	}
}

// outRecord is one record a source hands to produce.
type outRecord struct {
	rec stream.Record
	// at is the time that paces the record under --speed: its send time
	// in the simulator, its event_time on a line; zero if it has none.
	at time.Time
	// refused, if set, is why the record is not sent (a stream.Reject*
	// reason found while reading); rec is then empty.
	refused string
	blank   bool // a blank line: not a record
	// idle asks produce to send what it holds, because the source is about
	// to wait for input; it is not a record.
	idle bool
}

// produceSource is where produce's records come from.
type produceSource struct {
	name string
	// each yields the records in order; it returns nil when they are all
	// yielded or yield returned false, or the error that stopped it.
	each func(yield func(outRecord) bool) error
	// summary, if set, describes what was yielded (after each returns).
	summary func() string
}

// simSource yields gen's clickstream as sim events prints it: the events
// encoded as the producer does, or, with any anomaly rate, the deliveries
// of an anomalizer seeded with seed.
func simSource(gen *sim.Generator, an sim.AnomalyConfig, seed uint64) produceSource {
	wc := gen.Config()
	src := produceSource{name: fmt.Sprintf("simulator (seed %d, %d days from %s, %d users)", seed, wc.Days, wc.Start.Format(time.DateOnly), wc.Users)}
	var a *sim.Anomalizer
	src.each = func(yield func(outRecord) bool) error {
		if !anomalous(an) {
			for e := range gen.Events {
				data, err := json.Marshal(&e)
				if err != nil {
					return fmt.Errorf("encode event %s: %w", e.EventID, err)
				}
				if !yield(outRecord{rec: stream.Record{Data: data, PartitionKey: e.SessionID}, at: e.EventTime}) {
					return nil
				}
			}
			return nil
		}
		var err error
		if a, err = sim.NewAnomalizer(seed, an); err != nil {
			return err
		}
		for d := range a.Deliveries(gen.Events) {
			if !yield(outRecord{rec: stream.Record{Data: d.Data, PartitionKey: d.PartitionKey}, at: d.SendAt}) {
				return nil
			}
		}
		return a.Err()
	}
	src.summary = func() string {
		st := gen.Stats()
		s := fmt.Sprintf("simulated %d events of %d sessions, %d orders (%d untracked)", st.Events, st.Sessions, st.Orders, st.UntrackedPurchases)
		if a != nil {
			c := a.Counts()
			s += "\n" + anomalySummary(c)
		}
		return s
	}
	return src
}

// ndjsonSource yields the lines of r as records, as they are (without
// their "\n" or "\r\n"). A line over stream.MaxRecordBytes is refused
// without being kept in memory. The lines are read ahead in a goroutine,
// so that produce sends what it holds when the input pauses (a pipe, a
// tail -f) and ctx ends the wait for the next line.
func ndjsonSource(ctx context.Context, name string, r io.Reader) produceSource {
	type line struct {
		data []byte // nil if the line is over stream.MaxRecordBytes
		size int    // bytes of the line, ending included
		err  error
	}
	each := func(yield func(outRecord) bool) error {
		lines := make(chan line, 256)
		done := make(chan struct{})
		defer close(done)
		go func() {
			defer close(lines)
			br := bufio.NewReaderSize(r, 1<<16)
			for {
				var l line
				var err error
				for {
					var chunk []byte
					chunk, err = br.ReadSlice('\n')
					l.size += len(chunk)
					if l.size <= stream.MaxRecordBytes+2 { // room for the "\r\n"
						l.data = append(l.data, chunk...)
					} else {
						l.data = nil
					}
					if err != bufio.ErrBufferFull {
						break
					}
				}
				if err != nil && err != io.EOF {
					l.err = err
				}
				if l.size > 0 || l.err != nil {
					select {
					case lines <- l:
					case <-done:
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		var idle *time.Timer // the input's pause, on the wall clock: it is about the input, not the pacing
		n := 0
		for {
			var l line
			var ok bool
			select {
			case l, ok = <-lines:
			default:
				if idle == nil {
					idle = time.NewTimer(flushAfter)
					defer idle.Stop()
				} else {
					idle.Reset(flushAfter)
				}
				select {
				case l, ok = <-lines:
				case <-ctx.Done():
					return ctx.Err()
				case <-idle.C:
					if !yield(outRecord{idle: true}) {
						return nil
					}
					select {
					case l, ok = <-lines:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			}
			if !ok {
				return nil
			}
			n++
			if l.err != nil {
				return fmt.Errorf("read %s line %d: %w", name, n, l.err)
			}
			var rec outRecord
			data := bytes.TrimSuffix(bytes.TrimSuffix(l.data, []byte("\n")), []byte("\r"))
			switch {
			case l.data == nil:
				rec.refused = stream.RejectOverMaxRecord
			case len(data) == 0:
				rec.blank = true
			case len(data) > stream.MaxRecordBytes:
				rec.refused = stream.RejectOverMaxRecord
			default:
				key, at := lineKey(data)
				rec.rec, rec.at = stream.Record{Data: data, PartitionKey: key}, at
			}
			if !yield(rec) {
				return nil
			}
		}
	}
	return produceSource{name: name, each: each}
}

// lineKey returns the partition key of an NDJSON line, its session_id if it
// is a JSON object with a usable one, else a hash of the line; and its
// event_time, zero if it has none in RFC 3339.
func lineKey(data []byte) (key string, at time.Time) {
	var v struct {
		SessionID json.RawMessage `json:"session_id"`
		EventTime json.RawMessage `json:"event_time"`
	}
	if json.Unmarshal(data, &v) == nil {
		var s string
		if json.Unmarshal(v.SessionID, &s) == nil && s != "" && utf8.RuneCountInString(s) <= stream.MaxPartitionKeyLen {
			key = s
		}
		if json.Unmarshal(v.EventTime, &s) == nil {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				at = t
			}
		}
	}
	if key == "" {
		sum := sha256.Sum256(data)
		key = hex.EncodeToString(sum[:16])
	}
	return key, at
}

// produceTotals counts what produce read and what the producer did with it.
type produceTotals struct {
	Records int // records read (refused ones included, blank lines not)
	Blank   int // blank lines skipped
	Put     stream.PutStats
}

// flushAfter is how long produce holds paced records to send them
// together: a record goes at most this long after it is due.
const flushAfter = 100 * time.Millisecond

// produce sends each record of each through p, in PutRecords calls of up
// to stream.MaxBatchRecords, each record once pc says it is due on clk. It
// counts refused records (the source's and the producer's) in the stats
// without sending them, calls progress after every PutRecords call, and
// returns the totals with the first error of the producer, the source or
// ctx; the records still held then are never sent.
func produce(ctx context.Context, clk clock.Clock, p *stream.Producer, each func(func(outRecord) bool) error,
	pc pacer, progress func(produceTotals)) (produceTotals, error) {
	var (
		tot    produceTotals
		buf    []stream.Record
		size   int
		bufDue time.Time
		runErr error
	)
	flush := func() bool {
		if len(buf) == 0 {
			return true
		}
		st, err := p.PutRecords(ctx, buf)
		tot.Put.Add(st)
		buf, size = buf[:0], 0
		progress(tot)
		if err != nil {
			runErr = err
			return false
		}
		return true
	}
	srcErr := each(func(r outRecord) bool {
		switch {
		case r.idle:
			return flush()
		case r.blank:
			tot.Blank++
			return true
		case r.refused != "":
			tot.Records++
			tot.Put.Add(stream.PutStats{Attempted: 1, Rejected: 1, RejectedReasons: map[string]int{r.refused: 1}})
			return true
		}
		tot.Records++
		n := len(r.rec.Data) + len(r.rec.PartitionKey)
		due := pc.due(clk.Now(), r.at)
		if len(buf) > 0 && (due.Sub(bufDue) >= flushAfter || len(buf) == stream.MaxBatchRecords || size+n > stream.MaxBatchBytes) {
			if !flush() {
				return false
			}
		}
		if wait := due.Sub(clk.Now()); wait > 0 {
			if err := clk.Sleep(ctx, wait); err != nil {
				runErr = err
				return false
			}
		}
		if len(buf) == 0 {
			bufDue = due
		}
		buf = append(buf, r.rec)
		size += n
		return true
	})
	if runErr == nil && srcErr == nil {
		if err := ctx.Err(); err != nil {
			runErr = err
		} else {
			flush()
		}
	}
	return tot, errors.Join(runErr, srcErr)
}

// pacer says when a record is due.
type pacer interface {
	// due returns when the next record, whose pacing time is at (zero if
	// it has none), should be sent, given that it is now now. It is called
	// once per record, in order.
	due(now, at time.Time) time.Time
}

// noPacer sends every record at once.
type noPacer struct{}

func (noPacer) due(now, _ time.Time) time.Time { return now }

// rateBurst is how far behind its schedule a ratePacer may catch up at
// once (after the stream held it back): at most a second's worth of
// records goes faster than the rate.
const rateBurst = time.Second

// ratePacer spaces records 1/rate seconds apart, as tokens that accrue at
// rate per second from the first call, one per record: the n-th record is
// due n/rate seconds after the first call, so n records take n/rate.
type ratePacer struct {
	rate    float64
	anchor  time.Time
	n       int64
	started bool
}

func (p *ratePacer) due(now, _ time.Time) time.Time {
	if !p.started {
		p.anchor, p.started = now, true
	}
	p.n++
	d := p.anchor.Add(p.slot(p.n))
	if floor := now.Add(-rateBurst); d.Before(floor) {
		p.anchor, p.n = floor, 1
		d = floor.Add(p.slot(1))
	}
	return d
}

func (p *ratePacer) slot(n int64) time.Duration {
	return time.Duration(math.Round(float64(n) * float64(time.Second) / p.rate))
}

// speedPacer replays records at speed times real time: a record whose
// pacing time is t is due (t - t0)/speed after the first record (pacing
// time t0) was. A record without a pacing time, or earlier than its
// schedule allows now, is due at once.
type speedPacer struct {
	speed     float64
	t0, start time.Time
	started   bool
}

func (p *speedPacer) due(now, at time.Time) time.Time {
	if at.IsZero() {
		return now
	}
	if !p.started {
		p.t0, p.start, p.started = at, now, true
	}
	d := p.start.Add(time.Duration(float64(at.Sub(p.t0)) / p.speed))
	if d.Before(now) {
		return now
	}
	return d
}
