`default_nettype none
// Board clock: REF_KHZ from the oscillator pin -> CLK_KHZ for the fabric.
//
//   FHSM_ICE40  SB_PLL40_PAD (the clock pin must be the PLL's pad: pin 35 on
//               the UP5K SG48, iCEBreaker's 12 MHz), SIMPLE feedback
//   FHSM_ECP5   EHXPLLL, CLKOP fed back (ULX3S's 25 MHz on G2)
//   (neither)   clk_o = clk_i, locked_o = 1: simulation (Verilator, Icarus)
//
// The divider settings are computed here from the two frequencies (the same
// search icepll / ecppll do, exact frequencies only); a CLK_KHZ the PLL
// cannot make exactly stops elaboration with an error naming the module
// fhsm_pll_cannot_make_this_clock.
//   iCE40: F = REF * (DIVF+1) / ((DIVR+1) * 2^DIVQ); PFD = REF/(DIVR+1) in
//          10..133 MHz, VCO = F * 2^DIVQ in 533..1066 MHz.
//   ECP5:  F = REF * CLKFB_DIV / CLKI_DIV; PFD >= 3.125 MHz, VCO = F * CLKOP_DIV
//          in 400..800 MHz (as close to 600 MHz as the dividers allow).
module board_pll #(
  /* verilator lint_off UNUSEDPARAM */   // unused by the simulation pass-through
  parameter integer REF_KHZ = 12000,
  parameter integer CLK_KHZ = 24000
  /* verilator lint_on UNUSEDPARAM */
) (
  input  wire clk_i,      // oscillator pin
  output wire clk_o,      // fabric clock (global net)
  output wire locked_o    // asynchronous; low while the PLL is not locked
);
  // {found, DIVR[3:0], DIVF[6:0], DIVQ[2:0], FILTER_RANGE[2:0]}
  function [17:0] ice40_cfg(input integer ref_khz, input integer out_khz);
    integer r, q, pfd, vco, divf;
    reg [2:0] filt;
    begin
      ice40_cfg = 18'd0;
      for (r = 0; r < 16; r = r + 1) begin
        for (q = 1; q < 7; q = q + 1) begin
          pfd = ref_khz / (r + 1);
          vco = out_khz * (1 << q);
          divf = vco / pfd - 1;
          if (!ice40_cfg[17] && (ref_khz % (r + 1)) == 0 && pfd >= 10000 && pfd <= 133000 &&
              vco >= 533000 && vco <= 1066000 && (vco % pfd) == 0 && divf <= 127) begin
            filt = (pfd < 17000) ? 3'd1 : (pfd < 26000) ? 3'd2 : (pfd < 44000) ? 3'd3 :
                   (pfd < 66000) ? 3'd4 : (pfd < 101000) ? 3'd5 : 3'd6;
            ice40_cfg = {1'b1, r[3:0], divf[6:0], q[2:0], filt};
          end
        end
      end
    end
  endfunction

  // {found, CLKI_DIV[6:0], CLKFB_DIV[6:0], CLKOP_DIV[6:0]} (each 1..127)
  function [21:0] ecp5_cfg(input integer ref_khz, input integer out_khz);
    integer ci, fb, op;
    begin
      ecp5_cfg = 22'd0;
      for (ci = 1; ci < 128; ci = ci + 1) begin
        for (fb = 1; fb < 128; fb = fb + 1) begin
          if (!ecp5_cfg[21] && ref_khz * fb == out_khz * ci && ref_khz / ci >= 3125 &&
              out_khz >= 10000 && out_khz <= 400000) begin
            op = (600000 + out_khz / 2) / out_khz;
            if (op > 127) op = 127;
            if (op < 1) op = 1;
            if (out_khz * op >= 400000 && out_khz * op <= 800000)
              ecp5_cfg = {1'b1, ci[6:0], fb[6:0], op[6:0]};
          end
        end
      end
    end
  endfunction

`ifdef FHSM_ICE40
  localparam [17:0] CFG = ice40_cfg(REF_KHZ, CLK_KHZ);
  generate
    if (!CFG[17]) begin : g_bad_clock
      fhsm_pll_cannot_make_this_clock u_err ();
    end
  endgenerate
  SB_PLL40_PAD #(
    .FEEDBACK_PATH("SIMPLE"),
    .PLLOUT_SELECT("GENCLK"),
    .DIVR(CFG[16:13]),
    .DIVF(CFG[12:6]),
    .DIVQ(CFG[5:3]),
    .FILTER_RANGE(CFG[2:0])
  ) u_pll (
    .PACKAGEPIN(clk_i),
    .PLLOUTCORE(),
    .PLLOUTGLOBAL(clk_o),
    .EXTFEEDBACK(1'b0),
    .DYNAMICDELAY(8'd0),
    .LOCK(locked_o),
    .BYPASS(1'b0),
    .RESETB(1'b1),
    .LATCHINPUTVALUE(1'b0),
    .SDO(),
    .SDI(1'b0),
    .SCLK(1'b0)
  );
`elsif FHSM_ECP5
  localparam [21:0] CFG = ecp5_cfg(REF_KHZ, CLK_KHZ);
  localparam integer CLKI_DIV  = CFG[20:14];
  localparam integer CLKFB_DIV = CFG[13:7];
  localparam integer CLKOP_DIV = CFG[6:0];
  localparam integer CLKOP_CPHASE = CLKOP_DIV / 2 - 1;
  generate
    if (!CFG[21]) begin : g_bad_clock
      fhsm_pll_cannot_make_this_clock u_err ();
    end
  endgenerate
  wire clkop;
  (* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
  EHXPLLL #(
    .PLLRST_ENA("DISABLED"),
    .INTFB_WAKE("DISABLED"),
    .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"),
    .OUTDIVIDER_MUXA("DIVA"),
    .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"),
    .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV(CLKI_DIV),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV(CLKOP_DIV),
    .CLKOP_CPHASE(CLKOP_CPHASE),
    .CLKOP_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV(CLKFB_DIV)
  ) u_pll (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clk_i),
    .CLKOP(clkop),
    .CLKFB(clkop),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(locked_o)
  );
  assign clk_o = clkop;
`else
  // simulation: the oscillator is the fabric clock
  assign clk_o    = clk_i;
  assign locked_o = 1'b1;
`endif
endmodule
