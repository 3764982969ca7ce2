`default_nettype none
// UART receiver, 8N1, LSB first, CLKS_PER_BIT clock cycles per bit (>= 4).
//
// The line is asynchronous: two flops synchronize it (a third one remembers
// the previous level for the start-edge detector). A start bit begins on a
// 1 -> 0 edge; it is checked again half a bit later (a shorter glitch is
// ignored), then every bit is sampled once in its middle, CLKS_PER_BIT cycles
// apart. A byte whose stop bit reads 0 is dropped (frame_err_o pulses) and
// the receiver waits for the line to go high again before it hunts for the
// next start bit, so a line held low (break) yields no bytes.
//
// Baud error budget: the last sample (the stop bit's middle) sits 9.5 bits
// after the start edge, so the two clocks may differ by about +-4 % (less a
// cycle of quantization at small CLKS_PER_BIT).
// There is no back-pressure: valid_o pulses for one cycle per byte and the
// byte stays on data_o until the next one (a FIFO behind this holds them).
module uart_rx #(
  parameter integer CLKS_PER_BIT = 8
) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire       rx_i,          // the line, idle high
  output reg  [7:0] data_o,
  output reg        valid_o,       // one cycle per good byte
  output reg        frame_err_o    // one cycle per dropped byte (stop bit 0)
);
  localparam integer CW = (CLKS_PER_BIT > 2) ? $clog2(CLKS_PER_BIT) : 1;
  localparam integer HALF_I = CLKS_PER_BIT / 2 - 1;
  localparam integer FULL_I = CLKS_PER_BIT - 1;
  localparam [CW-1:0] HALF = HALF_I[CW-1:0];
  localparam [CW-1:0] FULL = FULL_I[CW-1:0];
  localparam [1:0] ST_IDLE = 2'd0, ST_START = 2'd1, ST_DATA = 2'd2, ST_STOP = 2'd3;

  reg  [2:0]    sync_q;   // [0], [1]: synchronizer; [2]: previous level of [1]
  reg  [1:0]    st_q;
  reg  [CW-1:0] cnt_q;
  reg  [2:0]    bit_q;
  reg  [7:0]    shift_q;
  wire          rx_s = sync_q[1];

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) sync_q <= 3'b111;
    else        sync_q <= {sync_q[1:0], rx_i};
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q        <= ST_IDLE;
      cnt_q       <= {CW{1'b0}};
      bit_q       <= 3'd0;
      shift_q     <= 8'd0;
      data_o      <= 8'd0;
      valid_o     <= 1'b0;
      frame_err_o <= 1'b0;
    end else begin
      valid_o     <= 1'b0;
      frame_err_o <= 1'b0;
      cnt_q       <= cnt_q + 1'b1;
      case (st_q)
        ST_IDLE: begin
          cnt_q <= {CW{1'b0}};
          if (sync_q[2] && !rx_s) st_q <= ST_START;
        end
        ST_START: begin
          if (cnt_q == HALF) begin
            cnt_q <= {CW{1'b0}};
            bit_q <= 3'd0;
            st_q  <= rx_s ? ST_IDLE : ST_DATA;   // still low: a real start bit
          end
        end
        ST_DATA: begin
          if (cnt_q == FULL) begin
            cnt_q   <= {CW{1'b0}};
            shift_q <= {rx_s, shift_q[7:1]};
            bit_q   <= bit_q + 1'b1;
            if (bit_q == 3'd7) st_q <= ST_STOP;
          end
        end
        default: begin   // ST_STOP
          if (cnt_q == FULL) begin
            st_q <= ST_IDLE;
            if (rx_s) begin
              data_o  <= shift_q;
              valid_o <= 1'b1;
            end else begin
              frame_err_o <= 1'b1;
            end
          end
        end
      endcase
    end
  end
endmodule
