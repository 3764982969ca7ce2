#!/usr/bin/env python3
"""Generates the constant tables of the fabric cores from their mathematical
definitions (no table is copied from anywhere):

  rtl/sha2/sha256_k_rom.v  K[0..63]  = first 32 fraction bits of cbrt(prime 1..64)
  rtl/sha2/sha512_k_rom.v  K[0..79]  = first 64 fraction bits of cbrt(prime 1..80)
  rtl/sha2/sha2_iv.v       H0 for SHA-224/256/384/512 (FIPS 180-4 5.3)
  rtl/aes/aes_tbox_rom.v   AES round tables (FIPS-197 5.1.1, 5.1.3, 5.3.2, 5.3.3):
                           addr x      -> {02,01,01,03} * S[x]
                           addr 256+x  -> {0e,09,0d,0b} * InvS[x]
  rtl/aes/aes_sbox.v       S[x] and InvS[x] as combinational logic (LUTs)

Run:  python3 rtl/gen_consts.py   (from the repository root; rewrites the files)
The RTL tests check every table indirectly against LibTomCrypt and NIST vectors.
"""
import os, sys

ROOT = os.path.dirname(os.path.abspath(__file__))
HDR = "// DO NOT EDIT: generated from their definitions by rtl/gen_consts.py\n`default_nettype none\n"


def primes(n):
    out, c = [], 2
    while len(out) < n:
        if all(c % p for p in out if p * p <= c):
            out.append(c)
        c += 1
    return out


def iroot(x, k):
    """floor(x ** (1/k)) for integers, exact."""
    lo, hi = 0, 1 << (x.bit_length() // k + 1)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if mid ** k <= x:
            lo = mid
        else:
            hi = mid - 1
    return lo


def frac_root(p, k, bits):
    return iroot(p << (k * bits), k) & ((1 << bits) - 1)


def rom(name, width, values, abits):
    depth = 1 << abits
    lines = [HDR,
             f"// Synchronous-read ROM ({len(values)} x {width}); maps to block RAM.\n",
             f"module {name} (\n  input  wire clk,\n  input  wire [{abits-1}:0] addr_i,\n"
             f"  output reg  [{width-1}:0] data_o\n);\n",
             f"  reg [{width-1}:0] mem [0:{depth-1}];\n  initial begin\n"]
    for i, v in enumerate(values + [0] * (depth - len(values))):
        lines.append(f"    mem[{i}] = {width}'h{v:0{width//4}x};\n")
    lines.append("  end\n  always @(posedge clk) data_o <= mem[addr_i];\nendmodule\n")
    return "".join(lines)


def gmul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = ((a << 1) ^ 0x11b) if a & 0x80 else a << 1
        b >>= 1
    return r


def sbox():
    def mul(a, b):
        r = 0
        while b:
            if b & 1:
                r ^= a
            a = ((a << 1) ^ 0x11b) if a & 0x80 else a << 1
            b >>= 1
        return r
    inv = [0] * 256
    for a in range(1, 256):
        for b in range(1, 256):
            if mul(a, b) == 1:
                inv[a] = b
                break
    s = []
    for x in range(256):
        b = inv[x]
        y = b
        for r in range(1, 5):
            y ^= ((b << r) | (b >> (8 - r))) & 0xff
        s.append(y ^ 0x63)
    si = [0] * 256
    for x, y in enumerate(s):
        si[y] = x
    return s, si


def main():
    p = primes(80)
    k256 = [frac_root(q, 3, 32) for q in p[:64]]
    k512 = [frac_root(q, 3, 64) for q in p[:80]]
    iv256 = [frac_root(q, 2, 32) for q in p[:8]]
    iv224 = [frac_root(q, 2, 64) & 0xffffffff for q in p[8:16]]
    iv512 = [frac_root(q, 2, 64) for q in p[:8]]
    iv384 = [frac_root(q, 2, 64) for q in p[8:16]]
    files = {
        "sha2/sha256_k_rom.v": rom("sha256_k_rom", 32, k256, 7),
        "sha2/sha512_k_rom.v": rom("sha512_k_rom", 64, k512, 7),
    }
    ivs = [HDR, "// Initial hash values. mode_i = 0: SHA-256 / SHA-512, 1: SHA-224 / SHA-384.\n",
           "module sha2_iv #(\n  parameter integer WORD = 32\n) (\n  input  wire mode_i,\n"
           "  output wire [8*WORD-1:0] iv_o\n);\n",
           "  generate\n    if (WORD == 64) begin : g_512\n",
           "      assign iv_o = mode_i ? 512'h" + "".join(f"{v:016x}" for v in iv384) + "\n",
           "                           : 512'h" + "".join(f"{v:016x}" for v in iv512) + ";\n",
           "    end else begin : g_256\n",
           "      assign iv_o = mode_i ? 256'h" + "".join(f"{v:08x}" for v in iv224) + "\n",
           "                           : 256'h" + "".join(f"{v:08x}" for v in iv256) + ";\n",
           "    end\n  endgenerate\nendmodule\n"]
    files["sha2/sha2_iv.v"] = "".join(ivs)
    s, si = sbox()
    te = [(gmul(v, 2) << 24) | (v << 16) | (v << 8) | gmul(v, 3) for v in s]
    td = [(gmul(v, 14) << 24) | (gmul(v, 9) << 16) | (gmul(v, 13) << 8) | gmul(v, 11) for v in si]
    files["aes/aes_tbox_rom.v"] = rom("aes_tbox_rom", 32, te + td, 9).replace(
        "maps to block RAM.", "maps to block RAM.\n"
        "// addr_i[8] = 0: {02,01,01,03}*S[x] (byte 1 is S[x]);\n"
        "// addr_i[8] = 1: {0e,09,0d,0b}*InvS[x] (the XOR of its bytes is InvS[x]).")
    tbl = lambda v: "".join(f"{b:02x}" for b in reversed(v))  # entry x at bits 8x+7..8x
    files["aes/aes_sbox.v"] = "".join([
        HDR,
        "// AES S-box and inverse S-box (FIPS-197 5.1.1, 5.3.2) as combinational\n",
        "// logic: constant tables indexed by x (Yosys builds LUTs from them, no RAM).\n",
        "module aes_sbox (\n  input  wire [7:0] x_i,\n  output wire [7:0] s_o,\n",
        "  output wire [7:0] si_o\n);\n",
        "  localparam [2047:0] SBOX = 2048'h", tbl(s), ";\n",
        "  localparam [2047:0] INV_SBOX = 2048'h", tbl(si), ";\n",
        "  assign s_o  = SBOX[8*x_i +: 8];\n",
        "  assign si_o = INV_SBOX[8*x_i +: 8];\n",
        "endmodule\n"])
    for name, text in files.items():
        with open(os.path.join(ROOT, name), "w") as f:
            f.write(text)
    print("k256[0]=%08x iv256[0]=%08x iv224[0]=%08x k512[0]=%016x sbox[0]=%02x" %
          (k256[0], iv256[0], iv224[0], k512[0], s[0]))


if __name__ == "__main__":
    main()
