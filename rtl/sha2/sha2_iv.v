// DO NOT EDIT: generated from their definitions by rtl/gen_consts.py
`default_nettype none
// Initial hash values. mode_i = 0: SHA-256 / SHA-512, 1: SHA-224 / SHA-384.
module sha2_iv #(
  parameter integer WORD = 32
) (
  input  wire mode_i,
  output wire [8*WORD-1:0] iv_o
);
  generate
    if (WORD == 64) begin : g_512
      assign iv_o = mode_i ? 512'hcbbb9d5dc1059ed8629a292a367cd5079159015a3070dd17152fecd8f70e593967332667ffc00b318eb44a8768581511db0c2e0d64f98fa747b5481dbefa4fa4
                           : 512'h6a09e667f3bcc908bb67ae8584caa73b3c6ef372fe94f82ba54ff53a5f1d36f1510e527fade682d19b05688c2b3e6c1f1f83d9abfb41bd6b5be0cd19137e2179;
    end else begin : g_256
      assign iv_o = mode_i ? 256'hc1059ed8367cd5073070dd17f70e5939ffc00b316858151164f98fa7befa4fa4
                           : 256'h6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19;
    end
  endgenerate
endmodule
