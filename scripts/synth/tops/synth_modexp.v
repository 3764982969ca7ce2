`default_nettype none
// Synthesis harness (not a board top): operand words, addresses and the
// start parameters come from a 32-bit LFSR, the result word is XOR-folded
// into one registered pin, so the core fits the pins of an UP5K sg48 and
// nothing is optimized away. Harness cost: ~32 FF + ~10 LUT.
module synth_modexp #(
  parameter integer MAXBITS = 4096,
  parameter integer W       = 16
) (
  input  wire clk,
  input  wire rst_n,
  input  wire wr_valid_i,
  input  wire [1:0] wr_sel_i,
  input  wire start_valid_i,
  input  wire res_ready_i,
  output wire wr_ready_o,
  output wire start_ready_o,
  output wire res_valid_o,
  output wire res_last_o,
  output reg  dout_o
);
  localparam integer AW  = $clog2(MAXBITS / W + 1);
  localparam integer EBW = $clog2(MAXBITS + 1);
  reg  [31:0] lfsr_q;
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) lfsr_q <= 32'd1;
    else        lfsr_q <= {lfsr_q[30:0], lfsr_q[31] ^ lfsr_q[21] ^ lfsr_q[1] ^ lfsr_q[0]};
  end
  wire [W-1:0] res;
  wire [63:0] data = {lfsr_q, lfsr_q[15:0], lfsr_q[31:16]};
  wire [31:0] cycles;
  modexp_core #(.MAXBITS(MAXBITS), .W(W)) u_dut (
    .clk(clk), .rst_n(rst_n),
    .wr_valid_i(wr_valid_i), .wr_ready_o(wr_ready_o), .wr_sel_i(wr_sel_i),
    .wr_addr_i(lfsr_q[31 -: AW]), .wr_data_i(data[W-1:0]),
    .start_valid_i(start_valid_i), .start_ready_o(start_ready_o),
    .start_nwords_i(lfsr_q[AW:0]), .start_ebits_i(lfsr_q[31 -: EBW]),
    .res_valid_o(res_valid_o), .res_ready_i(res_ready_i), .res_data_o(res), .res_last_o(res_last_o),
    .cycles_o(cycles)
  );
  always @(posedge clk) dout_o <= ^{res, cycles};
endmodule
