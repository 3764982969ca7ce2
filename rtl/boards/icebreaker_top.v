`default_nettype none
// iCEBreaker v1.0 (iCE40UP5K-SG48) board top: 12 MHz oscillator -> PLL ->
// CLK_KHZ; FT2232H channel B as a UART at BAUD (8N1) into the fabric.
// Pins: constraints/icebreaker.pcf; LEDs and build: docs/boards.md.
//
//   led_green_n  heartbeat (blinks while the fabric runs)
//   led_red_n    reset held, or an rx FIFO overflow / UART framing error
//                since the last reset (press the user button to clear)
//   led[0..2]    engine 0..2 busy (INFO order: AES, SHA-256, modexp of the
//                build; the PMOD2 snap-off LEDs 1-3)
//   led[3], [4]  UART rx / tx activity (LEDs 4, 5)
//   btn_n        user button: reset
//
// The engine pool and modexp size are parameters; the defaults are what fits
// the UP5K (docs/boards.md, scripts/synth/board.sh).
module icebreaker_top #(
  parameter integer N_AES          = 0,
  parameter integer N_SHA256       = 1,
  parameter integer N_MODEXP       = 1,
  parameter integer MODEXP_MAXBITS = 2048,
  parameter integer MODEXP_W       = 16,
  parameter integer CLK_KHZ        = 21000,   // 7 x 3 Mbaud, 10 % under the build's Fmax (docs/boards.md)
  parameter integer BAUD           = 3000000,
  parameter integer RX_FIFO_AW     = 0,
  parameter integer IDLE_TIMEOUT   = 65536
) (
  input  wire       clk_12mhz,
  input  wire       btn_n,
  input  wire       uart_rx,       // FPGA pin 6 <- FT2232H BDBUS0 (TXD)
  output wire       uart_tx,       // FPGA pin 9 -> FT2232H BDBUS1 (RXD)
  output wire       led_red_n,
  output wire       led_green_n,
  output wire [4:0] led
);
  wire clk, locked, rst_n;
  board_pll #(.REF_KHZ(12000), .CLK_KHZ(CLK_KHZ)) u_pll (
    .clk_i(clk_12mhz), .clk_o(clk), .locked_o(locked)
  );
  board_reset u_rst (.clk(clk), .locked_i(locked), .btn_i(!btn_n), .rst_n_o(rst_n));

  wire [7:0] busy;
  wire       idle, heartbeat, rx_act, tx_act, error, cts_n;
  board_core #(
    .N_AES(N_AES), .N_SHA256(N_SHA256), .N_MODEXP(N_MODEXP),
    .MODEXP_MAXBITS(MODEXP_MAXBITS), .MODEXP_W(MODEXP_W),
    .CLK_KHZ(CLK_KHZ), .BAUD(BAUD), .RX_FIFO_AW(RX_FIFO_AW), .IDLE_TIMEOUT(IDLE_TIMEOUT)
  ) u_core (
    .clk(clk), .rst_n(rst_n),
    .uart_rx_i(uart_rx), .uart_tx_o(uart_tx), .cts_n_o(cts_n),
    .busy_o(busy), .idle_o(idle), .heartbeat_o(heartbeat),
    .rx_act_o(rx_act), .tx_act_o(tx_act), .error_o(error)
  );
  // no FTDI CTS# pin on this board; engines past the third have no LED
  wire unused = ^{busy[7:3], idle, cts_n};

  assign led_green_n = !heartbeat;
  assign led_red_n   = !(error || !rst_n);
  assign led         = {tx_act, rx_act, busy[2:0]};
endmodule
