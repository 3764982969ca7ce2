`default_nettype none
// One AES round per cycle (datapath of aes_wide_core), in logic: two state
// registers, one per direction, 16 S-boxes on the encryption state and 16
// inverse S-boxes on the decryption state (aes_sbox, LUTs), ShiftRows,
// MixColumns / InvMixColumns and the round-key XOR.
//
//   encrypt: ste <= MixColumns(ShiftRows(SubBytes(ste))) ^ key_i
//   decrypt: std <= InvMixColumns(InvShiftRows(InvSubBytes(std))) ^ key_i
//            (the equivalent inverse cipher: the core supplies
//            InvMixColumns'd round keys, FIPS-197 5.3.5)
//   gate_i:  ste, std <= key_i (the whitened block in the load cycle, the key
//            word in key expansion)
// Both registers step every cycle; inv_i only picks the output. Last round
// (no MixColumns): fin_o = inv_i ? InvShiftRows(InvSubBytes(std)) ^ key_i
// : ShiftRows(SubBytes(ste)) ^ key_i. sub_o: S-box of ste's column 0
// (SubWord in key expansion: the core puts the key word there). gate_i comes
// from a flip-flop; the loop is ste -> S-box -> MixColumns -> gate, key XOR
// -> ste (and the same for std), with no direction select in it: one state
// register for both directions (inv_i selecting MixColumns or InvMixColumns
// in the loop) placed at 86-91 MHz, 8,240 LUT4; this at 89-97 MHz, ~8,100
// LUT4 (ECP5-85F, seeds 1-3, two netlists; rtl/README.md).
//
// Why not block RAM: a first version looked the T-boxes up in 16 DP16KD
// (aes_tbox_rom), with the ROMs' address registers as the state; on ECP5
// (speed grade 6) a DP16KD's clock-to-output alone is 5.8 ns and the 16
// ROMs sit in EBR rows far apart, so ROM -> XOR -> ROM placed at 77-88 MHz.
// In LUTs the S-box is an 8-input function next to its flip-flops.
// Tried and dropped: the 7 constant multiples of S / InvS as LUT8 tables
// (so MixColumns is only XORs): 16,977 LUT4 and 79.7 MHz against 9,912 and
// 88.4 MHz with S-boxes (one state register, without -abc9, seed 1); the
// extra tables cost more in routing than the xtime levels they save.
module aes_wide_round (
  input  wire         clk,
  input  wire         inv_i,
  input  wire         gate_i,
  input  wire [127:0] key_i,
  output wire [127:0] fin_o,
  output wire [31:0]  sub_o
);
  reg  [127:0] ste_q, std_q;
  wire [127:0] sb, isb;
  /* verilator lint_off UNUSED */
  wire [127:0] isb_e, sb_d;  // the other direction's table of each state: unused
  /* verilator lint_on UNUSED */
  reg  [127:0] sr, isr;
  wire [127:0] mc, imc;
  genvar p;
  generate
    for (p = 0; p < 16; p = p + 1) begin : g_sbox
      aes_sbox u_enc (.x_i(ste_q[127 - 8*p -: 8]), .s_o(sb[127 - 8*p -: 8]), .si_o(isb_e[127 - 8*p -: 8]));
      aes_sbox u_dec (.x_i(std_q[127 - 8*p -: 8]), .s_o(sb_d[127 - 8*p -: 8]), .si_o(isb[127 - 8*p -: 8]));
    end
    for (p = 0; p < 4; p = p + 1) begin : g_mix
      aes_mix #(.INV(0)) u_mc  (.col_i(sr[127 - 32*p -: 32]),  .col_o(mc[127 - 32*p -: 32]));
      aes_mix #(.INV(1), .SHALLOW(1)) u_imc (.col_i(isr[127 - 32*p -: 32]), .col_o(imc[127 - 32*p -: 32]));
    end
  endgenerate

  // (Inv)ShiftRows: byte (c, i) takes byte (c+i, i) / (c-i, i)
  integer c, i;
  always @(*) begin
    for (c = 0; c < 4; c = c + 1) begin
      for (i = 0; i < 4; i = i + 1) begin
        sr[127 - 32*c - 8*i -: 8]  = sb[127 - 32*((c + i) % 4) - 8*i -: 8];
        isr[127 - 32*c - 8*i -: 8] = isb[127 - 32*((c + 4 - i) % 4) - 8*i -: 8];
      end
    end
  end

  always @(posedge clk) begin
    ste_q <= ({128{!gate_i}} & mc) ^ key_i;
    std_q <= ({128{!gate_i}} & imc) ^ key_i;
  end

  assign fin_o = (inv_i ? isr : sr) ^ key_i;
  assign sub_o = sb[127:96];
endmodule
