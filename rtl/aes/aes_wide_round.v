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
// in the loop) placed at 86-91 MHz, 8,240 LUT4; this at 91-97 MHz, 8,103
// LUT4 (ECP5-85F, seeds 1-3).
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
  function [7:0] xt;  // multiply by x
    input [7:0] a;
    begin
      xt = {a[6:0], 1'b0} ^ (a[7] ? 8'h1b : 8'h00);
    end
  endfunction

  function [31:0] mixcol;
    input [31:0] c;
    reg [7:0] a0, a1, a2, a3;
    begin
      a0 = c[31:24]; a1 = c[23:16]; a2 = c[15:8]; a3 = c[7:0];
      mixcol = {xt(a0) ^ xt(a1) ^ a1 ^ a2 ^ a3,
                a0 ^ xt(a1) ^ xt(a2) ^ a2 ^ a3,
                a0 ^ a1 ^ xt(a2) ^ xt(a3) ^ a3,
                xt(a0) ^ a0 ^ a1 ^ a2 ^ xt(a3)};
    end
  endfunction

  // InvMixColumns: {0e,0b,0d,09} circulant; with x2 = 2a, x4 = 4a, x8 = 8a:
  // 9a = x8^a, 11a = x8^x2^a, 13a = x8^x4^a, 14a = x8^x4^x2
  function [31:0] invmixcol;
    input [31:0] c;
    reg [7:0] a [0:3];
    reg [7:0] m9 [0:3];
    reg [7:0] m11 [0:3];
    reg [7:0] m13 [0:3];
    reg [7:0] m14 [0:3];
    reg [7:0] x2, x4, x8;
    integer k;
    begin
      for (k = 0; k < 4; k = k + 1) begin
        a[k]   = c[31 - 8*k -: 8];
        x2     = xt(a[k]);
        x4     = xt(x2);
        x8     = xt(x4);
        m9[k]  = x8 ^ a[k];
        m11[k] = x8 ^ x2 ^ a[k];
        m13[k] = x8 ^ x4 ^ a[k];
        m14[k] = x8 ^ x4 ^ x2;
      end
      invmixcol = {m14[0] ^ m11[1] ^ m13[2] ^ m9[3],
                   m9[0] ^ m14[1] ^ m11[2] ^ m13[3],
                   m13[0] ^ m9[1] ^ m14[2] ^ m11[3],
                   m11[0] ^ m13[1] ^ m9[2] ^ m14[3]};
    end
  endfunction

  reg  [127:0] ste_q, std_q;
  wire [127:0] sb, isb;
  /* verilator lint_off UNUSED */
  wire [127:0] isb_e, sb_d;  // the other direction's table of each state: unused
  /* verilator lint_on UNUSED */
  reg  [127:0] sr, isr, mc, imc;
  genvar p;
  generate
    for (p = 0; p < 16; p = p + 1) begin : g_sbox
      aes_sbox u_enc (.x_i(ste_q[127 - 8*p -: 8]), .s_o(sb[127 - 8*p -: 8]), .si_o(isb_e[127 - 8*p -: 8]));
      aes_sbox u_dec (.x_i(std_q[127 - 8*p -: 8]), .s_o(sb_d[127 - 8*p -: 8]), .si_o(isb[127 - 8*p -: 8]));
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
    for (c = 0; c < 4; c = c + 1) begin
      mc[127 - 32*c -: 32]  = mixcol(sr[127 - 32*c -: 32]);
      imc[127 - 32*c -: 32] = invmixcol(isr[127 - 32*c -: 32]);
    end
  end

  always @(posedge clk) begin
    ste_q <= ({128{!gate_i}} & mc) ^ key_i;
    std_q <= ({128{!gate_i}} & imc) ^ key_i;
  end

  assign fin_o = (inv_i ? isr : sr) ^ key_i;
  assign sub_o = sb[127:96];
endmodule
