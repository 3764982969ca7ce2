`default_nettype none
`timescale 1ns / 1ps
// Checks the vendor-primitive configuration of fhsm_mul against a*b with
// the vendor's simulation model (Yosys' ice40/cells_sim.v for SB_MAC16):
// 2000 random products plus the corner cases, latency 1 cycle.
// Run by tests/rtl/mul_check.sh (ctest rtl_mul_ice40).
module fhsm_mul_tb;
  reg clk = 1'b0;
  reg  [15:0] a, b;
  wire [31:0] p;
  reg  [31:0] expect_q;
  integer i, errors;
  fhsm_mul #(.W(16)) dut (.clk(clk), .a_i(a), .b_i(b), .p_o(p));
  initial begin
    errors = 0;
    for (i = 0; i < 2004; i = i + 1) begin
      case (i)
        0: begin a = 16'hffff; b = 16'hffff; end
        1: begin a = 16'h0000; b = 16'hffff; end
        2: begin a = 16'h8000; b = 16'h8000; end
        3: begin a = 16'h0001; b = 16'hffff; end
        default: begin a = $random; b = $random; end
      endcase
      #1 clk = 1'b1;
      expect_q = a * b;
      // change the inputs after the edge: the product must still be the
      // registered one (latency exactly 1 cycle)
      #1 a = ~a; b = b ^ 16'h5a5a; clk = 1'b0;
      #1;
      if (p !== expect_q) begin
        errors = errors + 1;
        if (errors < 5) $display("MISMATCH %h * %h: got %h want %h", a, b, p, expect_q);
      end
    end
    if (errors == 0) $display("PASS fhsm_mul: 2004 products");
    else $display("FAIL fhsm_mul: %0d errors", errors);
    $finish;
  end
endmodule
