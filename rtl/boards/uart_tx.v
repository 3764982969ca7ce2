`default_nettype none
// UART transmitter, 8N1, LSB first, CLKS_PER_BIT clock cycles per bit.
// valid/ready byte port: a byte is taken when both are high; ready_o is high
// while the line is idle and in the last cycle of a stop bit, so back-to-back
// bytes leave without a gap (one start bit, eight data bits, one stop bit:
// exactly 10 bit times per byte).
// tx_o comes straight from a flop (no glitches on the pin), idle high.
module uart_tx #(
  parameter integer CLKS_PER_BIT = 8
) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire [7:0] data_i,
  input  wire       valid_i,
  output wire       ready_o,
  output wire       tx_o
);
  localparam integer CW = (CLKS_PER_BIT > 2) ? $clog2(CLKS_PER_BIT) : 1;
  localparam integer FULL_I = CLKS_PER_BIT - 1;
  localparam [CW-1:0] FULL = FULL_I[CW-1:0];

  reg  [8:0]    shift_q;   // data bits then the stop bit, next bit in [0]
  reg  [3:0]    left_q;    // bits still on the line, this one included (0: idle)
  reg  [CW-1:0] cnt_q;
  reg           tx_q;

  // a byte may follow in the stop bit's last cycle, so bytes go back to back
  wire last = (left_q == 4'd1) && (cnt_q == FULL);
  assign ready_o = (left_q == 4'd0) || last;
  assign tx_o    = tx_q;

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      shift_q <= 9'h1ff;
      left_q  <= 4'd0;
      cnt_q   <= {CW{1'b0}};
      tx_q    <= 1'b1;
    end else if (ready_o && valid_i) begin
      tx_q    <= 1'b0;                 // start bit
      shift_q <= {1'b1, data_i};
      left_q  <= 4'd10;
      cnt_q   <= {CW{1'b0}};
    end else if (left_q == 4'd0) begin
      cnt_q <= {CW{1'b0}};
    end else if (cnt_q == FULL) begin
      cnt_q   <= {CW{1'b0}};
      left_q  <= left_q - 1'b1;
      tx_q    <= shift_q[0];             // after the stop bit: 1 (idle)
      shift_q <= {1'b1, shift_q[8:1]};
    end else begin
      cnt_q <= cnt_q + 1'b1;
    end
  end
endmodule
