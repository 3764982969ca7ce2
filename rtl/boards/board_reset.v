`default_nettype none
// Board reset: held while the PLL is not locked (asserted asynchronously) or
// while the reset button is pressed, released synchronously HOLD_CYCLES
// cycles after both are fine. The button is synchronized (two flops); its
// bounce only restarts the count. The flops power up at 0 on iCE40 and ECP5
// (configuration clears them), i.e. in reset; the initial values say the same
// for simulation.
module board_reset #(
  parameter integer HOLD_CYCLES = 16
) (
  input  wire clk,
  input  wire locked_i,   // PLL lock, asynchronous
  input  wire btn_i,      // reset button, asynchronous, 1 = pressed
  output wire rst_n_o
);
  localparam integer HW = $clog2(HOLD_CYCLES + 1);
  localparam [HW-1:0] HOLD = HOLD_CYCLES[HW-1:0];

  reg [1:0]    lock_q = 2'b00;   // reset synchronizer of the lock
  reg [1:0]    btn_q = 2'b00;
  reg [HW-1:0] cnt_q = {HW{1'b0}};
  reg          rst_n_q = 1'b0;

  always @(posedge clk or negedge locked_i) begin
    if (!locked_i) lock_q <= 2'b00;
    else           lock_q <= {lock_q[0], 1'b1};
  end

  always @(posedge clk) btn_q <= {btn_q[0], btn_i};

  always @(posedge clk or negedge locked_i) begin
    if (!locked_i) begin
      cnt_q   <= {HW{1'b0}};
      rst_n_q <= 1'b0;
    end else if (!lock_q[1] || btn_q[1]) begin
      cnt_q   <= {HW{1'b0}};
      rst_n_q <= 1'b0;
    end else if (cnt_q != HOLD) begin
      cnt_q   <= cnt_q + 1'b1;
    end else begin
      rst_n_q <= 1'b1;
    end
  end

  assign rst_n_o = rst_n_q;
endmodule
