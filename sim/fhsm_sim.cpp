// The Verilated fabric top behind the C ABI of fhsm_sim.h.
#include "fhsm_sim.h"

#include <memory>
#include <new>
#include "Vfabric_top.h"
#include "verilated.h"
#include "verilated_vcd_c.h"

struct fhsm_sim {
	std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
	std::unique_ptr<Vfabric_top> top;
	std::unique_ptr<VerilatedVcdC> vcd;
	uint64_t cycles = 0;
	unsigned peak_busy = 0;

	void edge()
	{
		top->clk = 1;
		top->eval();
		if (vcd)
			vcd->dump(static_cast<uint64_t>(2 * cycles + 1));
		top->clk = 0;
		top->eval();
		if (vcd)
			vcd->dump(static_cast<uint64_t>(2 * cycles + 2));
		++cycles;
		unsigned b = __builtin_popcount(top->busy_o);
		if (b > peak_busy)
			peak_busy = b;
	}
};

extern "C" fhsm_sim *fhsm_sim_new(const char *trace)
{
	fhsm_sim *s = new (std::nothrow) fhsm_sim;
	if (!s)
		return nullptr;
	if (trace)
		s->ctx->traceEverOn(true);
	s->top.reset(new Vfabric_top{s->ctx.get()});
	if (trace) {
		s->vcd.reset(new VerilatedVcdC);
		s->top->trace(s->vcd.get(), 99);
		s->vcd->open(trace);
	}
	s->top->clk = 0;
	s->top->rst_n = 0;
	s->top->rx_valid_i = 0;
	s->top->tx_ready_i = 0;
	s->top->eval();
	s->edge();
	s->edge();
	s->top->rst_n = 1;
	s->top->eval();
	return s;
}

extern "C" void fhsm_sim_free(fhsm_sim *s)
{
	if (!s)
		return;
	if (s->vcd)
		s->vcd->close();
	s->top->final();
	delete s;
}

extern "C" void fhsm_sim_run(fhsm_sim *s, const uint8_t *in, size_t in_len, size_t *in_used,
			     uint8_t *out, size_t out_cap, size_t *out_len, uint64_t max_cycles)
{
	size_t i = 0, o = 0;
	unsigned idle_run = 0;
	Vfabric_top *t = s->top.get();
	for (uint64_t c = 0; c < max_cycles; c++) {
		t->rx_valid_i = i < in_len;
		t->rx_data_i = i < in_len ? in[i] : 0;
		t->tx_ready_i = o < out_cap;
		t->eval();
		// Handshakes are decided by the values just before the rising edge.
		bool took = t->rx_valid_i && t->rx_ready_o;
		bool gave = t->tx_valid_o && t->tx_ready_i;
		uint8_t byte = t->tx_data_o;
		s->edge();
		if (took)
			i++;
		if (gave)
			out[o++] = byte;
		// Idle for a few cycles in a row: tolerates a one-cycle gap between
		// the parser handing a job over and the engine raising busy.
		idle_run = t->idle_o ? idle_run + 1 : 0;
		if (o == out_cap || (i == in_len && idle_run >= 4))
			break;
	}
	t->rx_valid_i = 0;
	t->tx_ready_i = 0;
	t->eval();
	*in_used = i;
	*out_len = o;
}

extern "C" bool fhsm_sim_idle(const fhsm_sim *s) { return s->top->idle_o; }
extern "C" uint64_t fhsm_sim_cycles(const fhsm_sim *s) { return s->cycles; }
extern "C" unsigned fhsm_sim_peak_busy(const fhsm_sim *s) { return s->peak_busy; }
