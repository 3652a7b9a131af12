package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/perchapp/perch/engine"
)

// metrics live in a private registry so two servers (tests) never collide.
type metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	inFlight       prometheus.Gauge
	tokens         *prometheus.CounterVec
	ttft           *prometheus.HistogramVec
	tokensPerSec   *prometheus.HistogramVec
	workerRestarts *prometheus.CounterVec
	engineErrors   *prometheus.CounterVec
	drafted        *prometheus.CounterVec
	handler        http.Handler
}

func newMetrics(s *Server) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perch_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "perch_http_request_duration_seconds", Help: "Time to answer a request, streams included.",
			Buckets: []float64{.005, .025, .1, .25, 1, 2.5, 10, 30, 120},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "perch_http_requests_in_flight", Help: "Requests being answered now.",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perch_tokens_total", Help: "Tokens by model and direction (prompt: in, completion: out).",
		}, []string{"model", "direction"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "perch_time_to_first_token_seconds", Help: "From the request's arrival at the engine to its first token.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"model"}),
		tokensPerSec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "perch_generation_tokens_per_second", Help: "Generation speed after the first token.",
			Buckets: []float64{1, 5, 10, 20, 40, 80, 160, 320, 640},
		}, []string{"model"}),
		workerRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perch_worker_restarts_total", Help: "Engine workers started again after one died.",
		}, []string{"model"}),
		engineErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perch_engine_errors_total", Help: "Engine errors by kind.",
		}, []string{"kind"}),
		drafted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perch_speculative_draft_tokens_total",
			Help: "Tokens guessed by speculative decoding, by model, source (ngram: prompt lookup, model: a draft model) and result (accepted, rejected); the acceptance rate is accepted over both.",
		}, []string{"model", "source", "result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.tokens, m.ttft, m.tokensPerSec, m.workerRestarts, m.engineErrors, m.drafted,
		&loadedCollector{s: s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return m
}

func (m *metrics) serve(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

func (m *metrics) observeRequest(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// observeGeneration records one finished generation's tokens and speed.
func (m *metrics) observeGeneration(model string, prompt, completion int, ttftMs, predictPerS float64) {
	m.tokens.WithLabelValues(model, "prompt").Add(float64(prompt))
	m.tokens.WithLabelValues(model, "completion").Add(float64(completion))
	if ttftMs > 0 {
		m.ttft.WithLabelValues(model).Observe(ttftMs / 1000)
	}
	if predictPerS > 0 {
		m.tokensPerSec.WithLabelValues(model).Observe(predictPerS)
	}
}

// observeDrafts records a generation's speculative guesses.
func (m *metrics) observeDrafts(model, source string, drafted, accepted int) {
	if drafted > 0 {
		if source == "" {
			source = engine.DraftSourceNgram
		}
		m.drafted.WithLabelValues(model, source, "accepted").Add(float64(accepted))
		m.drafted.WithLabelValues(model, source, "rejected").Add(float64(drafted - accepted))
	}
}

// loadedCollector reads the engine's resident models at each scrape, so the numbers are
// never stale.
type loadedCollector struct{ s *Server }

var (
	descLoaded  = prometheus.NewDesc("perch_model_loaded", "1 for each resident model.", []string{"model"}, nil)
	descMemory  = prometheus.NewDesc("perch_model_memory_bytes", "Memory a resident model uses, by part (weights, kv, compute, output, rss).", []string{"model", "part"}, nil)
	descQueue   = prometheus.NewDesc("perch_queue_depth", "Requests waiting for a slot, by model.", []string{"model"}, nil)
	descBusy    = prometheus.NewDesc("perch_slots_busy", "Slots generating now, by model.", []string{"model"}, nil)
	descSlots   = prometheus.NewDesc("perch_slots", "Slots of a resident model.", []string{"model"}, nil)
	descKVCells = prometheus.NewDesc("perch_kv_cells_used", "KV cache cells the current conversations fill.", []string{"model"}, nil)
)

func (c *loadedCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLoaded, descMemory, descQueue, descBusy, descSlots, descKVCells} {
		ch <- d
	}
}

func (c *loadedCollector) Collect(ch chan<- prometheus.Metric) {
	if c.s.eng == nil {
		return
	}
	for _, st := range c.s.eng.Loaded() {
		g := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{st.Name}, labels...)...)
		}
		g(descLoaded, 1)
		g(descMemory, float64(st.Memory.WeightsBytes), "weights")
		g(descMemory, float64(st.Memory.KVBytes), "kv")
		g(descMemory, float64(st.Memory.ComputeBytes), "compute")
		g(descMemory, float64(st.Memory.OutputBytes), "output")
		g(descMemory, float64(st.Memory.RSSBytes), "rss")
		g(descQueue, float64(st.Queued))
		g(descBusy, float64(st.Busy))
		g(descSlots, float64(st.Slots))
		g(descKVCells, float64(st.Memory.KVUsedCells))
	}
}
