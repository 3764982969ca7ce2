`default_nettype none
// Wide AES core (FIPS-197) for ECP5: one round per cycle. Same ports and the
// same mode / key-size / chaining semantics as aes_core (ECB / CBC / CTR,
// SP 800-38A; 128/192/256-bit keys; key expansion on the core).
//
// Architecture:
//   * aes_wide_round: a state register per direction and a whole round in
//     logic (32 S-boxes in LUTs, ShiftRows, (Inv)MixColumns, the round-key
//     XOR), so a round is one cycle and uses no block RAM (see
//     aes_wide_round for why).
//   * Round keys are expanded once per key, a word per cycle (3 cycles for
//     the words that need SubWord, which goes through the round's column-0
//     S-boxes: the word enters the state, the S-box output is registered),
//     into two sets of four 16x32 RAMs, one per column (distributed RAM on
//     ECP5): the encryption keys rk[j] at address j, and the decryption keys
//     of the equivalent inverse cipher (FIPS-197 5.3.5) at address Nr-j,
//     i.e. dk[r] = InvMixColumns(rk[Nr-r]) for 0 < r < Nr and rk[Nr-r]
//     unchanged for r = 0, Nr. Both sets are written in the same cycle (the
//     decryption set one pipeline stage later, through InvMixColumns), so
//     decryption reads its keys in the same order as encryption and needs
//     no extra pass.
//   * The round key reaches the datapath from a flip-flop (rkl_q), read from
//     the RAMs two cycles ahead, so the round's critical path has no key
//     logic. The last round's key goes in XORed with the output mask (CTR:
//     the input block, CBC-decrypt: the IV), so the last round's output is
//     the result. The whitening key (rk[0] / rk[Nr]) is a register.
//   * Load: while idle or holding an output, rkl_q takes the block on the
//     input port, chained (CBC-encrypt: ^ IV; CTR: the counter block instead)
//     and whitened, every cycle; the handshake (in_fire, a late signal) only
//     moves the state and captures the block for CTR / CBC-decrypt, so it
//     drives no wide mux. In the load cycle the state takes rkl_q alone.
//   * CTR: the counter block is incremented (128-bit, big-endian) in the
//     load cycle; CBC: the chaining value is updated in the last round.
//
// Cycles (fixed; no data-dependent timing anywhere):
//   block: Nr + 2 from the in handshake to out_valid_o (handshake, load, Nr
//          rounds), and a stream with out_ready_i held high takes a new block
//          every Nr + 2 cycles: 12 (AES-128), 14 (AES-192), 16 (AES-256).
//   key:   3 + 4*(Nr+1) + 2*Ns = 67 / 71 / 89 cycles (Ns = 10 / 8 / 13
//          words with SubWord).
//
// Interface: exactly aes_core's (see rtl/aes/aes_core.v): key_* (key_i
// [255:0], AES-128 uses [255:128], AES-192 [255:64]; key_ready_o in the last
// cycle that reads key_i), cfg_* (mode 0 = ECB, 1 = CBC, 2 = CTR, decrypt
// ignored for CTR; taken only while idle), in_* / out_* (128-bit blocks, FIPS
// byte order, the next block taken in the cycle the output is accepted),
// cycles_o (cycles of the last key expansion or block, handshake included).
module aes_wide_core (
  input  wire         clk,
  input  wire         rst_n,
  input  wire         key_valid_i,
  output wire         key_ready_o,
  input  wire [255:0] key_i,
  input  wire [1:0]   key_len_i,
  input  wire         cfg_valid_i,
  output wire         cfg_ready_o,
  input  wire [1:0]   cfg_mode_i,
  input  wire         cfg_dec_i,
  input  wire [127:0] cfg_iv_i,
  input  wire         in_valid_i,
  output wire         in_ready_o,
  input  wire [127:0] in_data_i,
  output wire         out_valid_o,
  input  wire         out_ready_i,
  output wire [127:0] out_data_o,
  output wire [31:0]  cycles_o
);
  // state: one-hot (bit indices)
  localparam integer S_IDLE = 0, S_KEYLD = 1, S_KEYX = 2, S_KEYW = 3, S_LOAD = 4, S_RUN = 5,
                     S_OUT = 6;
  localparam [1:0] MODE_CBC = 2'd1, MODE_CTR = 2'd2;   // 0: ECB

  reg  [6:0]   st_q;
  reg  [3:0]   nr_q;        // rounds: 10 / 12 / 14
  reg  [3:0]   nk_q;        // key words: 4 / 6 / 8
  reg  [5:0]   kend_q;      // 4*(Nr+1) - 1: last round-key word
  // chaining mode, one-hot flip-flops
  reg          ctr_q, cbce_q, cbcd_q;
  reg          dec_q;       // decrypt datapath (CBC / ECB decryption)
  reg  [127:0] iv_q;        // CBC chaining value or CTR counter block
  reg  [127:0] xo_q;        // the input block (CTR: output mask; CBC-dec: next IV)
  reg  [127:0] out_q;
  reg          rdy_idle_q, rdy_out_q;
  reg  [3:0]   r_q;         // round (1..Nr)
  reg          rpre_q;      // r_q == Nr - 1 (the last round's key is fetched)
  reg          rlast_q;     // r_q == Nr
  reg  [3:0]   ra_q;        // round-key RAM read address while running
  reg          gate_q;      // datapath addresses = rkl_q alone (not running)
  reg  [127:0] rkl_q;       // the datapath's key input (see aes_wide_round)
  reg  [127:0] white_q;     // whitening key of the current direction
  reg  [127:0] ewhite_q, dwhite_q;  // rk[0], rk[Nr]
  // key expansion
  reg  [255:0] win_q;       // the last 8 words, w[i-1] in [31:0]
  reg  [5:0]   ki_q;        // word index i
  reg  [2:0]   km_q;        // i mod Nk
  reg          k_rot, k_sub;  // i mod Nk == 0 / SubWord only (Nk = 8, i mod 8 == 4)
  reg  [1:0]   kph_q;       // SubWord: 0 lookup issued, 1 S-box output registered, 2 word computed
  reg  [31:0]  sub_q;
  reg  [7:0]   rcon_q;
  reg          kw_q;        // second drain cycle
  // round-key write pipeline: stage 1 writes the encryption set, stage 2
  // the decryption set (through InvMixColumns)
  reg          we1_q, we2_q;
  reg  [5:0]   wi1_q;       // word index
  reg  [31:0]  wd1_q, wd2_q;
  reg          wj0_q, wjn_q;  // stage 1 holds a word of rk[0] / rk[Nr]
  reg  [3:0]   wa2_q;       // Nr - round
  reg  [1:0]   wc2_q;       // column
  reg  [7:0]   cyc_q;       // cycles_o (at most 89)

  // ---- GF(2^8) -----------------------------------------------------------------
  wire [31:0] wd1_imc;  // InvMixColumns of the round-key word in wd1_q
  aes_mix #(.INV(1)) u_wd1_imc (.col_i(wd1_q), .col_o(wd1_imc));

  // ---- datapath -----------------------------------------------------------------
  wire [127:0] fin;
  wire [31:0]  sub;
  aes_wide_round u_round (
    .clk(clk), .inv_i(dec_q), .gate_i(gate_q), .key_i(rkl_q),
    .fin_o(fin), .sub_o(sub));

  // ---- round-key RAMs -------------------------------------------------------------
  // column c of round key j: encryption set RAM c, address j; decryption set
  // RAM c, address Nr - j. Read address: 1 while idle (so that rk[1] is read
  // in the handshake cycle, whenever it comes), 2 in the load cycle, r + 2 in
  // round r; rkl_q takes the data a cycle later.
  wire [3:0]   raddr = st_q[S_LOAD] ? 4'd2 : st_q[S_RUN] ? ra_q : 4'd1;
  wire [127:0] erd, drd;
  wire [3:0]   we1_oh = we1_q ? 4'b0001 << wi1_q[1:0] : 4'b0000;
  wire [3:0]   we2_oh = we2_q ? 4'b0001 << wc2_q : 4'b0000;
  genvar g;
  generate
    for (g = 0; g < 4; g = g + 1) begin : g_rk
      fhsm_ram #(.AW(4), .DW(32)) u_erk (
        .clk(clk), .we_i(we1_oh[g]), .waddr_i(wi1_q[5:2]), .wdata_i(wd1_q),
        .re_i(1'b1), .raddr_i(raddr), .rdata_o(erd[127 - 32*g -: 32]));
      // whitening keys: rk[0] (encrypt), rk[Nr] (decrypt)
      always @(posedge clk) begin
        if (we1_oh[g] && wj0_q) ewhite_q[127 - 32*g -: 32] <= wd1_q;
        if (we1_oh[g] && wjn_q) dwhite_q[127 - 32*g -: 32] <= wd1_q;
      end
      fhsm_ram #(.AW(4), .DW(32)) u_drk (
        .clk(clk), .we_i(we2_oh[g]), .waddr_i(wa2_q), .wdata_i(wd2_q),
        .re_i(1'b1), .raddr_i(raddr), .rdata_o(drd[127 - 32*g -: 32]));
    end
  endgenerate
  wire [127:0] rd = dec_q ? drd : erd;

  // ---- key expansion ----------------------------------------------------------------
  wire [31:0] key_word = key_i[255 - 32*ki_q[2:0] -: 32];
  wire [31:0] k_temp   = k_rot ? ({sub_q[23:0], sub_q[31:24]} ^ {rcon_q, 24'd0}) : (k_sub ? sub_q : win_q[31:0]);
  wire [31:0] k_old    = nk_q[3] ? win_q[255:224] : nk_q[1] ? win_q[191:160] : win_q[127:96];  // w[i-Nk]
  wire [31:0] k_new    = k_old ^ k_temp;
  // a word is computed in 1 cycle, or 3 if it needs SubWord (i mod Nk == 0,
  // and i mod 8 == 4 for Nk = 8): that depends on the key size only
  wire        kshift   = st_q[S_KEYLD] || (st_q[S_KEYX] && (kph_q == 2'd2 || !(k_rot || k_sub)));
  wire [31:0] kword    = st_q[S_KEYLD] ? key_word : k_new;
  wire [2:0]  km_next  = (km_q == nk_q[2:0] - 3'd1) ? 3'd0 : km_q + 3'd1;

  // ---- control ----------------------------------------------------------------------
  (* keep *) wire in_fire;
  assign in_fire = in_valid_i && !key_valid_i && !cfg_valid_i && (rdy_idle_q || (rdy_out_q && out_ready_i));
  wire cfg_fire = cfg_valid_i && st_q[S_IDLE];
  wire key_go   = st_q[S_IDLE] && key_valid_i;
  wire key_last = st_q[S_KEYLD] && (ki_q[2:0] == nk_q[2:0] - 3'd1);
  wire kx_end   = st_q[S_KEYX] && kshift && (ki_q == kend_q);

  wire [6:0] st_nx;
  assign st_nx[S_IDLE]  = (((st_q[S_IDLE] && !key_go) || (st_q[S_OUT] && out_ready_i)) && !in_fire) ||
                          (st_q[S_KEYW] && kw_q);
  assign st_nx[S_KEYLD] = key_go || (st_q[S_KEYLD] && !key_last);
  assign st_nx[S_KEYX]  = key_last || (st_q[S_KEYX] && !kx_end);
  assign st_nx[S_KEYW]  = kx_end || (st_q[S_KEYW] && !kw_q);
  assign st_nx[S_LOAD]  = in_fire;
  assign st_nx[S_RUN]   = st_q[S_LOAD] || (st_q[S_RUN] && !rlast_q);
  assign st_nx[S_OUT]   = (st_q[S_RUN] && rlast_q) || (st_q[S_OUT] && !out_ready_i);

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q    <= 7'd1 << S_IDLE;
      nr_q    <= 4'd10;
      nk_q    <= 4'd4;
      kend_q  <= 6'd43;
      ctr_q   <= 1'b0;
      cbce_q  <= 1'b0;
      cbcd_q  <= 1'b0;
      dec_q   <= 1'b0;
      r_q     <= 4'd1;
      rpre_q  <= 1'b0;
      rlast_q <= 1'b0;
      ra_q    <= 4'd3;
      gate_q  <= 1'b1;
      ki_q    <= 6'd0;
      km_q    <= 3'd0;
      k_rot   <= 1'b1;
      k_sub   <= 1'b1;
      kph_q   <= 2'd0;
      rcon_q  <= 8'h01;
      kw_q    <= 1'b0;
      we1_q   <= 1'b0;
      we2_q   <= 1'b0;
      rdy_idle_q <= 1'b0;
      rdy_out_q  <= 1'b0;
      cyc_q   <= 8'd0;
    end else begin
      st_q <= st_nx;
      if (cfg_fire) begin
        ctr_q  <= (cfg_mode_i == MODE_CTR);
        cbce_q <= (cfg_mode_i == MODE_CBC) && !cfg_dec_i;
        cbcd_q <= (cfg_mode_i == MODE_CBC) && cfg_dec_i;
        dec_q  <= cfg_dec_i && (cfg_mode_i != MODE_CTR);
      end
      if (key_go) begin
        nk_q   <= (key_len_i == 2'd2) ? 4'd8 : (key_len_i == 2'd1) ? 4'd6 : 4'd4;
        nr_q   <= (key_len_i == 2'd2) ? 4'd14 : (key_len_i == 2'd1) ? 4'd12 : 4'd10;
        kend_q <= (key_len_i == 2'd2) ? 6'd59 : (key_len_i == 2'd1) ? 6'd51 : 6'd43;
        ki_q   <= 6'd0;
      end
      // key expansion: the word index advances with every word shifted in
      if (kshift) ki_q <= ki_q + 6'd1;
      if (key_last) begin
        km_q   <= 3'd0;
        k_rot  <= 1'b1;
        k_sub  <= 1'b1;
        kph_q  <= 2'd0;
        rcon_q <= 8'h01;
      end
      if (st_q[S_KEYX]) begin
        kph_q <= kshift ? 2'd0 : kph_q + 2'd1;
        if (kshift) begin
          km_q  <= km_next;
          k_rot <= (km_next == 3'd0);
          k_sub <= (km_next == 3'd0) || (nk_q[3] && km_next == 3'd4);
          if (k_rot) rcon_q <= {rcon_q[6:0], 1'b0} ^ (rcon_q[7] ? 8'h1b : 8'h00);  // x * rcon
        end
      end
      kw_q  <= st_q[S_KEYW] && !kw_q;
      we1_q <= kshift;
      we2_q <= we1_q;
      // rounds
      if (st_q[S_LOAD]) begin
        r_q     <= 4'd1;
        rpre_q  <= 1'b0;
        rlast_q <= 1'b0;
      end else if (st_q[S_RUN]) begin
        r_q     <= r_q + 4'd1;
        rpre_q  <= (r_q + 4'd2 == nr_q);
        rlast_q <= rpre_q;
      end
      ra_q   <= st_q[S_LOAD] ? 4'd3 : ra_q + 4'd1;
      gate_q <= !st_nx[S_RUN];
      // in_ready_o's state terms, registered: no block in the cycle after
      // cfg or a key expansion (the whitening key register follows dec_q
      // and the RAMs a cycle later)
      rdy_idle_q <= (st_q[S_IDLE] && !key_go && !in_fire && !cfg_fire) ||
                    (st_q[S_OUT] && out_ready_i && !in_fire);
      rdy_out_q  <= (st_q[S_RUN] && rlast_q) || (st_q[S_OUT] && !out_ready_i);
      // cycles_o: 1 in the handshake cycle, then +1 per cycle until IDLE / OUT
      if (key_go || in_fire)                  cyc_q <= 8'd1;
      else if (!st_q[S_IDLE] && !st_q[S_OUT]) cyc_q <= cyc_q + 8'd1;
    end
  end

  // ---- data registers (no reset: written before they are read) -----------------
  // block input, chained and whitened (taken by rkl_q in every idle / output
  // cycle; used in the load cycle after a handshake)
  wire [127:0] x_in  = ctr_q ? iv_q : cbce_q ? (in_data_i ^ iv_q) : in_data_i;
  wire [127:0] mask  = ctr_q ? xo_q : cbcd_q ? iv_q : 128'd0;
  always @(posedge clk) begin
    if (kshift) win_q <= {win_q[223:0], kword};
    sub_q <= sub;
    // round-key writes: stage 1 (encryption set, whitening keys), stage 2
    // (decryption set at Nr - j, InvMixColumns except for j = 0 and j = Nr)
    wi1_q <= ki_q;
    wd1_q <= kword;
    wa2_q <= nr_q - wi1_q[5:2];
    wc2_q <= wi1_q[1:0];
    wj0_q <= (ki_q[5:2] == 4'd0);
    wjn_q <= (ki_q[5:2] == nr_q);
    wd2_q <= (wj0_q || wjn_q) ? wd1_q : wd1_imc;
    white_q <= dec_q ? dwhite_q : ewhite_q;
    // datapath key: the whitened block while idle / holding an output, the
    // round keys while running (the last one unshifted, with the output
    // mask), the newest key word (column 0) in key expansion
    if (st_q[S_IDLE] || st_q[S_OUT])       rkl_q <= x_in ^ white_q;
    else if (st_q[S_LOAD] || st_q[S_RUN])  rkl_q <= rpre_q ? (rd ^ mask) : rd;
    else if (kshift)                        rkl_q[127:96] <= kword;
    if (in_fire) xo_q <= in_data_i;
    // chaining: CTR increments in the load cycle, CBC takes the ciphertext
    // (encrypt: the output; decrypt: this block's input) in the last round
    if (cfg_fire)                              iv_q <= cfg_iv_i;
    else if (st_q[S_LOAD] && ctr_q)            iv_q <= iv_q + 128'd1;
    else if (st_q[S_RUN] && rlast_q && cbce_q) iv_q <= fin;
    else if (st_q[S_RUN] && rlast_q && cbcd_q) iv_q <= xo_q;
    if (st_q[S_RUN] && rlast_q) out_q <= fin;
  end

  assign key_ready_o = key_last;
  assign cfg_ready_o = st_q[S_IDLE];
  // priority key > cfg > data, so a block never sees a half-applied change
  assign in_ready_o  = (rdy_idle_q || (rdy_out_q && out_ready_i)) && !key_valid_i && !cfg_valid_i;
  assign out_valid_o = st_q[S_OUT];
  assign out_data_o  = out_q;
  assign cycles_o    = {24'd0, cyc_q};
endmodule
