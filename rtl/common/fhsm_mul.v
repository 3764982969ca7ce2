`default_nettype none
// Unsigned W x W multiplier with a registered product (latency 1 cycle).
// The vendor primitive is chosen at compile time, with a generic model as the
// default so Verilator, Icarus and Yosys accept the same source:
//   FHSM_MUL_ICE40  SB_MAC16 (iCE40UP5K DSP), 16x16, product register inside
//   FHSM_MUL_ECP5   MULT18X18D (ECP5 sysDSP), operands zero-extended to 18,
//                   output register inside the block
//   (none)          behavioural a*b into a register (simulation; Yosys still
//                   infers DSPs from it where the target has them)
// The vendor primitives are instantiated for W = 16; any other W uses the
// behavioural model, from which Yosys infers DSP blocks (synth_ice40 -dsp,
// synth_ecp5), e.g. four 16x16 blocks for W = 32.
module fhsm_mul #(
  parameter integer W = 16
) (
  input  wire           clk,
  input  wire [W-1:0]   a_i,
  input  wire [W-1:0]   b_i,
  output wire [2*W-1:0] p_o
);
  generate
    if (W != 16) begin : g_generic
      reg [2*W-1:0] p_q;
      always @(posedge clk) p_q <= a_i * b_i;
      assign p_o = p_q;
    end else begin : g_w16
`ifdef FHSM_MUL_ICE40
  SB_MAC16 #(
    .NEG_TRIGGER(1'b0), .A_REG(1'b0), .B_REG(1'b0), .C_REG(1'b0), .D_REG(1'b0),
    .TOP_8x8_MULT_REG(1'b0), .BOT_8x8_MULT_REG(1'b0),
    .PIPELINE_16x16_MULT_REG1(1'b0), .PIPELINE_16x16_MULT_REG2(1'b1),
    .TOPOUTPUT_SELECT(2'b11), .TOPADDSUB_LOWERINPUT(2'b00), .TOPADDSUB_UPPERINPUT(1'b0),
    .TOPADDSUB_CARRYSELECT(2'b00),
    .BOTOUTPUT_SELECT(2'b11), .BOTADDSUB_LOWERINPUT(2'b00), .BOTADDSUB_UPPERINPUT(1'b0),
    .BOTADDSUB_CARRYSELECT(2'b00),
    .MODE_8x8(1'b0), .A_SIGNED(1'b0), .B_SIGNED(1'b0)
  ) u_mac (
    .CLK(clk), .CE(1'b1), .A(a_i), .B(b_i), .C(16'd0), .D(16'd0),
    .AHOLD(1'b0), .BHOLD(1'b0), .CHOLD(1'b0), .DHOLD(1'b0),
    .IRSTTOP(1'b0), .IRSTBOT(1'b0), .ORSTTOP(1'b0), .ORSTBOT(1'b0),
    .OLOADTOP(1'b0), .OLOADBOT(1'b0), .ADDSUBTOP(1'b0), .ADDSUBBOT(1'b0),
    .OHOLDTOP(1'b0), .OHOLDBOT(1'b0), .CI(1'b0), .ACCUMCI(1'b0), .SIGNEXTIN(1'b0),
    .O(p_o), .CO(), .ACCUMCO(), .SIGNEXTOUT()
  );
`elsif FHSM_MUL_ECP5
  wire [17:0] a = {2'b00, a_i};
  wire [17:0] b = {2'b00, b_i};
  wire [35:0] p;
  MULT18X18D #(
    .REG_INPUTA_CLK("NONE"), .REG_INPUTB_CLK("NONE"), .REG_INPUTC_CLK("NONE"),
    .REG_PIPELINE_CLK("NONE"), .REG_OUTPUT_CLK("CLK0"),
    .CLK0_DIV("ENABLED"), .CLK1_DIV("ENABLED"), .CLK2_DIV("ENABLED"), .CLK3_DIV("ENABLED"),
    .GSR("DISABLED"), .SOURCEB_MODE("B_SHIFT"), .RESETMODE("SYNC")
  ) u_mult (
    .A0(a[0]), .A1(a[1]), .A2(a[2]), .A3(a[3]), .A4(a[4]), .A5(a[5]), .A6(a[6]), .A7(a[7]), .A8(a[8]),
    .A9(a[9]), .A10(a[10]), .A11(a[11]), .A12(a[12]), .A13(a[13]), .A14(a[14]), .A15(a[15]), .A16(a[16]), .A17(a[17]),
    .B0(b[0]), .B1(b[1]), .B2(b[2]), .B3(b[3]), .B4(b[4]), .B5(b[5]), .B6(b[6]), .B7(b[7]), .B8(b[8]),
    .B9(b[9]), .B10(b[10]), .B11(b[11]), .B12(b[12]), .B13(b[13]), .B14(b[14]), .B15(b[15]), .B16(b[16]), .B17(b[17]),
    .C0(1'b0), .C1(1'b0), .C2(1'b0), .C3(1'b0), .C4(1'b0), .C5(1'b0), .C6(1'b0), .C7(1'b0), .C8(1'b0),
    .C9(1'b0), .C10(1'b0), .C11(1'b0), .C12(1'b0), .C13(1'b0), .C14(1'b0), .C15(1'b0), .C16(1'b0), .C17(1'b0),
    .SIGNEDA(1'b0), .SIGNEDB(1'b0), .SOURCEA(1'b0), .SOURCEB(1'b0),
    .CLK0(clk), .CLK1(1'b0), .CLK2(1'b0), .CLK3(1'b0),
    .CE0(1'b1), .CE1(1'b0), .CE2(1'b0), .CE3(1'b0),
    .RST0(1'b0), .RST1(1'b0), .RST2(1'b0), .RST3(1'b0),
    .P0(p[0]), .P1(p[1]), .P2(p[2]), .P3(p[3]), .P4(p[4]), .P5(p[5]), .P6(p[6]), .P7(p[7]), .P8(p[8]),
    .P9(p[9]), .P10(p[10]), .P11(p[11]), .P12(p[12]), .P13(p[13]), .P14(p[14]), .P15(p[15]), .P16(p[16]), .P17(p[17]),
    .P18(p[18]), .P19(p[19]), .P20(p[20]), .P21(p[21]), .P22(p[22]), .P23(p[23]), .P24(p[24]), .P25(p[25]), .P26(p[26]),
    .P27(p[27]), .P28(p[28]), .P29(p[29]), .P30(p[30]), .P31(p[31]), .P32(p[32]), .P33(p[33]), .P34(p[34]), .P35(p[35])
  );
  assign p_o = p[2*W-1:0];
`else
  reg [2*W-1:0] p_q;
  always @(posedge clk) p_q <= a_i * b_i;
  assign p_o = p_q;
`endif
    end
  endgenerate
endmodule
