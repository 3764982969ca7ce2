`default_nettype none
// Simple dual-port RAM, one write port and one synchronous read port on the
// same clock (the shape of iCE40 SB_RAM40_4K, ECP5 DP16KD and Xilinx BRAM,
// so Yosys maps it to block RAM on every target). Reading an address in the
// cycle it is written is undefined (simulation returns the old data); no core
// does it where the value is used, so Yosys is told not to add collision
// bypass logic (no_rw_check), which would sit on the address path.
module fhsm_ram #(
  parameter integer AW = 8,
  parameter integer DW = 16
) (
  input  wire          clk,
  input  wire          we_i,
  input  wire [AW-1:0] waddr_i,
  input  wire [DW-1:0] wdata_i,
  input  wire          re_i,
  input  wire [AW-1:0] raddr_i,
  output reg  [DW-1:0] rdata_o
);
  (* no_rw_check *)
  reg [DW-1:0] mem [0:(1<<AW)-1];
  always @(posedge clk) begin
    if (we_i) mem[waddr_i] <= wdata_i;
  end
  always @(posedge clk) begin
    if (re_i) rdata_o <= mem[raddr_i];
  end
endmodule
