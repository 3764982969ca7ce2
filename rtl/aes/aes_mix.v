`default_nettype none
// MixColumns or InvMixColumns of one column (FIPS-197 5.1.3, 5.3.3): the
// GF(2^8) arithmetic every AES datapath here shares (the round of
// aes_wide_core, and the InvMixColumns copy of the round keys that both cores
// keep for the equivalent inverse cipher).
//   INV = 0: col_o = MixColumns(col_i), the {02,03,01,01} circulant.
//   INV = 1: col_o = InvMixColumns(col_i), the {0e,0b,0d,09} circulant,
//            SHALLOW = 0: factored as MixColumns(a ^ {u, v, u, v}), u =
//              {04}(a0 ^ a2), v = {04}(a1 ^ a3): fewest LUTs (the round keys'
//              copy; aes_core 2,028 LC on UP5K against 2,064 with SHALLOW = 1);
//            SHALLOW = 1: each product from x2 = {02}a, x4 = {04}a, x8 = {08}a
//              and one XOR of four: one LUT level less where it is on the
//              critical path, aes_wide_round's decryption loop (ECP5, seed 1:
//              2.6 ns of logic on that path against 3.0 ns factored).
// Bytes big-endian in the word: a0 = col_i[31:24] (row 0) .. a3 = col_i[7:0].
module aes_mix #(
  parameter integer INV     = 0,
  parameter integer SHALLOW = 0
) (
  input  wire [31:0] col_i,
  output wire [31:0] col_o
);
  function [7:0] xt;  // multiply by x
    input [7:0] a;
    begin
      xt = {a[6:0], 1'b0} ^ (a[7] ? 8'h1b : 8'h00);
    end
  endfunction

  // {0e, 0b, 0d, 09} * a, packed
  function [31:0] inv_mults;
    input [7:0] a;
    reg [7:0] x2, x4, x8;
    begin
      x2 = xt(a);
      x4 = xt(x2);
      x8 = xt(x4);
      inv_mults = {x8 ^ x4 ^ x2, x8 ^ x2 ^ a, x8 ^ x4 ^ a, x8 ^ a};
    end
  endfunction

  wire [7:0] a0 = col_i[31:24], a1 = col_i[23:16], a2 = col_i[15:8], a3 = col_i[7:0];
  generate
    if (INV == 0 || SHALLOW == 0) begin : g_mix
      // MixColumns of a, or of a ^ {u, v, u, v} for the factored inverse
      wire [7:0] u = (INV != 0) ? xt(xt(a0 ^ a2)) : 8'd0;
      wire [7:0] v = (INV != 0) ? xt(xt(a1 ^ a3)) : 8'd0;
      wire [7:0] b0 = a0 ^ u, b1 = a1 ^ v, b2 = a2 ^ u, b3 = a3 ^ v;
      assign col_o = {xt(b0) ^ xt(b1) ^ b1 ^ b2 ^ b3,
                      b0 ^ xt(b1) ^ xt(b2) ^ b2 ^ b3,
                      b0 ^ b1 ^ xt(b2) ^ xt(b3) ^ b3,
                      xt(b0) ^ b0 ^ b1 ^ b2 ^ xt(b3)};
    end else begin : g_inv_shallow
      // mK[31:24] = {0e}aK, [23:16] = {0b}aK, [15:8] = {0d}aK, [7:0] = {09}aK
      wire [31:0] m0 = inv_mults(a0), m1 = inv_mults(a1), m2 = inv_mults(a2), m3 = inv_mults(a3);
      assign col_o = {m0[31:24] ^ m1[23:16] ^ m2[15:8] ^ m3[7:0],
                      m0[7:0] ^ m1[31:24] ^ m2[23:16] ^ m3[15:8],
                      m0[15:8] ^ m1[7:0] ^ m2[31:24] ^ m3[23:16],
                      m0[23:16] ^ m1[15:8] ^ m2[7:0] ^ m3[31:24]};
    end
  endgenerate
endmodule
