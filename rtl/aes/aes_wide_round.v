`default_nettype none
// One AES round per cycle (datapath of aes_wide_core): 16 round-table ROMs
// (aes_tbox_rom, 512x32, one DP16KD each on ECP5), one per state byte, and
// the XOR network behind them.
//
// Lane p = 4*c + i (column c, row i; state byte p in FIPS order, bits
// 127-8p..120-8p) looks up the byte that ShiftRows (encrypt) or InvShiftRows
// (decrypt) moves to column c, row i: its table entry, rotated by i bytes, is
// that byte's whole (Inv)MixColumns contribution to column c. So
//   x (column c) = T(lane 4c) ^ T(lane 4c+1)>>>8 ^ T(lane 4c+2)>>>16 ^ T(lane 4c+3)>>>24
// is MixColumns(SubBytes(ShiftRows(state))) (or the inverse) for all four
// columns at once, and the next addresses are the round output shifted again:
//   addr(lane (c,i)) = x(column c+i / c-i, row i) ^ key_i(lane (c,i)).
// The round key comes in lane layout (already ShiftRows'd by the core, in a
// flip-flop), so the shift is only the mux on x in rows 1 and 3 (rows 0 and 2
// are the same either way): ROM -> XOR4 -> (mux) XOR key -> ROM, two LUT
// levels. gate_i (a flip-flop) zeroes x so that the addresses are key_i alone:
// the whitened block in the load cycle, the key word in key expansion.
//
// Last round (no MixColumns): fin_o = (Inv)SubBytes of every lane ^ key_i,
// in state layout (the core presents that key unshifted): S[x] is byte 1 of
// the forward entry, InvS[x] the XOR of the inverse entry's bytes.
// sub_o: S-box of lanes 0..3 (column 0), for SubWord in key expansion (the
// core then holds the key word in key_i[127:96] and tsel_i = 0).
module aes_wide_round (
  input  wire         clk,
  input  wire         tsel_i,   // table: 0 = forward (S, MixColumns), 1 = inverse
  input  wire         inv_i,    // next addresses by InvShiftRows (decrypt)
  input  wire         gate_i,   // 1: next addresses = key_i
  input  wire [127:0] key_i,
  output wire [127:0] fin_o,
  output wire [31:0]  sub_o
);
  wire [31:0]  tb [0:15];
  wire [127:0] x;
  wire [127:0] sb, isb;
  reg  [127:0] nxt;
  genvar p;
  generate
    for (p = 0; p < 16; p = p + 1) begin : g_lane
      aes_tbox_rom u_tbox (.clk(clk), .addr_i({tsel_i, nxt[127 - 8*p -: 8]}), .data_o(tb[p]));
      assign sb[127 - 8*p -: 8]  = tb[p][23:16];
      assign isb[127 - 8*p -: 8] = tb[p][31:24] ^ tb[p][23:16] ^ tb[p][15:8] ^ tb[p][7:0];
    end
    for (p = 0; p < 4; p = p + 1) begin : g_col
      assign x[127 - 32*p -: 32] = tb[4*p] ^ {tb[4*p+1][7:0], tb[4*p+1][31:8]} ^
                                   {tb[4*p+2][15:0], tb[4*p+2][31:16]} ^
                                   {tb[4*p+3][23:0], tb[4*p+3][31:24]};
    end
  endgenerate

  integer c, i;
  always @(*) begin
    for (c = 0; c < 4; c = c + 1)
      for (i = 0; i < 4; i = i + 1)
        nxt[127 - 32*c - 8*i -: 8] =
          ({8{!gate_i}} & x[127 - 32*((inv_i ? c + 4 - i : c + i) % 4) - 8*i -: 8]) ^
          key_i[127 - 32*c - 8*i -: 8];
  end

  assign fin_o = (tsel_i ? isb : sb) ^ key_i;
  assign sub_o = sb[127:96];
endmodule
