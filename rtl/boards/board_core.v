`default_nettype none
// What every UART board carries around the fabric:
//
//   uart_rx_i -> uart_rx -> uart_rx_fifo -> fabric_top -> uart_tx -> uart_tx_o
//
// plus status for LEDs. The fabric's tx port feeds the transmitter directly
// (the fabric holds a byte until it is taken). Baud rate = CLK_KHZ * 1000 /
// CLKS_PER_BIT, CLKS_PER_BIT = round(CLK_KHZ * 1000 / BAUD); the board tops
// choose clocks that are whole multiples of 3 MHz so 3 Mbaud is exact.
// RX_FIFO_AW = 0 connects the receiver straight to the fabric (no FIFO: a
// byte arriving while the fabric back-pressures is lost and counted as an
// overflow).
module board_core #(
  parameter integer N_AES          = 1,
  parameter integer N_SHA256       = 1,
  parameter integer N_MODEXP       = 1,
  parameter integer MODEXP_MAXBITS = 4096,
  parameter integer MODEXP_W       = 32,
  parameter integer CLK_KHZ        = 24000,
  parameter integer BAUD           = 3000000,
  parameter integer RX_FIFO_AW     = 9,
  parameter integer IDLE_TIMEOUT   = 65536
) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire       uart_rx_i,      // from the FTDI's TXD
  output wire       uart_tx_o,      // to the FTDI's RXD
  output wire       cts_n_o,        // low: clear to send (FIFO has room)
  output wire [7:0] busy_o,         // engine i busy (INFO order: AES, SHA-256, modexp)
  output wire       idle_o,         // fabric idle
  output wire       heartbeat_o,    // ~1.4 Hz square wave (at 24 MHz)
  output wire       rx_act_o,       // a byte came in during the last ~40-80 ms
  output wire       tx_act_o,       // a byte went out during the last ~40-80 ms
  output wire       error_o         // sticky until reset: rx FIFO overflow or a framing error
);
  localparam integer CLKS_PER_BIT = (CLK_KHZ * 1000 + BAUD / 2) / BAUD;
  localparam integer HB_W = $clog2(CLK_KHZ) + 9;   // 2^24 cycles = 0.7 s at 24 MHz

  // ---- receive path ----------------------------------------------------------------------
  wire [7:0] rxb;
  wire       rxb_valid, rx_frame_err;
  uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (
    .clk(clk), .rst_n(rst_n), .rx_i(uart_rx_i),
    .data_o(rxb), .valid_o(rxb_valid), .frame_err_o(rx_frame_err)
  );

  wire [7:0] fab_rx_data;
  wire       fab_rx_valid, fab_rx_ready, rx_overflow;
  generate
    if (RX_FIFO_AW > 0) begin : g_fifo
      uart_rx_fifo #(.AW(RX_FIFO_AW)) u_fifo (
        .clk(clk), .rst_n(rst_n),
        .wr_data_i(rxb), .wr_i(rxb_valid),
        .rd_data_o(fab_rx_data), .rd_valid_o(fab_rx_valid), .rd_ready_i(fab_rx_ready),
        .cts_n_o(cts_n_o), .overflow_o(rx_overflow)
      );
    end else begin : g_direct
      reg        ovf_q;
      reg        hold_q;   // a byte waits for the fabric
      always @(posedge clk or negedge rst_n) begin
        if (!rst_n) begin
          ovf_q  <= 1'b0;
          hold_q <= 1'b0;
        end else begin
          if (rxb_valid && hold_q && !fab_rx_ready) ovf_q <= 1'b1;
          hold_q <= rxb_valid || (hold_q && !fab_rx_ready);
        end
      end
      assign fab_rx_data  = rxb;
      assign fab_rx_valid = hold_q;
      assign cts_n_o      = hold_q;
      assign rx_overflow  = ovf_q;
    end
  endgenerate

  // ---- fabric ------------------------------------------------------------------------------
  wire [7:0] fab_tx_data;
  wire       fab_tx_valid, fab_tx_ready;
  fabric_top #(
    .N_AES(N_AES), .N_SHA256(N_SHA256), .N_MODEXP(N_MODEXP),
    .MODEXP_MAXBITS(MODEXP_MAXBITS), .MODEXP_W(MODEXP_W),
    .CLK_KHZ(CLK_KHZ), .IDLE_TIMEOUT(IDLE_TIMEOUT)
  ) u_fabric (
    .clk(clk), .rst_n(rst_n),
    .rx_data_i(fab_rx_data), .rx_valid_i(fab_rx_valid), .rx_ready_o(fab_rx_ready),
    .tx_data_o(fab_tx_data), .tx_valid_o(fab_tx_valid), .tx_ready_i(fab_tx_ready),
    .busy_o(busy_o), .idle_o(idle_o)
  );

  // ---- transmit path -------------------------------------------------------------------
  uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (
    .clk(clk), .rst_n(rst_n),
    .data_i(fab_tx_data), .valid_i(fab_tx_valid), .ready_o(fab_tx_ready),
    .tx_o(uart_tx_o)
  );

  // ---- status ------------------------------------------------------------------------------
  // One free-running counter: its top bit is the heartbeat, the wrap of its
  // low HB_W-4 bits ends an activity window (an LED stays lit for the window
  // with traffic and the next one).
  reg [HB_W-1:0] hb_q;
  reg            rx_seen_q, tx_seen_q, rx_led_q, tx_led_q, err_q;
  wire           window_end = &hb_q[HB_W-5:0];
  wire           tx_byte = fab_tx_valid && fab_tx_ready;
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      hb_q      <= {HB_W{1'b0}};
      rx_seen_q <= 1'b0;
      tx_seen_q <= 1'b0;
      rx_led_q  <= 1'b0;
      tx_led_q  <= 1'b0;
      err_q     <= 1'b0;
    end else begin
      hb_q <= hb_q + 1'b1;
      if (window_end) begin
        rx_led_q  <= rx_seen_q || rxb_valid;
        tx_led_q  <= tx_seen_q || tx_byte;
        rx_seen_q <= 1'b0;
        tx_seen_q <= 1'b0;
      end else begin
        if (rxb_valid) rx_seen_q <= 1'b1;
        if (tx_byte)   tx_seen_q <= 1'b1;
        if (rxb_valid) rx_led_q  <= 1'b1;
        if (tx_byte)   tx_led_q  <= 1'b1;
      end
      if (rx_overflow || rx_frame_err) err_q <= 1'b1;
    end
  end
  assign heartbeat_o = hb_q[HB_W-1];
  assign rx_act_o    = rx_led_q;
  assign tx_act_o    = tx_led_q;
  assign error_o     = err_q;
endmodule
