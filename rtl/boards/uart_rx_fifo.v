`default_nettype none
// Receive FIFO between the UART receiver and the fabric's rx port.
//
// The fabric holds rx_ready low while every engine of a job's kind is busy,
// but a UART cannot be paused by the receiver alone: the FTDI keeps sending.
// This FIFO absorbs 2^AW bytes meanwhile. cts_n_o (registered, low = "clear
// to send") goes high once fewer than CTS_SLACK places are left, for a board
// that wires it to the FTDI's CTS# input with RTS/CTS flow control enabled on
// the host (the FTDI stops within a few bytes); neither iCEBreaker nor ULX3S
// route that pin to the FPGA, there the host's own rule (never more jobs of a
// kind in flight than engines of it, docs/protocol.md) keeps the FIFO from
// filling. A byte that arrives while the FIFO is full is dropped and
// overflow_o latches (until reset); the fabric then sees a bad frame and
// answers with an error, the host retries.
//
// Storage is fhsm_ram (one iCE40 EBR or ECP5 DP16KD at AW = 9) with a
// first-word-fall-through output: rd_data_o is valid while rd_valid_o is
// high, one byte per cycle.
module uart_rx_fifo #(
  parameter integer AW        = 9,
  parameter integer CTS_SLACK = 16
) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire [7:0] wr_data_i,
  input  wire       wr_i,
  output wire [7:0] rd_data_o,
  output wire       rd_valid_o,
  input  wire       rd_ready_i,
  output reg        cts_n_o,
  output reg        overflow_o
);
  localparam integer DEPTH = 1 << AW;
  localparam integer CTS_AT_I = DEPTH - CTS_SLACK;
  localparam [AW:0] FULL_N = DEPTH[AW:0];
  localparam [AW:0] CTS_AT = CTS_AT_I[AW:0];

  reg  [AW-1:0] wptr_q, rptr_q;
  reg  [AW:0]   count_q;    // bytes in the RAM, not counting the one on the output
  reg           out_valid_q;

  wire full = (count_q == FULL_N);
  wire we   = wr_i && !full;
  wire re   = (count_q != {(AW+1){1'b0}}) && (!out_valid_q || rd_ready_i);

  fhsm_ram #(.AW(AW), .DW(8)) u_mem (
    .clk(clk),
    .we_i(we), .waddr_i(wptr_q), .wdata_i(wr_data_i),
    .re_i(re), .raddr_i(rptr_q), .rdata_o(rd_data_o)
  );

  assign rd_valid_o = out_valid_q;

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      wptr_q      <= {AW{1'b0}};
      rptr_q      <= {AW{1'b0}};
      count_q     <= {(AW+1){1'b0}};
      out_valid_q <= 1'b0;
      cts_n_o     <= 1'b0;
      overflow_o  <= 1'b0;
    end else begin
      if (we) wptr_q <= wptr_q + 1'b1;
      if (re) rptr_q <= rptr_q + 1'b1;
      if (we && !re)      count_q <= count_q + 1'b1;
      else if (re && !we) count_q <= count_q - 1'b1;
      // the RAM's output register holds the byte read by re from the next cycle on
      out_valid_q <= re || (out_valid_q && !rd_ready_i);
      cts_n_o     <= (count_q >= CTS_AT);
      if (wr_i && full) overflow_o <= 1'b1;
    end
  end
endmodule
