`default_nettype none
// Synthesis harness (not a board top): the core's 256/128-bit ports do not
// fit the pins of an UP5K sg48, so key, IV and data words are rotations of a
// 32-bit LFSR (distinct bits per position, so no logic collapses) and the
// output block is XOR-folded into one registered pin.
// Harness cost: ~72 FF + ~55 LUT. WIDE = 1: aes_wide_core (a round per
// cycle, same ports) instead of aes_core; only the chosen core's sources
// need to be read.
module synth_aes #(
  parameter integer WIDE = 0
) (
  input  wire clk,
  input  wire rst_n,
  input  wire key_valid_i,
  input  wire [1:0] key_len_i,
  input  wire cfg_valid_i,
  input  wire [1:0] cfg_mode_i,
  input  wire cfg_dec_i,
  input  wire in_valid_i,
  input  wire out_ready_i,
  output wire key_ready_o,
  output wire cfg_ready_o,
  output wire in_ready_o,
  output wire out_valid_o,
  output reg  dout_o
);
  reg  [31:0] lfsr_q;
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) lfsr_q <= 32'd1;
    else        lfsr_q <= {lfsr_q[30:0], lfsr_q[31] ^ lfsr_q[21] ^ lfsr_q[1] ^ lfsr_q[0]};
  end
  wire [31:0] r1 = {lfsr_q[26:0], lfsr_q[31:27]};
  wire [31:0] r2 = {lfsr_q[18:0], lfsr_q[31:19]};
  wire [31:0] r3 = {lfsr_q[10:0], lfsr_q[31:11]};
  wire [127:0] blk = {lfsr_q, r1, r2, r3};
  wire [127:0] out;
  wire [31:0] cycles;
  generate
    if (WIDE != 0) begin : g_wide
      aes_wide_core u_dut (
        .clk(clk), .rst_n(rst_n),
        .key_valid_i(key_valid_i), .key_ready_o(key_ready_o), .key_i({blk, ~blk}), .key_len_i(key_len_i),
        .cfg_valid_i(cfg_valid_i), .cfg_ready_o(cfg_ready_o), .cfg_mode_i(cfg_mode_i),
        .cfg_dec_i(cfg_dec_i), .cfg_iv_i({r2, r3, lfsr_q, r1}),
        .in_valid_i(in_valid_i), .in_ready_o(in_ready_o), .in_data_i({r3, r1, r2, lfsr_q}),
        .out_valid_o(out_valid_o), .out_ready_i(out_ready_i), .out_data_o(out), .cycles_o(cycles)
      );
    end else begin : g_column
      aes_core u_dut (
        .clk(clk), .rst_n(rst_n),
        .key_valid_i(key_valid_i), .key_ready_o(key_ready_o), .key_i({blk, ~blk}), .key_len_i(key_len_i),
        .cfg_valid_i(cfg_valid_i), .cfg_ready_o(cfg_ready_o), .cfg_mode_i(cfg_mode_i),
        .cfg_dec_i(cfg_dec_i), .cfg_iv_i({r2, r3, lfsr_q, r1}),
        .in_valid_i(in_valid_i), .in_ready_o(in_ready_o), .in_data_i({r3, r1, r2, lfsr_q}),
        .out_valid_o(out_valid_o), .out_ready_i(out_ready_i), .out_data_o(out), .cycles_o(cycles)
      );
    end
  endgenerate
  // two-stage fold (40 x XOR4, then XOR40) so the harness's 160-input XOR
  // tree is not the critical path
  wire [159:0] obs = {out, cycles};
  reg  [39:0]  fold_q;
  integer k;
  always @(posedge clk) begin
    for (k = 0; k < 40; k = k + 1) fold_q[k] <= ^obs[4*k +: 4];
    dout_o <= ^fold_q;
  end
endmodule
