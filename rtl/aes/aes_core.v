`default_nettype none
// AES core (FIPS-197): encrypt and decrypt, 128/192/256-bit keys, key
// expansion on the core, ECB / CBC / CTR chaining inside the core
// (SP 800-38A), so a bulk stream needs no host round trip per block.
//
// Architecture: 32-bit (one column per cycle) iterative datapath.
//   * 4 round-table ROMs (T-boxes: S-box and MixColumns in one 512x32 block
//     RAM, forward and inverse), shared by the rounds and the key expansion;
//     a column is 4 lookups XORed with the round key.
//   * Round keys expanded once per key into four 32x32 block RAMs, one per
//     column, so a whole round key can be read in one cycle: the rounds read
//     one word per cycle, one cycle ahead into a register, and the first
//     AddRoundKey (whitening) reads all four words at once, so it needs no
//     128-bit key registers. The upper half of the RAMs holds InvMixColumns
//     of every round key, written by a pass after the expansion, for the
//     middle rounds of the equivalent inverse cipher (decryption).
//   * The block is captured in xo_q in the handshake cycle and whitened into
//     the state in the next (load) cycle, so the handshake (in_fire, a late
//     signal from the ports) drives only xo_q's enable and the state.
//   * Chaining without 128-bit muxes or adders: iv_q and xo_q rotate left by
//     one column per cycle during the last round. CTR: one 32-bit
//     incrementer (four 8-bit carry chains, carries from all-ones flags
//     computed before) rewrites the counter a column per cycle; CBC-enc:
//     the ciphertext columns enter iv_q as they are computed; CBC-dec: the
//     block's input enters iv_q. The output mask (CTR: input block, CBC-dec:
//     IV) is XORed into the last round's key words as they are fetched, so
//     the state register is the output (no 128-bit output XOR).
//   * Column j of round r+1 needs one byte of column 3 of round r: that byte
//     is forwarded from the column result, so a round takes exactly 4 cycles.
//     The T-box addresses are AND-OR selects from one-hot flip-flops, and
//     the forwarded byte is the last select (T-box -> XOR -> select -> T-box).
//   * InvMixColumns = MixColumns o P (P: a0^=4(a0^a2), a1^=4(a1^a3), ...) is
//     used only on round keys (equivalent inverse cipher).
//   * Control: one-hot state; the round-key RAM read index is one register
//     prepared a cycle ahead for every state.
//
// Cycles (fixed; no data-dependent timing anywhere):
//   block: 4*Nr + 3 from in handshake to out_valid_o (handshake, load,
//          4*Nr rounds, last column), and a stream with out_ready_i held
//          high takes a new block every 4*Nr + 3 cycles:
//          43 (AES-128), 51 (AES-192), 59 (AES-256).
//   key:   Nk + 2*(4*Nr + 4 - Nk) + 1 + 4*(Nr+1) + 2: 131 / 153 / 175 cycles.
//
// Interface (all valid/ready; data bytes in FIPS order, first byte on top):
//   key_*:  key_i[255:0] (AES-128 uses [255:128], AES-192 [255:64]),
//           key_len_i 0/1/2 = 128/192/256 bits. key_ready_o rises in the
//           last cycle that reads key_i (the source holds it until then).
//   cfg_*:  cfg_mode_i 0 = ECB, 1 = CBC, 2 = CTR; cfg_dec_i = decrypt (ignored
//           for CTR); cfg_iv_i = IV (CBC) or initial counter block (CTR,
//           incremented as a 128-bit big-endian integer). Taken only
//           while idle (after the last output was accepted).
//   in/out: one 128-bit block each way; out_data_o is valid while
//           out_valid_o, and the next block is taken in the same cycle the
//           output is accepted.
//   cycles_o: cycles of the last key expansion or block, handshake included.
module aes_core (
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
  localparam integer S_IDLE = 0, S_KEYLD = 1, S_KEYX = 2, S_RUN = 3, S_LAST = 4, S_OUT = 5, S_KEYT = 6,
                     S_LOAD = 7;
  localparam [1:0] MODE_CBC = 2'd1, MODE_CTR = 2'd2;   // 0: ECB

  reg  [7:0]   st_q;
  reg  [3:0]   nr_q;        // rounds: 10 / 12 / 14
  reg  [2:0]   nrh1_q;      // Nr/2 - 1
  reg  [3:0]   nk_q;        // key words: 4 / 6 / 8
  reg  [2:0]   nkm1_q;      // Nk - 1 (index of the last key word)
  // chaining mode, one-hot flip-flops (they gate wide enables)
  reg          ctr_q;       // CTR
  reg          cbce_q;      // CBC encrypt
  reg          cbcd_q;      // CBC decrypt
  reg  [127:0] iv_q;        // CBC chaining value or CTR counter block
  reg  [127:0] xo_q;        // the input block (CTR: output mask; CBC-dec: next IV)
  reg  [3:0]   cin_q;       // CTR increment: carry into the head column, steps 0..3
  // block input accepted (in_ready_o) in IDLE / in OUT with out_ready_i, as
  // far as the state goes: the RAMs present the whitening key this cycle
  reg          rdy_idle_q, rdy_out_q;
  reg  [127:0] cur_q;       // state at the start of the round
  reg  [95:0]  nxt_q;       // columns 0..2 of the round being computed
  reg  [3:0]   r_q;         // round being issued (1..Nr)
  reg          rlast_q;     // r_q == Nr
  reg  [1:0]   j_q;         // column being issued
  reg          pv_q;        // a column result is due this cycle
  reg          pvl_q;       // a last-round result was computed in the last cycle
  reg  [1:0]   pj_q;        // ... for this column
  reg          plast_q;     // ... in the last round (no MixColumns)
  reg          fwd_q;       // ... and it is column 3 (forwarded to the next issue)
  reg  [5:0]   ki_q;        // key expansion: word index
  reg  [2:0]   km_q;        // ... index mod Nk
  reg          ksub_q;      // ... 0: issue reads, 1: compute/write
  reg  [31:0]  kw_q;        // ... last word written (w[i-1])
  reg  [7:0]   rcon_q;
  reg  [7:0]   cyc_q;       // cycles_o (at most 175: 8 bits)

  // decrypt datapath (CBC/ECB decryption; CTR always encrypts): a flip-flop,
  // since it selects the datapath on the critical path
  reg  dec_eff;

  function [7:0] byte_of;  // row i of column c of a 128-bit state
    input [127:0] s;
    input [1:0]   c;
    input [1:0]   i;
    begin
      byte_of = s[127 - 32*c - 8*i -: 8];
    end
  endfunction

  function [7:0] xor_bytes;
    input [31:0] w;
    begin
      xor_bytes = w[31:24] ^ w[23:16] ^ w[15:8] ^ w[7:0];
    end
  endfunction

  // ---- round tables and round-key RAM --------------------------------------------
  // Lane i looks up row i of the column being issued in a 512x32 table ROM:
  // T[x] = {02,01,01,03}*S[x] (encrypt) or {0e,09,0d,0b}*InvS[x] (decrypt),
  // i.e. that byte's whole (Inv)MixColumns contribution, rotated by i bytes.
  // S[x] is byte 1 of T[x]; InvS[x] is the XOR of T[x]'s bytes
  // (0e^09^0d^0b = 01), for the last round and the key expansion.
  reg  [8:0]  sb_addr [0:3];
  wire [31:0] tb_data [0:3];
  genvar g;
  generate
    for (g = 0; g < 4; g = g + 1) begin : g_tbox
      aes_tbox_rom u_tbox (.clk(clk), .addr_i(sb_addr[g]), .data_o(tb_data[g]));
    end
  endgenerate
  wire [31:0] t0 = tb_data[0];
  wire [31:0] t1 = {tb_data[1][7:0], tb_data[1][31:8]};
  wire [31:0] t2 = {tb_data[2][15:0], tb_data[2][31:16]};
  wire [31:0] t3 = {tb_data[3][23:0], tb_data[3][31:24]};
  wire [31:0] sb_word   = {tb_data[0][23:16], tb_data[1][23:16], tb_data[2][23:16], tb_data[3][23:16]};
  wire [31:0] isb_word  = {xor_bytes(tb_data[0]), xor_bytes(tb_data[1]),
                           xor_bytes(tb_data[2]), xor_bytes(tb_data[3])};

  // round-key word i lives in RAM (i mod 4) at address i / 4
  reg         rk_we;
  reg  [5:0]  rk_waddr;
  wire [3:0]  rk_raddr;
  reg  [1:0]  rk_rsel;      // word of the round key used next cycle
  reg  [1:0]  rk_rsel_q;
  wire        rk_mix;
  // RAM read index {address, word} and half (InvMixColumns copy) for every
  // state, prepared a cycle ahead in flip-flops: running, the (round key,
  // column) fetched; key expansion, w[i-Nk]; InvMixColumns pass, the word
  // copied; otherwise the whitening key. The load cycle (a flip-flop)
  // selects the first round's key.
  reg  [5:0]  ra_q;
  reg         rmix_q;
  reg         rk_wcopy;     // write the InvMixColumns copy (upper half of the RAMs)
  reg  [5:0]  ti_q, t1_q, t2_q;  // InvMixColumns pass: read index, pipeline
  reg         t1v_q, t2v_q;
  reg  [31:0] kt_q;
  wire [31:0] kt_imc;  // InvMixColumns of kt_q (aes_mix)
  aes_mix #(.INV(1)) u_kt_imc (.col_i(kt_q), .col_o(kt_imc));
  // round-key RAM writes go through a register stage (off the control decode
  // path); no word is read back within 2 cycles of being written
  reg  [3:0]  rkw_en_q;
  reg  [4:0]  rkw_addr_q;
  reg  [31:0] rkw_data_q;
  reg  [31:0] rk_q;         // round key word of the column computed next cycle
  reg  [31:0] rk_wdata;
  wire [127:0] rk_round;    // the four words of the round key read
  generate
    for (g = 0; g < 4; g = g + 1) begin : g_rk
      fhsm_ram #(.AW(5), .DW(32)) u_rk (
        .clk(clk), .we_i(rkw_en_q[g]), .waddr_i(rkw_addr_q),
        .wdata_i(rkw_data_q), .re_i(1'b1), .raddr_i({rk_mix, rk_raddr}),
        .rdata_o(rk_round[127 - 32*g -: 32]));
    end
  endgenerate
  wire [31:0] rk_rdata = rk_round[127 - 32*rk_rsel_q -: 32];

  // ---- column result (the cycle after a column was issued) ---------------------
  // Decryption uses the equivalent inverse cipher (FIPS-197 5.3.5): round keys
  // of the middle rounds go through InvMixColumns (in the stage that fetches
  // them, off the critical path), so both directions compute
  // MixColumns'(SubBytes'(column)) ^ round key = T0 ^ T1 ^ T2 ^ T3 ^ key.
  wire [31:0] col_mid = t0 ^ t1 ^ t2 ^ t3 ^ rk_q;       // a middle round's column
  wire [31:0] col_res = plast_q ? ((dec_eff ? isb_word : sb_word) ^ rk_q) : col_mid;
  wire [127:0] new_state = {nxt_q, col_res};
  // Round r+1 column 0 is issued while column 3 of round r is computed: its
  // bytes come from the new state (encrypt: row i of column i, decrypt: row i
  // of column -i), only the one byte of column 3 from the column result.
  // A forwarded column is never from the last round, so it is col_mid (no
  // last-round mux on this path); the select comes from a flip-flop.
  // The lane that takes it (lane 3 encrypting, lane 1 decrypting) selects it
  // last, with a select from a flip-flop: T-box -> XOR -> select -> T-box.
  wire        fwd     = fwd_q;
  wire [31:0] fwd_nxt = {nxt_q[95:88], nxt_q[55:48], nxt_q[15:8], nxt_q[39:32]};
  reg         fwd1_q, fwd3_q;     // fwd_q and decrypt / encrypt
  reg  [15:0] csel_q;             // lane i, bits 4i+3..4i: one-hot column of cur_q (4i+3: column 0)
  reg         kx_q;               // key expansion (st_q[S_KEYX])

  // ---- chaining (see the iv_q / xo_q registers below) -----------------------
  wire        xrot     = st_q[S_RUN] && rlast_q;   // last round's issue cycles
  wire        ivrot    = cbce_q ? pvl_q : xrot;
  wire [31:0] mask_col = cbcd_q ? iv_q[127:96] : ctr_q ? xo_q[127:96] : 32'd0;
  // (four 8-bit carry chains: "the low 1, 2, 3 bytes of the head column are
  // all ones" are flip-flops, set from the next head column)
  reg  [2:0]  ones_q;
  wire [3:0]  bcin = {cin_q[3] & ones_q[2], cin_q[3] & ones_q[1], cin_q[3] & ones_q[0], cin_q[3]};
  wire [31:0] iv_inc;
  genvar b;
  generate
    for (b = 0; b < 4; b = b + 1) begin : g_inc
      assign iv_inc[8*b +: 8] = iv_q[96 + 8*b +: 8] + {7'd0, bcin[b]};
    end
  endgenerate
  wire [31:0] iv_tail  = ctr_q ? iv_inc : cbce_q ? nxt_q[31:0] : xo_q[127:96];

  // ---- key expansion word ------------------------------------------------------
  // i mod Nk == 0 (RotWord+SubWord+Rcon) / SubWord only: flip-flops, set
  // when km_q advances (they gate the key word's 3-way mux)
  reg         k_rot, k_sub;
  wire [2:0]  km_next = (km_q == nk_q[2:0] - 3'd1) ? 3'd0 : km_q + 3'd1;
  wire [31:0] k_temp  = k_rot ? (sb_word ^ {rcon_q, 24'd0}) : (k_sub ? sb_word : kw_q);
  wire [31:0] k_new   = rk_rdata ^ k_temp;
  // 4*(Nr+1) = 44 / 52 / 60 round-key words: last index, and the end of
  // the InvMixColumns pass (flip-flops, set with Nr)
  reg  [5:0]  ktm1_q, ktp1_q;
  wire [31:0] key_word = key_i[255 - 32*ki_q[2:0] -: 32];

  // block handshake (kept as one LUT output: it drives xo_q's enable and
  // the state only)
  (* keep *) wire in_fire;
  assign in_fire = in_valid_i && !key_valid_i && !cfg_valid_i && (rdy_idle_q || (rdy_out_q && out_ready_i));
  // Round key fetch, one cycle ahead of the issue that uses it: while running,
  // for the next (round, column); in the load cycle, for round 1 column 0.
  // Nr is even: the whitening key of decryption is {Nr[3:1], 0} and the
  // first round's {Nr[3:1] - 1, 1} (nrh1_q = Nr[3:1] - 1, set with Nr)
  wire [2:0] white_hi   = dec_eff ? nr_q[3:1] : 3'd0;
  // (first_addr from a flip-flop: the load cycle is 2 cycles after cfg at the earliest)
  reg  [2:0] fa_q;
  always @(posedge clk) fa_q <= dec_eff ? nrh1_q : 3'd0;
  wire [3:0] first_addr = {fa_q, 1'b1};
  assign rk_raddr = st_q[S_LOAD] ? first_addr : ra_q[5:2];
  assign rk_mix   = st_q[S_LOAD] ? dec_eff : rmix_q;
  wire key_go   = st_q[S_IDLE] && key_valid_i;
  wire key_last = st_q[S_KEYLD] && (ki_q[2:0] == nkm1_q);

  // block input, after chaining and whitening
  wire [127:0] x_in = ctr_q ? iv_q : cbce_q ? (xo_q ^ iv_q) : xo_q;

  integer i;
  always @(*) begin
    // S-box addresses: rounds gather the ShiftRows bytes, key expansion the
    // (rotated) last key word. Defaults keep the ROMs quiet.
    // Every source is gated by a one-hot select from a flip-flop (an AND-OR,
    // two LUT levels): the state's bytes (csel_q: column j+i / j-i), the new
    // state's (forwarding), the key word's (key expansion, rotated or not).
    for (i = 0; i < 4; i = i + 1) begin
      sb_addr[i] = {dec_eff && !kx_q,
                    ({8{csel_q[4*i+3]}} & byte_of(cur_q, 2'd0, i[1:0])) |
                    ({8{csel_q[4*i+2]}} & byte_of(cur_q, 2'd1, i[1:0])) |
                    ({8{csel_q[4*i+1]}} & byte_of(cur_q, 2'd2, i[1:0])) |
                    ({8{csel_q[4*i+0]}} & byte_of(cur_q, 2'd3, i[1:0])) |
                    ({8{fwd}} & fwd_nxt[31 - 8*i -: 8]) |
                    ({8{kx_q}} & kw_q[31 - 8*((i + (k_rot ? 1 : 0)) % 4) -: 8])};
    end
    if (fwd1_q) sb_addr[1][7:0] = col_mid[23:16];
    if (fwd3_q) sb_addr[3][7:0] = col_mid[7:0];
    rk_we    = 1'b0;
    rk_wcopy = 1'b0;
    rk_waddr = ki_q;
    rk_wdata = k_new;
    rk_rsel  = ra_q[1:0];                   // 0 when in_fire is possible
    if (st_q[S_KEYLD]) begin
      rk_we    = 1'b1;
      rk_wdata = key_word;
    end else if (st_q[S_KEYT]) begin
      // second copy of the round keys, through InvMixColumns (read, register,
      // transform into the write port: one word per cycle)
      rk_we    = t2v_q;
      rk_wcopy = 1'b1;
      rk_waddr = t2_q;
      rk_wdata = kt_imc;
    end else if (st_q[S_KEYX]) begin
      rk_we    = ksub_q;
    end
  end

  // next state (one-hot); a block taken (in_fire, only in IDLE / OUT) goes
  // to RUN
  wire       kx_end  = ksub_q && (ki_q == ktm1_q);
  wire       kt_end  = (ti_q == ktp1_q);
  wire       run_end = (j_q == 2'd3) && rlast_q;
  wire [7:0] st_nx;
  assign st_nx[S_IDLE]  = (((st_q[S_IDLE] && !key_go) || (st_q[S_OUT] && out_ready_i)) && !in_fire) ||
                          (st_q[S_KEYT] && kt_end);
  assign st_nx[S_KEYLD] = (st_q[S_IDLE] && key_go) || (st_q[S_KEYLD] && !key_last);
  assign st_nx[S_KEYX]  = (st_q[S_KEYLD] && key_last) || (st_q[S_KEYX] && !kx_end);
  assign st_nx[S_KEYT]  = (st_q[S_KEYX] && kx_end) || (st_q[S_KEYT] && !kt_end);
  assign st_nx[S_LOAD]  = in_fire;
  assign st_nx[S_RUN]   = st_q[S_LOAD] || (st_q[S_RUN] && !run_end);
  assign st_nx[S_LAST]  = st_q[S_RUN] && run_end;
  assign st_nx[S_OUT]   = st_q[S_LAST] || (st_q[S_OUT] && !out_ready_i);

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q    <= 8'd1 << S_IDLE;
      nr_q    <= 4'd10;
      nrh1_q  <= 3'd4;
      ktm1_q  <= 6'd43;
      ktp1_q  <= 6'd45;
      nk_q    <= 4'd4;
      nkm1_q  <= 3'd3;
      ctr_q   <= 1'b0;
      cbce_q  <= 1'b0;
      cbcd_q  <= 1'b0;
      dec_eff <= 1'b0;
      r_q     <= 4'd1;
      rlast_q <= 1'b0;
      j_q     <= 2'd0;
      pv_q    <= 1'b0;
      pvl_q   <= 1'b0;
      pj_q    <= 2'd0;
      plast_q <= 1'b0;
      fwd_q   <= 1'b0;
      kx_q    <= 1'b0;
      csel_q  <= 16'd0;
      fwd1_q  <= 1'b0;
      fwd3_q  <= 1'b0;
      ki_q    <= 6'd0;
      km_q    <= 3'd0;
      k_rot   <= 1'b1;
      k_sub   <= 1'b1;
      ksub_q  <= 1'b0;
      rcon_q  <= 8'h01;
      rdy_idle_q <= 1'b0;
      rdy_out_q  <= 1'b0;
    end else begin
      if (st_q[S_IDLE] || st_q[S_OUT]) begin
          if (cfg_valid_i && cfg_ready_o) begin
            ctr_q   <= (cfg_mode_i == MODE_CTR);
            cbce_q  <= (cfg_mode_i == MODE_CBC) && !cfg_dec_i;
            cbcd_q  <= (cfg_mode_i == MODE_CBC) && cfg_dec_i;
            dec_eff <= cfg_dec_i && (cfg_mode_i != MODE_CTR);
          end
          if (key_go) begin
            nk_q  <= (key_len_i == 2'd2) ? 4'd8 : (key_len_i == 2'd1) ? 4'd6 : 4'd4;
            nkm1_q <= (key_len_i == 2'd2) ? 3'd7 : (key_len_i == 2'd1) ? 3'd5 : 3'd3;
            nr_q  <= (key_len_i == 2'd2) ? 4'd14 : (key_len_i == 2'd1) ? 4'd12 : 4'd10;
            nrh1_q <= (key_len_i == 2'd2) ? 3'd6 : (key_len_i == 2'd1) ? 3'd5 : 3'd4;
            ktm1_q <= (key_len_i == 2'd2) ? 6'd59 : (key_len_i == 2'd1) ? 6'd51 : 6'd43;
            ktp1_q <= (key_len_i == 2'd2) ? 6'd61 : (key_len_i == 2'd1) ? 6'd53 : 6'd45;
            ki_q  <= 6'd0;
          end
      end
      if (st_q[S_KEYLD]) begin
          ki_q  <= ki_q + 6'd1;
          if (key_last) begin
            km_q   <= 3'd0;
            k_rot  <= 1'b1;
            k_sub  <= 1'b1;
            ksub_q <= 1'b0;
            rcon_q <= 8'h01;
          end
      end
      if (st_q[S_KEYX]) begin
          ksub_q <= ~ksub_q;
          if (ksub_q) begin
            ki_q <= ki_q + 6'd1;
            km_q  <= km_next;
            k_rot <= (km_next == 3'd0);
            k_sub <= (km_next == 3'd0) || (nk_q == 4'd8 && km_next == 3'd4);
            if (k_rot) rcon_q <= {rcon_q[6:0], 1'b0} ^ (rcon_q[7] ? 8'h1b : 8'h00);  // x * rcon
            if (ki_q == ktm1_q) ti_q <= 6'd0;
          end
      end
      if (st_q[S_KEYT]) ti_q <= ti_q + 6'd1;
      // state, round and column
      st_q <= st_nx;
      if (st_q[S_LOAD]) begin
        r_q <= 4'd1;
        rlast_q <= 1'b0;
        j_q <= 2'd0;
      end else if (st_q[S_RUN]) begin
        j_q <= j_q + 2'd1;
        if (j_q == 2'd3) begin
          r_q     <= r_q + 4'd1;
          rlast_q <= (r_q + 4'd1 == nr_q);
        end
      end
      // issue pipeline
      pv_q    <= st_q[S_RUN];
      pvl_q   <= pv_q && plast_q;
      fwd_q   <= st_q[S_RUN] && (j_q == 2'd3);
      kx_q    <= st_nx[S_KEYX];
      for (i = 0; i < 4; i = i + 1)
        csel_q[4*i +: 4] <= st_q[S_LOAD] ? (4'b1000 >> (dec_eff ? (2'd0 - i[1:0]) : i[1:0])) :
                     (st_q[S_RUN] && (j_q != 2'd3)) ?
                       (4'b1000 >> (dec_eff ? (j_q + 2'd1 - i[1:0]) : (j_q + 2'd1 + i[1:0]))) : 4'b0000;
      fwd1_q  <= st_q[S_RUN] && (j_q == 2'd3) && dec_eff;
      fwd3_q  <= st_q[S_RUN] && (j_q == 2'd3) && !dec_eff;
      pj_q    <= j_q;
      plast_q <= rlast_q;
      // in_ready_o's state terms, registered (as before the load cycle
      // existed: no block in the cycle after cfg or a key expansion)
      rdy_idle_q <= (st_q[S_IDLE] && !key_go && !in_fire && !(cfg_valid_i && cfg_ready_o)) ||
                    (st_q[S_OUT] && out_ready_i && !in_fire);
      rdy_out_q  <= st_q[S_LAST] || (st_q[S_OUT] && !out_ready_i);
    end
  end

  // cycles_o: 1 in the handshake cycle, then +1 per cycle until IDLE / OUT
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n)                 cyc_q <= 8'd0;
    else if (key_go || in_fire) cyc_q <= 8'd1;
    else if (!st_q[S_IDLE] && !st_q[S_OUT]) cyc_q <= cyc_q + 8'd1;
  end

  // RAM read index for the next cycle (see ra_q)
  reg [5:0] ra_nx;
  reg       rmix_nx;
  always @(*) begin
    ra_nx   = {white_hi, 3'b000};
    rmix_nx = 1'b0;
    if (cfg_valid_i && cfg_ready_o) begin
      ra_nx = {(cfg_dec_i && cfg_mode_i != MODE_CTR) ? nr_q[3:1] : 3'd0, 3'b000};
    end else if (key_last) begin
      ra_nx = 6'd0;                                     // w[i-Nk] = w[0]
    end else if (st_q[S_KEYX]) begin
      // (+ksub_q rather than a hold: no clock-enable logic on ra_q)
      ra_nx = kx_end ? 6'd0 : ra_q + {5'd0, ksub_q};
    end else if (st_q[S_KEYT]) begin
      if (!kt_end) ra_nx = ra_q + 6'd1;
    end else if (st_q[S_RUN] && !run_end) begin
      ra_nx   = {ra_q[5:2], ra_q[1:0] + 2'd1};
      if (ra_q[1:0] == 2'd3) ra_nx[5:2] = dec_eff ? ra_q[5:2] - 4'd1 : ra_q[5:2] + 4'd1;
      // not the last round (decryption counts down to 0)
      rmix_nx = dec_eff && (ra_q[5:2] != ((ra_q[1:0] == 2'd3) ? 4'd1 : 4'd0));
    end
  end
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      ra_q   <= 6'd0;
      rmix_q <= 1'b0;
    end else begin
      ra_q   <= st_q[S_LOAD] ? {first_addr, 2'b01} : ra_nx;
      rmix_q <= st_q[S_LOAD] ? dec_eff : rmix_nx;
    end
  end

  // ---- data registers (no reset: written before they are read) ---------------
  always @(posedge clk) begin
    rk_rsel_q <= rk_rsel;
    rk_q      <= rk_rdata ^ (xrot ? mask_col : 32'd0);
    rkw_addr_q <= {rk_wcopy, rk_waddr[5:2]};
    rkw_data_q <= rk_wdata;
    t1_q      <= ti_q;
    t1v_q     <= st_q[S_KEYT] && (ti_q <= ktm1_q);
    t2_q      <= t1_q;
    t2v_q     <= t1v_q;
    kt_q      <= rk_rdata;
  end

  always @(posedge clk) begin
    if (key_last) kw_q <= key_word;
    if (st_q[S_KEYX] && ksub_q) kw_q <= k_new;
    if (st_q[S_LOAD]) cur_q <= x_in ^ rk_round;
    // nxt_q shifts the results in (columns 0..2 in place when column 3's
    // arrives; the newest column is nxt_q[31:0], for the CBC chaining value)
    if (pv_q) begin
      nxt_q <= {nxt_q[63:0], col_res};
      if (pj_q == 2'd3) cur_q <= new_state;
    end
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) rkw_en_q <= 4'b0000;
    else        rkw_en_q <= rk_we ? (4'b0001 << rk_waddr[1:0]) : 4'b0000;
  end

  // chaining value / counter: iv_q and xo_q rotate left by one column per
  // cycle during the last round (4 cycles), so their head column is the
  // column being computed; whatever enters at the tail is in place after the
  // 4th step. CTR: tail = head + carry (the carries into each column are
  // known before the first step: all-ones flags of the lower columns).
  // CBC-enc: tail = the ciphertext column just shifted into nxt_q[31:0]
  // (so CBC-enc rotates one cycle later, ending in the first OUT cycle,
  // before the next load cycle). CBC-dec: tail = xo_q's head (this block's input, the next IV).
  // The output mask (CTR: the input block; CBC-dec: the IV) is XORed into the
  // last round's key words as they are fetched, so out_data_o = cur_q.
  always @(posedge clk) begin
    if (cfg_valid_i && cfg_ready_o) iv_q <= cfg_iv_i;
    else if (ivrot)                 iv_q <= {iv_q[95:0], iv_tail};
    ones_q <= ivrot ? {&iv_q[87:64], &iv_q[79:64], &iv_q[71:64]}
                    : {&iv_q[119:96], &iv_q[111:96], &iv_q[103:96]};
    if (ivrot) cin_q <= {cin_q[2:0], 1'b0};
    else       cin_q <= {&iv_q[95:0], &iv_q[63:0], &iv_q[31:0], 1'b1};
    if (in_fire)   xo_q <= in_data_i;
    else if (xrot) xo_q <= {xo_q[95:0], xo_q[127:96]};
  end

  assign key_ready_o = key_last;
  assign cfg_ready_o = st_q[S_IDLE];
  // priority key > cfg > data, so a block never sees a half-applied change
  assign in_ready_o  = (rdy_idle_q || (rdy_out_q && out_ready_i)) && !key_valid_i && !cfg_valid_i;
  assign out_valid_o = st_q[S_OUT];
  assign out_data_o  = cur_q;
  assign cycles_o    = {24'd0, cyc_q};
endmodule
