`default_nettype none
// Montgomery modular exponentiation core: r = x^e mod n for odd n of up to
// MAXBITS bits, exponents of up to MAXBITS bits.
//
// Fixed 4-bit window, left to right. The table x^0 .. x^15 in Montgomery
// form is computed first (x^1 = x * R^2 / R, x^0 = R^2 * 1 / R = R mod n,
// x^i = x^(i-1) * x^1: 16 products). The exponent, zero-padded at the top to
// D = ceil(ebits/4) digits, is then scanned from the top digit: the
// accumulator starts as table[top digit] (no product), and every further
// digit costs 4 squarings and one multiply by table[digit], always, also for
// digit 0 (table[0] is the Montgomery one). Last, one product by 1 takes the
// result out of Montgomery form, and one constant-time final reduction.
//
// Constant time: the sequence of operations, and so the cycle count, depends
// only on the word count s and the exponent bit length ebits (both public).
// The secret digit only selects which table slot the multiply reads (a RAM
// address: the same cycles for every address); no conditional subtraction
// inside the Montgomery products (see below); the final reduction pass
// always runs over all words.
//   cycles = (W + 2) + (P - 1) * E + (MM + 2) + (s + 2)   (start to result)
//   P      = 17 + 5 * (D - 1) products for D = ceil(ebits/4) >= 1, 17 for ebits = 0
//   MM     = (s - 1) * max(s + 2, 8) + s + 7 cycles per Montgomery product,
//            s * (s + 2) + 5 for s >= 6 (+2 hand-over)
//   E      = (s + 1)^2 for s >= 7 (the next product starts in the last outer
//            iteration, while this one's pipeline drains), MM + 2 below.
// (tests/rtl/modexp_test.cpp checks the exact formula, see modexp_cycles()).
// 1024-bit exponent: 1,292 products (square-and-always-multiply: 2,051).
//
// Montgomery constants: n' = -n^-1 mod 2^W is computed on the core (W-step
// bit-serial Hensel lift, W+1 cycles). R^2 mod n (R = 2^(W*s)) is supplied
// by the host, which keeps keys and their precomputations anyway
// (DESIGN.md: keys live on the host; a per-key precomputation is cached).
//
// Word count: the host picks s with W*s >= nbits + 2, i.e. R > 4n. Then a
// Montgomery product of inputs < 2n is < 2n without a final subtraction
// (Walter 1999), so no data-dependent step is needed inside the loop; only
// the final result gets one constant-time reduction: it is a product by 1,
// (a + m*n) / R < n + 2n/R, so <= n, and the reduction is t == n ? 0 : t
// (a word-by-word comparison over all s words, no subtraction).
//
// Montgomery product: FIOS (finely integrated operand scanning), one outer
// iteration per word b_i of b, one inner step per word j (both products
// a_j*b_i and m*n_j in the same step, 2 multipliers): s + 2 cycles per outer
// iteration (the next m is computed in 2 cycles between two iterations' inner
// steps), so s*(s+2) + 5 per product. The step's sum is split over three
// pipeline stages (A: the products' high halves added, the low halves and t_j
// compressed 3:2; L: the low sum; B: the carry recurrence, a (W+3)-bit add),
// so no product feeds the carry loop directly. A product may write its result over
// its a and b operands (squarings and multiplies run in place).
//
// Interface:
//   wr_*:    load operands while idle, one W-bit word per handshake, least
//            significant word at address 0. wr_sel_i: 0 = n, 1 = x (base,
//            < n), 2 = R^2 mod n, 3 = e. All s words of n, x, R^2 and
//            ceil(ebits/W) words of e must be written (high words zero;
//            exponent bits at and above ebits are ignored).
//   start_*: nwords = s, ebits = bit length of e (0 gives x^0 = 1).
//   res_*:   the s result words, least significant first; res_last_o on the
//            last one. cycles_o: cycles from start to the first result word.
// Storage: one RAM of 17 slots x 2^AW words (table x^0..x^15, where x^0 and
// x^1 are first loaded with R^2 and x, and the accumulator), n, e and the
// product accumulator t in one RAM each: 20 x 2^AW x W bits.
module modexp_core #(
  parameter integer MAXBITS = 4096,
  parameter integer W       = 16,
  // derived, do not override (here so that the port widths can use them)
  parameter integer AW      = $clog2(MAXBITS / W + 1),  // word address bits (s <= MAXBITS/W + 1)
  parameter integer EBW     = $clog2(MAXBITS + 1)       // exponent bit-length bits
) (
  input  wire                 clk,
  input  wire                 rst_n,
  input  wire                 wr_valid_i,
  output wire                 wr_ready_o,
  input  wire [1:0]           wr_sel_i,
  input  wire [AW-1:0]        wr_addr_i,
  input  wire [W-1:0]         wr_data_i,
  input  wire                 start_valid_i,
  output wire                 start_ready_o,
  input  wire [AW:0]          start_nwords_i,
  input  wire [EBW-1:0]       start_ebits_i,
  output wire                 res_valid_o,
  input  wire                 res_ready_i,
  output wire [W-1:0]         res_data_o,
  output wire                 res_last_o,
  output wire [31:0]          cycles_o
);
  localparam integer LW   = $clog2(W);              // bit index within a word
  localparam [LW:0] LAST_NK = W[LW:0];

  localparam integer DL   = LW - 2;                 // digit-in-word index bits
  localparam integer NSLOT = 17;                    // V RAM slots

  localparam [1:0] SEL_N = 2'd0, SEL_X = 2'd1, SEL_E = 2'd3;  // 2: R^2 mod n
  // V RAM slots: table[i] in slot i (R^2 is loaded into slot 0, x into 1)
  localparam [4:0] SL_R2 = 5'd0, SL_X = 5'd1, SL_ACC = 5'd16;

  localparam [3:0] ST_IDLE = 4'd0, ST_NINV0 = 4'd1, ST_NINV = 4'd2, ST_T1 = 4'd3,
                   ST_T0 = 4'd4, ST_TAB = 4'd5, ST_SQ = 4'd6, ST_MUL = 4'd7, ST_FIN = 4'd8,
                   ST_CMP = 4'd9, ST_OUTRD = 4'd10, ST_OUTC = 4'd11, ST_OUTV = 4'd12;

  // ---- top-level state -----------------------------------------------------
  reg  [3:0]     st_q;
  reg  [AW:0]    s_q;          // word count
  reg  [AW-1:0]  sm1_q;        // s - 1
  reg  [AW+1:0]  clast_q;      // last cycle of an outer iteration: s + 1 (s = 2..5: 7)
  reg            big_q;        // s >= 7: the next product starts while this one drains
  reg  [EBW-3:0] g_q;          // exponent digit being processed (4 bits each)
  reg  [1:0]     topk_q;       // (ebits - 1) mod 4: top digit has topk+1 bits
  reg  [1:0]     sq_q;         // squaring within the digit (0..3)
  reg  [3:0]     tix_q;        // table entry being computed
  reg  [LW:0]    nk_q;         // n' computation step
  reg  [W-1:1]   n0_q;         // n_0 (bit 0 is 1)
  reg  [W-1:0]   ninv_q, ny_q;
  reg  [W-1:0]   nq_q;         // n0*y >> nk (bit 0: bit nk of n0*y)
  reg  [W-1:0]   nm_q;         // 1 << nk
  reg  [AW:0]    oj_q;         // compare / output word index (reaches s)
  reg            ov_q;         // compare pass: a word was read last cycle
  reg  [EBW-1:0] ebits_q;      // exponent length of the running operation
  reg            eq_q;         // final value == n so far (words below oj)
  reg            ge_q;         // final value == n: output 0
  reg  [W-1:0]   res_q;        // result word on the output port
  reg  [31:0]    cyc_q;

  // ---- Montgomery product engine state --------------------------------------
  reg            mm_go_q;      // start pulse (operands below are stable)
  reg  [4:0]     mm_a_q, mm_b_q, mm_d_q;
  reg            mm_bone_q;    // b = 1
  reg            mm_den_q;     // write the result to slot mm_d_q
  reg            mm_busy_q;
  reg  [AW-1:0]  mm_i_q;       // outer index
  reg            mm_i0_q;      // outer iteration 0
  reg            mm_iss_q;     // an inner step is issued this cycle ...
  reg  [AW-1:0]  ij_q;         // ... for word ij_q (mm_c_q - 2)
  reg  [AW+1:0]  mm_c_q;       // cycle within the outer iteration (0..s+1)
  reg  [W-1:0]   b_q, m_q;
  reg  [W-1:0]   a0_q;         // a_0, read once per product
  reg            s1_q, s2_q, s3_q;          // outer-iteration cycles 1, 2, 3
  reg            s1b_q;                     // cycle 1 of a product with b = 1
  reg            mv_q, av_q, lv_q, bv_q, tv_q; // M, A, L (split sums), B (carry) stages, tail
  reg  [AW-1:0]  mj_q, aj_q, lj_q, bj_q;
  reg            mfirst_q;                  // outer iteration 0 (t = 0)
  reg            mlast_q, alast_q, llast_q, blast_q, tlast_q; // last outer iteration
  reg  [W-1:0]   td_q;
  reg            az_q, lz_q, bz_q;          // A / L / B stage is word 0 (no carry in)
  reg  [W+1:0]   ls_q, lc_q;                // A -> L: t_j + lo(a_j*b_i) + lo(m*n_j) + h_{j-1}, carry-save
  reg  [W:0]     ha_q;                      // A: h_{j-1} = hi(a_j*b_i) + hi(m*n_j) of the step before
  reg            ah0_q;                     // A holds word 0: h_{j-1} = 0
  reg  [W+2:0]   q_q;                       // L -> B: t_j + a_j*b_i + m*n_j + h_{j-1} - h_j*2^W
  reg  [2:0]     k_q;                       // B: carry out of the low word sum
  reg            mm_done_q;    // the product's last word is written
  reg            mm_next_q;    // s >= 7: the next product may start (see mm_next)
  reg  [4:0]     vd_q;         // result slot and write enable of the product
  reg            vden_q;       // in its last outer iteration (mm_d_q, mm_den_q then)

  // ---- RAMs --------------------------------------------------------------------
  // V and T writes go through a register (_d -> _q): the step's sum reaches
  // the RAMs' write ports, spread over the chip, a cycle later
  reg            v_we_d, n_we, e_we, t_we_d, v_we_q, t_we_q;
  reg  [AW+4:0]  v_waddr_d, v_waddr_q, v_raddr;
  reg  [AW-1:0]  n_waddr, n_raddr, e_waddr, e_raddr, t_waddr_d, t_waddr_q, t_raddr;
  reg  [W-1:0]   v_wdata_d, t_wdata_d, v_wdata_q, t_wdata_q;
  wire [W-1:0]   v_rdata, n_rdata, e_rdata, t_rdata;

  // V: 17 slots of 2^AW words (not a power of two: fhsm_ram's shape, inline)
  (* no_rw_check *)
  reg  [W-1:0]   v_mem [0:NSLOT*(1<<AW)-1];
  reg  [W-1:0]   v_rdata_q;
  always @(posedge clk) begin
    if (v_we_q) v_mem[v_waddr_q] <= v_wdata_q;
  end
  always @(posedge clk) v_rdata_q <= v_mem[v_raddr];
  assign v_rdata = v_rdata_q;
  fhsm_ram #(.AW(AW), .DW(W)) u_n (.clk(clk), .we_i(n_we), .waddr_i(n_waddr), .wdata_i(wr_data_i),
                                   .re_i(1'b1), .raddr_i(n_raddr), .rdata_o(n_rdata));
  fhsm_ram #(.AW(AW), .DW(W)) u_e (.clk(clk), .we_i(e_we), .waddr_i(e_waddr), .wdata_i(wr_data_i),
                                   .re_i(1'b1), .raddr_i(e_raddr), .rdata_o(e_rdata));
  fhsm_ram #(.AW(AW), .DW(W)) u_t (.clk(clk), .we_i(t_we_q), .waddr_i(t_waddr_q), .wdata_i(t_wdata_q),
                                   .re_i(1'b1), .raddr_i(t_raddr), .rdata_o(t_rdata));

  // ---- multipliers -------------------------------------------------------------
  // Outer iteration i, cycle c: c0 reads b_i; c1 b_i * a_0 (mul1, a_0 kept in
  // a0_q) and reads t_0; c2 u = t_0 + a_0*b_i (mod 2^W), m = u * n' (mul2)
  // and issues the inner step j = 0 (reads a_0, n_0, t_0); c3 the step's
  // M stage takes m straight from mul2's output (m_q from c4 on). t_0 is
  // written by the previous iteration's step j = 1 in its cycle 8 (issue,
  // M, A, L, B, write register), so an iteration takes at least 8 cycles:
  // s + 2, and 8 for s = 2..5.
  wire [W-1:0]   u_tw = mm_i0_q ? {W{1'b0}} : t_rdata;
  wire [W-1:0]   u_p = p1[W-1:0];   // b = 1: mul1 gets 1 (row 0) or 0 instead of b_i
  wire [W-1:0]   u_w = u_tw + u_p;
  wire [2*W-1:0] p1, p2;
  wire [W-1:0]   m1_a = s1b_q ? {{(W-1){1'b0}}, mm_i0_q} : v_rdata;
  fhsm_mul #(.W(W)) u_mul1 (.clk(clk), .a_i(m1_a), .b_i(s1_q ? a0_q : b_q), .p_o(p1));
  fhsm_mul #(.W(W)) u_mul2 (.clk(clk), .a_i(s2_q ? u_w : n_rdata),
                            .b_i(s2_q ? ninv_q : s3_q ? p2[W-1:0] : m_q), .p_o(p2));

  // ---- inner step arithmetic: A stage (split sums) and B stage (carry) ------------
  // Step j: t_j + a_j*b_i + m*n_j + c_{j-1} = low word t'_{j-1} + carry c_j * 2^W.
  // The carry is kept split as c_j = h_j + k_j with h_j = hi(a_j*b_i) +
  // hi(m*n_j) (W+1 bits) and k_j small, so the recurrence is one (W+3)-bit
  // add of a register and a 3-bit carry:
  //   A: t_j + lo(a_j*b_i) + lo(m*n_j) + h_{j-1} compressed 4:2 (ls, lc),
  //      h_j = sum of the high halves  (registered)
  //   L: q_j = ls + 2*lc (< 5*2^W)  (registered)
  //   B: x_j = q_j + k_{j-1}: t'_{j-1} = x_j mod 2^W, k_j = x_j >> W (<= 4)
  // and the tail (after word s-1) is an A, L and B step with t = products =
  // 0: the row's last word h_{s-1} + k_{s-1}. Word 0 starts with h = k = 0.
  wire [W-1:0]   op_1 = av_q ? p1[W-1:0] : {W{1'b0}};   // td_q is 0 then, too
  wire [W-1:0]   op_2 = av_q ? p2[W-1:0] : {W{1'b0}};
  wire [W-1:0]   c1s  = td_q ^ op_1 ^ op_2;
  wire [W-1:0]   c1c  = (td_q & op_1) | (td_q & op_2) | (op_1 & op_2);
  wire [W+1:0]   c2a  = {2'b00, c1s};
  wire [W+1:0]   c2b  = {1'b0, c1c, 1'b0};
  wire [W+1:0]   c2h  = {1'b0, ah0_q ? {(W+1){1'b0}} : ha_q};
  wire [W+1:0]   lcs  = c2a ^ c2b ^ c2h;
  wire [W+1:0]   lcc  = (c2a & c2b) | (c2a & c2h) | (c2b & c2h);
  wire [W:0]     hsum = {1'b0, p1[2*W-1:W]} + {1'b0, p2[2*W-1:W]};
  wire [W+2:0]   qsum = {1'b0, ls_q} + {lc_q, 1'b0};
  wire [W+2:0]   xsum = q_q + {{W{1'b0}}, k_q};

  wire [AW-1:0]  s_m1      = sm1_q;
  wire           mm_issue  = mm_iss_q;
  wire [AW-1:0]  iss_j     = ij_q;
  wire           mm_lastit = (mm_i_q == s_m1);
  wire           s_small   = (start_nwords_i >= 2) && (start_nwords_i <= 5);

  // final reduction: value == n, word by word
  wire           weq = (t_rdata == n_rdata);

  always @(*) begin
    v_we_d    = 1'b0;
    v_waddr_d = {(wr_sel_i == SEL_X) ? SL_X : SL_R2, wr_addr_i};
    v_wdata_d = wr_data_i;
    n_we    = 1'b0;
    n_waddr = wr_addr_i;
    e_we    = 1'b0;
    e_waddr = wr_addr_i;
    t_we_d    = 1'b0;
    t_waddr_d = bj_q - 1'b1;
    t_wdata_d = xsum[W-1:0];
    v_raddr = {mm_a_q, iss_j};
    n_raddr = iss_j;
    t_raddr = iss_j;
    e_raddr = g_q[EBW-3:DL];
    // host writes while idle
    if (st_q == ST_IDLE && wr_valid_i) begin
      case (wr_sel_i)
        SEL_N:   n_we = 1'b1;
        SEL_E:   e_we = 1'b1;
        default: v_we_d = 1'b1;
      endcase
    end
    // Montgomery engine reads
    if (mm_go_q) v_raddr = {mm_a_q, {AW{1'b0}}};   // a_0 for a0_q
    if (mm_busy_q) begin
      if (mm_c_q == 0) v_raddr = {mm_b_q, mm_i_q};
      if (s1_q) t_raddr = {AW{1'b0}};
    end
    // ... and writes: t_{j-1} from the B stage, t_{s-1} from the tail
    if (bv_q && !bz_q) begin
      t_we_d = 1'b1;
      if (blast_q && vden_q) begin
        v_we_d    = 1'b1;
        v_waddr_d = {vd_q, bj_q - 1'b1};
        v_wdata_d = xsum[W-1:0];
      end
    end
    if (tv_q) begin
      t_we_d    = 1'b1;
      t_waddr_d = s_m1;
      if (tlast_q && vden_q) begin
        v_we_d    = 1'b1;
        v_waddr_d = {vd_q, s_m1};
        v_wdata_d = xsum[W-1:0];
      end
    end
    if (st_q == ST_NINV0) n_raddr = {AW{1'b0}};
    if (st_q == ST_CMP) n_raddr = oj_q[AW-1:0];
    if (st_q == ST_CMP || st_q == ST_OUTRD || st_q == ST_OUTC || st_q == ST_OUTV)
      t_raddr = oj_q[AW-1:0];
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      v_we_q <= 1'b0;
      t_we_q <= 1'b0;
    end else begin
      v_we_q <= v_we_d;
      t_we_q <= t_we_d;
    end
  end
  always @(posedge clk) begin
    v_waddr_q <= v_waddr_d;
    v_wdata_q <= v_wdata_d;
    t_waddr_q <= t_waddr_d;
    t_wdata_q <= t_wdata_d;
  end

  // ---- Montgomery product engine ---------------------------------------------------
  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      mm_busy_q <= 1'b0;
      mm_i_q    <= {AW{1'b0}};
      mm_i0_q   <= 1'b0;
      mm_iss_q  <= 1'b0;
      ij_q      <= {AW{1'b0}};
      mm_c_q    <= {(AW+2){1'b0}};
      s1_q      <= 1'b0;
      s1b_q     <= 1'b0;
      s2_q      <= 1'b0;
      s3_q      <= 1'b0;
      mv_q      <= 1'b0;
      av_q      <= 1'b0;
      lv_q      <= 1'b0;
      bv_q      <= 1'b0;
      tv_q      <= 1'b0;
      mm_done_q <= 1'b0;
      mm_next_q <= 1'b0;
    end else begin
      mm_done_q <= tv_q && tlast_q;
      // high in the last outer iteration's last cycle (c = s + 1): the next
      // product's mm_go_q follows in the cycle after it, so its c0 comes one
      // cycle after where a next outer iteration's would. Its first reads
      // (a_0, b_0; a_j at its cycle j + 2) come after this product's writes of
      // those words for s >= 7 (word j is written in cycle j + 9 of the last
      // iteration), and its first products after this one's last M stage.
      mm_next_q <= big_q && mm_busy_q && mm_lastit && (mm_c_q == {1'b0, s_q});
      mm_iss_q <= s1_q || (mm_iss_q && ij_q != s_m1);   // words 0 .. s-1 from cycle 2
      if (mm_go_q) begin
        mm_busy_q <= 1'b1;
        mm_i_q    <= {AW{1'b0}};
        mm_i0_q   <= 1'b1;
        mm_c_q    <= {(AW+2){1'b0}};
        ij_q      <= {{(AW-1){1'b1}}, 1'b0};             // -2
      end else if (mm_busy_q) begin
        if (mm_c_q == clast_q) begin
          mm_c_q  <= {(AW+2){1'b0}};
          mm_i_q  <= mm_i_q + 1'b1;
          mm_i0_q <= 1'b0;
          ij_q    <= {{(AW-1){1'b1}}, 1'b0};
          if (mm_lastit) mm_busy_q <= 1'b0;
        end else begin
          mm_c_q  <= mm_c_q + 1'b1;
          ij_q    <= ij_q + 1'b1;
        end
      end
      s1_q <= mm_busy_q && (mm_c_q == 0);
      s1b_q <= mm_busy_q && (mm_c_q == 0) && mm_bone_q;
      s2_q <= s1_q;
      s3_q <= s2_q;
      mv_q <= mm_issue;
      av_q <= mv_q;
      lv_q <= av_q;
      bv_q <= lv_q;
      tv_q <= bv_q && (bj_q == s_m1);
    end
  end

  always @(posedge clk) begin
    if (s1_q) b_q <= mm_bone_q ? {{(W-1){1'b0}}, mm_i0_q} : v_rdata;
    if (mm_busy_q && mm_c_q == 0 && mm_lastit) begin
      vd_q   <= mm_d_q;
      vden_q <= mm_den_q;
    end
    if (mm_busy_q && mm_c_q == 0 && mm_i0_q) a0_q <= v_rdata;
    if (s3_q) m_q <= p2[W-1:0];
    // issue -> M stage
    mj_q     <= iss_j;
    mfirst_q <= mm_i0_q;
    mlast_q  <= mm_lastit;
    // M -> A stage
    aj_q     <= mj_q;
    az_q     <= (mj_q == {AW{1'b0}});
    alast_q  <= mlast_q;
    td_q     <= (mfirst_q || !mv_q) ? {W{1'b0}} : t_rdata;
    ah0_q    <= mv_q && (mj_q == {AW{1'b0}});
    // A -> L stage: the low sum in carry-save form, the high sum resolved
    // (ha_q is h_{j-1} when step j is in A; in the tail's A cycle, h_{s-1})
    lj_q     <= aj_q;
    lz_q     <= az_q;
    llast_q  <= alast_q;
    ls_q     <= lcs;
    lc_q     <= lcc;
    ha_q     <= hsum;
    // L -> B stage
    bj_q     <= lj_q;
    bz_q     <= lz_q;
    blast_q  <= llast_q;
    q_q      <= qsum;
    // B stage -> next B step / tail
    k_q      <= (lv_q && lz_q) ? 3'd0 : xsum[W+2:W];
    tlast_q  <= blast_q;
  end

  // ---- top-level sequence ------------------------------------------------------------
  // digit g_q of e: word g_q / (W/4), nibble g_q mod (W/4); the top digit is
  // masked to its topk+1 bits (bits at and above ebits do not count)
  wire [3:0]     top_msk = {topk_q == 2'd3, topk_q >= 2'd2, topk_q != 2'd0, 1'b1};
  wire [3:0]     digit   = e_rdata[{g_q[DL-1:0], 2'b00} +: 4];
  wire [3:0]     digit_t = digit & top_msk;
  wire [EBW-1:0] ebm1    = start_ebits_i - 1'b1;
  // a product's successor starts on mm_next (s >= 7: before its last words
  // are written; smaller s: when it is done)
  wire           mm_next = big_q ? mm_next_q : mm_done_q;
  // (nq + n0) >> 1 for odd nq and n0
  wire [W-1:0]   nq_sum  = {1'b0, nq_q[W-1:1]} + {1'b0, n0_q} + {{(W-1){1'b0}}, 1'b1};

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q      <= ST_IDLE;
      s_q       <= {(AW+1){1'b0}};
      sm1_q     <= {AW{1'b0}};
      clast_q   <= {(AW+2){1'b0}};
      big_q     <= 1'b0;
      g_q       <= {(EBW-2){1'b0}};
      topk_q    <= 2'd0;
      sq_q      <= 2'd0;
      tix_q     <= 4'd0;
      nk_q      <= {(LW+1){1'b0}};
      oj_q      <= {(AW+1){1'b0}};
      ov_q      <= 1'b0;
      ebits_q   <= {EBW{1'b0}};
      eq_q      <= 1'b0;
      ge_q      <= 1'b0;
      res_q     <= {W{1'b0}};
      cyc_q     <= 32'd0;
      mm_go_q   <= 1'b0;
      mm_a_q    <= 5'd0;
      mm_b_q    <= 5'd0;
      mm_d_q    <= 5'd0;
      mm_bone_q <= 1'b0;
      mm_den_q  <= 1'b0;
    end else begin
      mm_go_q <= 1'b0;
      if (st_q != ST_IDLE && st_q != ST_OUTRD && st_q != ST_OUTC && st_q != ST_OUTV)
        cyc_q <= cyc_q + 32'd1;
      case (st_q)
        ST_IDLE: begin
          if (start_valid_i) begin
            st_q    <= ST_NINV0;
            s_q     <= start_nwords_i;
            sm1_q   <= start_nwords_i[AW-1:0] - 1'b1;
            clast_q <= s_small ? 7 : {1'b0, start_nwords_i} + 1'b1;
            big_q   <= (start_nwords_i >= 7);
            ebits_q <= start_ebits_i;
            g_q     <= ebm1[EBW-1:2];       // top digit: (ebits - 1) / 4
            topk_q  <= ebm1[1:0];
            cyc_q   <= 32'd1;
          end
        end
        ST_NINV0: begin                 // n_0 is being read
          st_q <= ST_NINV;
          nk_q <= {(LW+1){1'b0}};
        end
        ST_NINV: begin
          // y = n0^-1 mod 2^(k+1) from y mod 2^k: bit k of n0*y decides
          // (kept shifted right by k in nq_q, so bit k is nq_q[0]; the
          // one-hot nm_q is bit k: no variable shifts)
          if (nk_q == {(LW+1){1'b0}}) begin
            n0_q <= n_rdata[W-1:1];
            ny_q <= {{(W-1){1'b0}}, 1'b1};
            nq_q <= n_rdata >> 1;
            nm_q <= {{(W-2){1'b0}}, 2'b10};
            nk_q <= 1;
          end else if (nk_q != LAST_NK) begin
            if (nq_q[0]) begin
              ny_q <= ny_q | nm_q;
              nq_q <= nq_sum;
            end else begin
              nq_q <= nq_q >> 1;
            end
            nm_q <= nm_q << 1;
            nk_q <= nk_q + 1'b1;
          end else begin
            ninv_q    <= ~ny_q + 1'b1;  // n' = -n0^-1
            st_q      <= ST_T1;         // table[1] = x * R^2 / R = x*R mod n
            mm_go_q   <= 1'b1;
            mm_a_q    <= SL_X;
            mm_b_q    <= SL_R2;
            mm_bone_q <= 1'b0;
            mm_d_q    <= SL_X;
            mm_den_q  <= 1'b1;
          end
        end
        ST_T1: begin
          if (mm_next) begin          // table[0] = R^2 * 1 / R = R mod n
            st_q      <= ST_T0;
            mm_go_q   <= 1'b1;
            mm_a_q    <= SL_R2;
            mm_bone_q <= 1'b1;
            mm_d_q    <= SL_R2;
            tix_q     <= 4'd2;
          end
        end
        ST_T0, ST_TAB: begin
          if (mm_next) begin
            if (st_q == ST_T0 || tix_q != 4'd0) begin
              // table[i] = table[i-1] * table[1]
              st_q      <= ST_TAB;
              mm_go_q   <= 1'b1;
              mm_a_q    <= {1'b0, tix_q - 1'b1};
              mm_b_q    <= SL_X;
              mm_bone_q <= 1'b0;
              mm_d_q    <= {1'b0, tix_q};
              tix_q     <= tix_q + 1'b1;  // wraps to 0 after 15: table done
            end else if (ebits_q == {EBW{1'b0}}) begin
              st_q      <= ST_FIN;      // x^0: table[0] * 1 / R = 1 mod n
              mm_go_q   <= 1'b1;
              mm_a_q    <= 5'd0;
              mm_bone_q <= 1'b1;
              mm_den_q  <= 1'b0;
            end else if (g_q == {(EBW-2){1'b0}}) begin
              st_q      <= ST_FIN;      // one digit: table[digit] * 1 / R
              mm_go_q   <= 1'b1;
              mm_a_q    <= {1'b0, digit_t};
              mm_bone_q <= 1'b1;
              mm_den_q  <= 1'b0;
            end else begin
              // acc = table[top digit]^2, then 3 more squarings in place
              st_q      <= ST_SQ;
              mm_go_q   <= 1'b1;
              mm_a_q    <= {1'b0, digit_t};
              mm_b_q    <= {1'b0, digit_t};
              mm_bone_q <= 1'b0;
              mm_d_q    <= SL_ACC;
              g_q       <= g_q - 1'b1;
              sq_q      <= 2'd0;
            end
          end
        end
        ST_SQ: begin
          if (mm_next) begin
            mm_go_q   <= 1'b1;
            mm_a_q    <= SL_ACC;
            mm_bone_q <= 1'b0;
            mm_d_q    <= SL_ACC;
            sq_q      <= sq_q + 1'b1;
            if (sq_q == 2'd3) begin     // acc = acc * table[digit]
              st_q   <= ST_MUL;
              mm_b_q <= {1'b0, digit};
            end else begin              // acc = acc^2
              mm_b_q <= SL_ACC;
            end
          end
        end
        ST_MUL: begin
          if (mm_next) begin
            mm_go_q   <= 1'b1;
            mm_a_q    <= SL_ACC;
            mm_b_q    <= SL_ACC;
            mm_d_q    <= SL_ACC;
            if (g_q == {(EBW-2){1'b0}}) begin
              st_q      <= ST_FIN;      // out of Montgomery form: acc * 1 / R
              mm_bone_q <= 1'b1;
              mm_den_q  <= 1'b0;
            end else begin
              st_q      <= ST_SQ;       // next digit
              mm_bone_q <= 1'b0;
              g_q       <= g_q - 1'b1;
              sq_q      <= 2'd0;
            end
          end
        end
        ST_FIN: begin
          if (mm_done_q && !vden_q) begin   // the out-of-form product (no V write)
            st_q     <= ST_CMP;
            oj_q     <= {(AW+1){1'b0}};
            ov_q     <= 1'b0;
            eq_q     <= 1'b1;
          end
        end
        ST_CMP: begin
          // t == n over all s words: word oj is read while word oj-1 (read
          // last cycle) is compared
          ov_q <= 1'b1;
          oj_q <= oj_q + 1'b1;
          if (ov_q) eq_q <= eq_q && weq;
          if (ov_q && oj_q == s_q) begin
            ge_q     <= eq_q && weq;
            oj_q     <= {(AW+1){1'b0}};
            st_q     <= ST_OUTRD;
          end
        end
        // output, 3 cycles per word: read; reduce into res_q; hand over
        ST_OUTRD: st_q <= ST_OUTC;
        ST_OUTC: begin
          res_q  <= ge_q ? {W{1'b0}} : t_rdata;
          st_q   <= ST_OUTV;
        end
        ST_OUTV: begin
          if (res_ready_i) begin
            if (oj_q[AW-1:0] == s_m1) begin
              st_q <= ST_IDLE;
            end else begin
              oj_q <= oj_q + 1'b1;
              st_q <= ST_OUTRD;
            end
          end
        end
        default: st_q <= ST_IDLE;
      endcase
    end
  end

  assign wr_ready_o    = (st_q == ST_IDLE);
  assign start_ready_o = (st_q == ST_IDLE);
  assign res_valid_o   = (st_q == ST_OUTV);
  assign res_data_o    = res_q;
  assign res_last_o    = (oj_q[AW-1:0] == s_m1);
  assign cycles_o      = cyc_q;
endmodule
