`default_nettype none
// SHA-2 compression core (FIPS 180-4), one padded block in, state out.
//   WORD = 32: SHA-256 / SHA-224 (64 rounds, 512-bit blocks)
//   WORD = 64: SHA-512 / SHA-384 (80 rounds, 1024-bit blocks)
// Datapath only: no padding, no bus knowledge (sha2_wrap.v pads a word stream).
//
// Interface: blk_valid_i/blk_ready_o handshake starts one block; blk_init_i
// with it starts a new message from the IV selected by mode_i (0: SHA-256/512,
// 1: SHA-224/384). The block's 16 words are read from the source's buffer
// (a synchronous RAM in sha2_wrap): the core drives blk_raddr_o and takes
// blk_rdata_i one cycle later, word t in round t-1 (word 0 in the handshake
// cycle, from the address 0 the core presents while idle). blk_release_o
// pulses when the last word has been read: from the next cycle on the source
// may reuse the buffer, while the core still runs the remaining rounds.
// digest_o holds H0..H7 (H0 in the top bits) once blk_ready_o is high again.
// EXT_IV = 1 (the fabric's stateless SHA256 jobs): blk_init_i starts from the
// chaining value on iv_i (H0 in the top bits, held until the block is taken)
// instead of the standard IV; mode_i is then unused. EXT_IV = 0 (default,
// sha2_wrap): iv_i is unused.
//
// Timing: 1 load cycle + ROUNDS round cycles + 1 final-add cycle per block,
// i.e. 66 cycles per block for SHA-256 and 82 for SHA-512, back to back.
// cycles_o counts the cycles spent on the current message (load cycles
// included), so it reads exactly blocks * (ROUNDS + 2).
//
// Timing closure: the round adds h + K[t] + W[t] one cycle ahead (pre_q: h of
// round t+1 is g of round t, K comes from a synchronous ROM addressed two
// rounds ahead, W[t+1] is the block word or the schedule word produced in
// round t); the remaining sums are carry-save compressed so each round has a
// single carry-propagate adder per output (a, e and pre). The a and e
// registers take their adders' outputs directly, also in the load cycle (the
// round terms are gated to 0 there and the starting H0 / H4 enters the
// carry-save trees), so no load multiplexer follows the adders.
// digest_o is valid only while blk_ready_o is high: H0..H3 and H4..H7 are two
// 4-word rings, each with one adder, updated in the last 3 rounds and the
// final cycle (2 adders for the chaining value instead of 8).
// Area: the schedule window keeps W[t] .. W[t-5] in flip-flops and W[t-13],
// W[t-14] come from a 16-word RAM (block RAM on iCE40) written with every
// word, instead of a 16-word shift register. Block words enter the window one
// per round, like computed words (no load multiplexer).
module sha2_core #(
  parameter integer WORD   = 32,
  parameter integer EXT_IV = 0
) (
  input  wire                 clk,
  input  wire                 rst_n,
  input  wire                 blk_valid_i,
  output wire                 blk_ready_o,
  input  wire                 blk_init_i,
  input  wire                 mode_i,
  input  wire [8*WORD-1:0]    iv_i,
  output wire [3:0]           blk_raddr_o,
  input  wire [WORD-1:0]      blk_rdata_i,
  output wire                 blk_release_o,
  output wire [8*WORD-1:0]    digest_o,
  output wire [31:0]          cycles_o
);
  localparam [6:0] LAST_T = (WORD == 64) ? 7'd79 : 7'd63;  // ROUNDS - 1
  localparam [1:0] ST_IDLE = 2'd0, ST_ROUND = 2'd1, ST_FINAL = 2'd2;

  reg  [1:0]        st_q, st_d;
  reg  [6:0]        t_q, t_d;
  reg  [WORD-1:0]   w_q [0:5];     // W[t] .. W[t-5] in round t (w_q[0] newest)
  reg  [WORD-1:0]   w14_q;         // W[t-14] (W[t-13] is the window RAM's output)
  reg  [WORD-1:0]   h_q [0:7];     // chaining value H0..H7
  reg  [WORD-1:0]   v_q [0:7];     // working variables a..h
  reg  [WORD-1:0]   pre_q;         // h + K[t] + W[t] of the current round
  reg  [WORD-1:0]   wn_q;          // W[t+1] (from round 15 on)
  reg  [31:0]       cyc_q;
  reg               idle_q;        // st_q == ST_IDLE
  reg               ublk_q;        // W[t+1] comes from the block (load, rounds 0..14)
  reg               rot_q;         // the chaining value is being updated (last 3 rounds, final)

  wire [8*WORD-1:0] iv, iv_std;
  wire [WORD-1:0]   k_q;
  reg  [6:0]        k_addr;
  wire [WORD-1:0]   w13;           // W[t-13], read from the window RAM

  sha2_iv #(.WORD(WORD)) u_iv (.mode_i(mode_i), .iv_o(iv_std));
  assign iv = (EXT_IV != 0) ? iv_i : iv_std;

  generate
    if (WORD == 64) begin : g_k512
      sha512_k_rom u_k (.clk(clk), .addr_i(k_addr), .data_o(k_q));
    end else begin : g_k256
      sha256_k_rom u_k (.clk(clk), .addr_i(k_addr), .data_o(k_q));
    end
  endgenerate

  // ---- SHA-2 functions -----------------------------------------------------
  function [WORD-1:0] rotr;
    input [WORD-1:0] x;
    input integer    n;
    begin
      rotr = (x >> n) | (x << (WORD - n));
    end
  endfunction

  function [WORD-1:0] bsig0;  // Sigma0
    input [WORD-1:0] x;
    begin
      if (WORD == 64) bsig0 = rotr(x, 28) ^ rotr(x, 34) ^ rotr(x, 39);
      else            bsig0 = rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
    end
  endfunction

  function [WORD-1:0] bsig1;  // Sigma1
    input [WORD-1:0] x;
    begin
      if (WORD == 64) bsig1 = rotr(x, 14) ^ rotr(x, 18) ^ rotr(x, 41);
      else            bsig1 = rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
    end
  endfunction

  function [WORD-1:0] ssig0;  // sigma0
    input [WORD-1:0] x;
    begin
      if (WORD == 64) ssig0 = rotr(x, 1) ^ rotr(x, 8) ^ (x >> 7);
      else            ssig0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
    end
  endfunction

  function [WORD-1:0] ssig1;  // sigma1
    input [WORD-1:0] x;
    begin
      if (WORD == 64) ssig1 = rotr(x, 19) ^ rotr(x, 61) ^ (x >> 6);
      else            ssig1 = rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
    end
  endfunction

  // carry-save 3:2 compressor: x + y + z == csa_s + csa_c (mod 2^WORD)
  function [WORD-1:0] csa_s;
    input [WORD-1:0] x, y, z;
    begin
      csa_s = x ^ y ^ z;
    end
  endfunction

  function [WORD-1:0] csa_c;
    input [WORD-1:0] x, y, z;
    begin
      csa_c = ((x & y) | (x & z) | (y & z)) << 1;
    end
  endfunction

  // carry-select adder: the upper half is added for both carries in parallel
  // with the lower half (half the carry chain on the round's critical path)
  function [WORD-1:0] add_cs;
    input [WORD-1:0] x, y;
    reg [WORD/2:0]   lo;
    reg [WORD/2-1:0] hi0, hi1;
    begin
      lo     = {1'b0, x[WORD/2-1:0]} + {1'b0, y[WORD/2-1:0]};
      hi0    = x[WORD-1:WORD/2] + y[WORD-1:WORD/2];
      hi1    = x[WORD-1:WORD/2] + y[WORD-1:WORD/2] + 1'b1;
      add_cs = {lo[WORD/2] ? hi1 : hi0, lo[WORD/2-1:0]};
    end
  endfunction

  // chaining value the block starts from (word i)
  function [WORD-1:0] start_h;
    input integer j;
    begin
      start_h = blk_init_i ? iv[(7-j)*WORD +: WORD] : h_q[j];
    end
  endfunction

  // ---- round datapath ------------------------------------------------------
  // No load multiplexer behind the a and e adders: in the load cycle
  // (idle_q) the round terms are gated to 0 and the chaining value the block
  // starts from enters as the last carry-save operand (in place of Maj for a,
  // of d for e), so the adders themselves yield a = H0 and e = H4.
  wire [WORD-1:0] va = v_q[0], vb = v_q[1], vc = v_q[2], vd = v_q[3];
  wire [WORD-1:0] ve = v_q[4], vf = v_q[5], vg = v_q[6];
  wire [WORD-1:0] run = {WORD{~idle_q}};
  wire [WORD-1:0] ch  = ((ve & vf) ^ (~ve & vg)) & run;
  wire [WORD-1:0] s1  = bsig1(ve) & run;
  wire [WORD-1:0] s0  = bsig0(va) & run;
  wire [WORD-1:0] pre = pre_q & run;
  wire [WORD-1:0] maj = idle_q ? start_h(0) : ((va & vb) ^ (va & vc) ^ (vb & vc));
  wire [WORD-1:0] dd  = idle_q ? start_h(4) : vd;
  // T1 = pre + S1 + Ch in carry-save form (t1s, t1c)
  wire [WORD-1:0] t1s = csa_s(pre, s1, ch);
  wire [WORD-1:0] t1c = csa_c(pre, s1, ch);
  // e' = d + T1
  wire [WORD-1:0] es  = csa_s(t1s, t1c, dd);
  wire [WORD-1:0] ec  = csa_c(t1s, t1c, dd);
  // a' = T1 + S0 + Maj
  wire [WORD-1:0] as1 = csa_s(t1s, t1c, s0);
  wire [WORD-1:0] ac1 = csa_c(t1s, t1c, s0);
  wire [WORD-1:0] as2 = csa_s(as1, ac1, maj);
  wire [WORD-1:0] ac2 = csa_c(as1, ac1, maj);
  wire [WORD-1:0] a_new = add_cs(as2, ac2);
  wire [WORD-1:0] e_new = add_cs(es, ec);
  wire load  = (st_q == ST_IDLE) && blk_valid_i;
  wire shift = load || (st_q == ST_ROUND);

  // W[t+1], entering the window in round t (in the load cycle: W[0]): the
  // block word while t+1 < 16, else wn_q, computed one round ahead:
  //   W[t+2] = s1(W[t]) + W[t-5] + s0(W[t-13]) + W[t-14]   (in round t)
  // Datapath selects come straight from flip-flops (idle_q, ublk_q), not from
  // the handshake: the load only enables the registers.
  // Window: W[t] .. W[t-5] in flip-flops; every word also goes to a 16-entry
  // RAM (block RAM) written at n mod 16 (the n-th word of the block) and read
  // at t+4 in round t, so its output is W[t-13] in round t (t >= 14).
  wire [WORD-1:0] w_next = ublk_q ? blk_rdata_i : wn_q;
  wire [3:0]      w_waddr = idle_q ? 4'd0 : t_q[3:0] + 4'd1;
  wire [3:0]      w_raddr = t_q[3:0] + 4'd4;
  fhsm_ram #(.AW(4), .DW(WORD)) u_wram (
    .clk(clk), .we_i(shift), .waddr_i(w_waddr), .wdata_i(w_next),
    .re_i(1'b1), .raddr_i(w_raddr), .rdata_o(w13));
  wire [WORD-1:0] ws1 = csa_s(ssig1(w_q[0]), w_q[5], ssig0(w13));
  wire [WORD-1:0] wc1 = csa_c(ssig1(w_q[0]), w_q[5], ssig0(w13));
  wire [WORD-1:0] ws2 = csa_s(ws1, wc1, w14_q);
  wire [WORD-1:0] wc2 = csa_c(ws1, wc1, w14_q);
  wire [WORD-1:0] wn_next = ws2 + wc2;
  // pre = h' + K[t+1] + W[t+1] (h' = g, or the chaining value's h at load)
  wire [WORD-1:0] h_base = idle_q ? start_h(7) : v_q[6];
  wire [WORD-1:0] ps1 = csa_s(h_base, k_q, w_next);
  wire [WORD-1:0] pc1 = csa_c(h_base, k_q, w_next);
  wire [WORD-1:0] pre_next = ps1 + pc1;

  // Chaining value update, one word per cycle and half: H0..H3 and H4..H7 are
  // two 4-word rings, each with one adder. In rounds LAST_T-2 .. LAST_T and
  // the final cycle, a holds the final d, c, b, a in turn (e: h, g, f, e),
  // while the ring presents H3, H2, H1, H0 (H7 .. H4).
  wire [WORD-1:0] hsum_a = h_q[3] + v_q[0];
  wire [WORD-1:0] hsum_e = h_q[7] + v_q[4];

  // ---- control ---------------------------------------------------------------
  always @(*) begin
    st_d   = st_q;
    t_d    = t_q;
    k_addr = 7'd0;
    case (st_q)
      ST_IDLE: begin
        t_d = 7'd0;
        if (blk_valid_i) begin
          st_d   = ST_ROUND;
          k_addr = 7'd1;
        end
      end
      ST_ROUND: begin
        t_d    = t_q + 7'd1;
        k_addr = t_q + 7'd2;
        if (t_q == LAST_T) st_d = ST_FINAL;
      end
      ST_FINAL: st_d = ST_IDLE;
      default:  st_d = ST_IDLE;
    endcase
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q   <= ST_IDLE;
      t_q    <= 7'd0;
      idle_q <= 1'b1;
      ublk_q <= 1'b1;
      rot_q  <= 1'b0;
    end else begin
      st_q   <= st_d;
      t_q    <= t_d;
      idle_q <= (st_d == ST_IDLE);
      ublk_q <= (st_d == ST_IDLE) || (st_d == ST_ROUND && t_d < 7'd15);
      rot_q  <= (st_d == ST_FINAL) || (st_d == ST_ROUND && t_d >= LAST_T - 7'd2);
    end
  end

  // ---- datapath registers (no reset needed: written before use) ------------
  integer i;
  always @(posedge clk) begin
    if (shift) begin
      for (i = 5; i > 0; i = i - 1) w_q[i] <= w_q[i-1];
      w_q[0]  <= w_next;
      w14_q   <= w13;
      wn_q    <= wn_next;
      pre_q   <= pre_next;
      v_q[0]  <= a_new;
      v_q[1]  <= load ? start_h(1) : v_q[0];
      v_q[2]  <= load ? start_h(2) : v_q[1];
      v_q[3]  <= load ? start_h(3) : v_q[2];
      v_q[4]  <= e_new;
      v_q[5]  <= load ? start_h(5) : v_q[4];
      v_q[6]  <= load ? start_h(6) : v_q[5];
      v_q[7]  <= load ? start_h(7) : v_q[6];
    end
    if (load && blk_init_i) begin
      for (i = 0; i < 8; i = i + 1) h_q[i] <= iv[(7-i)*WORD +: WORD];
    end else if (rot_q) begin
      h_q[0] <= hsum_a;
      h_q[1] <= h_q[0];
      h_q[2] <= h_q[1];
      h_q[3] <= h_q[2];
      h_q[4] <= hsum_e;
      h_q[5] <= h_q[4];
      h_q[6] <= h_q[5];
      h_q[7] <= h_q[6];
    end
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n)                       cyc_q <= 32'd0;
    else if (load && blk_init_i)      cyc_q <= 32'd1;
    else if (load || st_q != ST_IDLE) cyc_q <= cyc_q + 32'd1;
  end

  assign blk_ready_o   = (st_q == ST_IDLE);
  assign blk_raddr_o   = k_addr[3:0];          // same schedule as K: word t+2 in round t
  assign blk_release_o = (st_q == ST_ROUND) && (t_q == 7'd14);
  assign cycles_o    = cyc_q;
  genvar g;
  generate
    for (g = 0; g < 8; g = g + 1) begin : g_dig
      assign digest_o[(7-g)*WORD +: WORD] = h_q[g];
    end
  endgenerate
endmodule
