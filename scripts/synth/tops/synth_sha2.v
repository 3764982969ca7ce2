`default_nettype none
// Synthesis harness (not a board top): the core's wide ports do not fit the
// 39 pins of an UP5K sg48, so input words come from a 32-bit LFSR and the
// digest is XOR-folded into one registered pin. Everything stays observable,
// so nothing is optimized away. Harness cost: ~32 FF + ~90 LUT.
module synth_sha2 #(
  parameter integer WORD = 32
) (
  input  wire clk,
  input  wire rst_n,
  input  wire in_valid_i,
  input  wire in_last_i,
  input  wire mode_i,
  input  wire dig_ready_i,
  output wire in_ready_o,
  output wire dig_valid_o,
  output reg  dout_o
);
  reg  [WORD-1:0] lfsr_q;
  wire [8*WORD-1:0] dig;
  wire [31:0] cycles;
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) lfsr_q <= {{(WORD-1){1'b0}}, 1'b1};
    else if (in_valid_i && in_ready_o)
      lfsr_q <= {lfsr_q[WORD-2:0], lfsr_q[WORD-1] ^ lfsr_q[WORD-3] ^ lfsr_q[WORD/2] ^ lfsr_q[0]};
  end
  sha2_wrap #(.WORD(WORD)) u_dut (
    .clk(clk), .rst_n(rst_n), .mode_i(mode_i),
    .in_valid_i(in_valid_i), .in_ready_o(in_ready_o), .in_data_i(lfsr_q),
    .in_last_i(in_last_i), .in_nbytes_i(lfsr_q[3:0]),
    .dig_valid_o(dig_valid_o), .dig_ready_i(dig_ready_i), .dig_o(dig), .cycles_o(cycles)
  );
  always @(posedge clk) dout_o <= ^{dig, cycles};
endmodule
