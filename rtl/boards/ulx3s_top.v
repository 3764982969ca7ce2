`default_nettype none
// ULX3S v2.0 / v3.0 (ECP5 LFE5U-85F, CABGA381) board top: 25 MHz oscillator
// -> PLL -> CLK_KHZ; the FT231X (USB port US1) as a UART at BAUD (8N1) into
// the fabric. Pins: constraints/ulx3s_v20.lpf (port names as in the board's
// reference ulx3s_v20.lpf: ftdi_rxd is the FTDI's RXD, i.e. the FPGA's
// output). LEDs and build: docs/boards.md.
//
//   led[0]     heartbeat            led[4]  UART rx activity
//   led[1..3]  engine 0..2 busy     led[5]  UART tx activity
//              (AES, SHA-256,       led[6]  rx FIFO overflow / framing error
//              modexp)                      since the last reset
//                                   led[7]  reset held
//   btn_fire1  FIRE1 button: reset
module ulx3s_top #(
  parameter integer N_AES          = 1,
  parameter integer N_SHA256       = 1,
  parameter integer N_MODEXP       = 1,
  parameter integer MODEXP_MAXBITS = 4096,
  parameter integer MODEXP_W       = 32,
  parameter integer CLK_KHZ        = 30000,
  parameter integer BAUD           = 3000000,
  parameter integer RX_FIFO_AW     = 11,
  parameter integer IDLE_TIMEOUT   = 65536
) (
  input  wire       clk_25mhz,
  input  wire       btn_fire1,
  input  wire       ftdi_txd,      // M1: FT231X TXD -> FPGA
  output wire       ftdi_rxd,      // L4: FPGA -> FT231X RXD
  output wire       wifi_gpio0,    // held high: keeps an ESP32 out of its boot loader
  output wire [7:0] led
);
  wire clk, locked, rst_n;
  board_pll #(.REF_KHZ(25000), .CLK_KHZ(CLK_KHZ)) u_pll (
    .clk_i(clk_25mhz), .clk_o(clk), .locked_o(locked)
  );
  board_reset u_rst (.clk(clk), .locked_i(locked), .btn_i(btn_fire1), .rst_n_o(rst_n));

  wire [7:0] busy;
  wire       idle, heartbeat, rx_act, tx_act, error, cts_n;
  board_core #(
    .N_AES(N_AES), .N_SHA256(N_SHA256), .N_MODEXP(N_MODEXP),
    .MODEXP_MAXBITS(MODEXP_MAXBITS), .MODEXP_W(MODEXP_W),
    .CLK_KHZ(CLK_KHZ), .BAUD(BAUD), .RX_FIFO_AW(RX_FIFO_AW), .IDLE_TIMEOUT(IDLE_TIMEOUT)
  ) u_core (
    .clk(clk), .rst_n(rst_n),
    .uart_rx_i(ftdi_txd), .uart_tx_o(ftdi_rxd), .cts_n_o(cts_n),
    .busy_o(busy), .idle_o(idle), .heartbeat_o(heartbeat),
    .rx_act_o(rx_act), .tx_act_o(tx_act), .error_o(error)
  );
  // the FT231X's CTS# goes to a JTAG pin, not to the fabric
  wire unused = ^{busy[7:3], idle, cts_n};

  assign wifi_gpio0 = 1'b1;
  assign led = {!rst_n, error, tx_act, rx_act, busy[2:0], heartbeat};
endmodule
