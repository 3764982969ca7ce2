`default_nettype none
// SHA-2 message wrapper: takes a message as a stream of big-endian words,
// pads it in hardware (FIPS 180-4 5.1) and feeds sha2_core block by block.
//   WORD = 32: SHA-256/224 (32-bit input words), WORD = 64: SHA-512/384.
//
// Input stream (valid/ready): in_data_i holds WORD/8 message bytes, first
// byte in the top bits. in_last_i marks the last word of a message; with it,
// in_nbytes_i (0..WORD/8) says how many of its top bytes are message bytes
// (0 encodes the empty tail, so an empty message is one word with last=1,
// nbytes=0). mode_i is sampled with the first word of each message.
// Output (valid/ready): dig_o = H0..H7 (H0 in the top bits); SHA-224/384
// take the top 224/384 bits. cycles_o: core cycles spent on the message.
//
// Blocks are buffered in a two-block RAM (block RAM on FPGAs, not flip-flops):
// one half fills while the core reads the other, and a half is free again as
// soon as the core has read its last word (round 14), so the input port
// never limits the stream: 66 (SHA-256) / 82 (SHA-512) cycles per block.
// Message length is counted in 64 bits (so at most 2^61 bytes per message).
module sha2_wrap #(
  parameter integer WORD = 32
) (
  input  wire                clk,
  input  wire                rst_n,
  input  wire                mode_i,
  input  wire                in_valid_i,
  output wire                in_ready_o,
  input  wire [WORD-1:0]     in_data_i,
  input  wire                in_last_i,
  input  wire [3:0]          in_nbytes_i,
  output wire                dig_valid_o,
  input  wire                dig_ready_i,
  output wire [8*WORD-1:0]   dig_o,
  output wire [31:0]         cycles_o
);
  localparam integer NB = WORD / 8;
  localparam [1:0] ST_IN = 2'd0, ST_PAD = 2'd1, ST_WAIT = 2'd2, ST_OUT = 2'd3;
  localparam [WORD-1:0] PAD80 = {8'h80, {(WORD-8){1'b0}}};

  reg  [1:0]      st_q;
  reg  [3:0]      idx_q;      // next word written in the half being filled
  reg             wh_q;       // half being filled
  reg             ch_q;       // half the core reads (or will read next)
  reg  [1:0]      full_q;     // per half: holds a complete block
  reg             first_q;    // next block sent is the first of a message
  reg             pad80_q;    // the 0x80 byte has been placed
  reg             lenph_q;    // the length's high word has been written
  reg             mode_q;     // mode of the message in progress
  reg             started_q;  // a word of the current message was taken
  // message length in bits = {wc_q, rb_q}: whole words, and the bits of a
  // partial last word (a word counter, not a 64-bit adder behind the input
  // multiplexers)
  localparam integer LW = (WORD == 64) ? 6 : 5;
  reg  [63-LW:0]  wc_q;       // whole words taken
  reg  [LW-1:0]   rb_q;       // bits of the partial last word (0 if none)
  wire [63:0]     len_q = {wc_q, rb_q};

  wire            core_ready;
  wire [3:0]      core_raddr;
  wire [WORD-1:0] core_rdata;
  wire            core_release;
  wire            wfull = full_q[wh_q];     // the half to write is still in use

  sha2_core #(.WORD(WORD)) u_core (
    .clk(clk), .rst_n(rst_n),
    .blk_valid_i(full_q[ch_q]), .blk_ready_o(core_ready),
    .blk_init_i(first_q), .mode_i(mode_q), .iv_i({8*WORD{1'b0}}),
    .blk_raddr_o(core_raddr), .blk_rdata_i(core_rdata), .blk_release_o(core_release),
    .digest_o(dig_o), .cycles_o(cycles_o)
  );

  // last word: keep its nbytes top bytes, put 0x80 right after them
  wire [3:0] nb = (in_nbytes_i > NB[3:0]) ? NB[3:0] : in_nbytes_i;
  wire [LW-1:0] nbits = {nb[LW-4:0], 3'b000};  // nb * 8 (nb < NB where used)
  wire [WORD-1:0] keep_mask = ~({WORD{1'b1}} >> (8 * nb));
  wire [WORD-1:0] last_word = (in_data_i & keep_mask) |
                              ((nb == NB[3:0]) ? {WORD{1'b0}} : (PAD80 >> (8 * nb)));
  // high length word: bits 127:64 (SHA-512, always 0 here) or 63:32 (SHA-256)
  wire [WORD-1:0] len_hi;
  generate
    if (WORD == 64) begin : g_len64
      assign len_hi = {WORD{1'b0}};
    end else begin : g_len32
      assign len_hi = len_q[63:32];
    end
  endgenerate

  wire in_fire  = (st_q == ST_IN) && !wfull && in_valid_i;
  wire blk_fire = full_q[ch_q] && core_ready;

  reg  [WORD-1:0] wr_data;
  reg             wr_en;
  always @(*) begin
    wr_en   = 1'b0;
    wr_data = in_data_i;
    if (in_fire) begin
      wr_en   = 1'b1;
      wr_data = in_last_i ? last_word : in_data_i;
    end else if (st_q == ST_PAD && !wfull) begin
      wr_en = 1'b1;
      if (lenph_q)                    wr_data = len_q[WORD-1:0];
      else if (pad80_q && idx_q == 4'd14) wr_data = len_hi;
      else                            wr_data = pad80_q ? {WORD{1'b0}} : PAD80;
    end
  end

  fhsm_ram #(.AW(5), .DW(WORD)) u_buf (
    .clk(clk), .we_i(wr_en), .waddr_i({wh_q, idx_q}), .wdata_i(wr_data),
    .re_i(1'b1), .raddr_i({ch_q, core_raddr}), .rdata_o(core_rdata));

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q    <= ST_IN;
      idx_q   <= 4'd0;
      wh_q    <= 1'b0;
      ch_q    <= 1'b0;
      full_q  <= 2'b00;
      started_q <= 1'b0;
      first_q <= 1'b1;
      pad80_q <= 1'b0;
      lenph_q <= 1'b0;
      mode_q  <= 1'b0;
      wc_q    <= {(64-LW){1'b0}};
      rb_q    <= {LW{1'b0}};
    end else begin
      if (blk_fire) first_q <= 1'b0;
      // a half is released by the core after its last word was read, and
      // the core moves on to the other half (the writer never touches a full
      // half, so set and release never hit the same half in one cycle)
      if (core_release) begin
        full_q[ch_q] <= 1'b0;
        ch_q         <= ~ch_q;
      end
      if (wr_en) begin
        idx_q <= idx_q + 4'd1;
        if (idx_q == 4'd15) begin
          full_q[wh_q] <= 1'b1;
          wh_q         <= ~wh_q;
        end
      end
      case (st_q)
        ST_IN: begin
          if (in_fire) begin
            if (!in_last_i || nb == NB[3:0]) wc_q <= wc_q + {{(63-LW){1'b0}}, 1'b1};
            if (in_last_i) rb_q <= (nb == NB[3:0]) ? {LW{1'b0}} : nbits;
            if (!started_q) begin
              started_q <= 1'b1;
              mode_q    <= mode_i;
            end
            if (in_last_i) begin
              st_q    <= ST_PAD;
              pad80_q <= (nb != NB[3:0]);
              lenph_q <= 1'b0;
            end
          end
        end
        ST_PAD: begin
          if (!wfull) begin
            if (lenph_q) begin
              lenph_q <= 1'b0;
              st_q    <= ST_WAIT;
            end else if (pad80_q && idx_q == 4'd14) begin
              lenph_q <= 1'b1;
            end else begin
              pad80_q <= 1'b1;
            end
          end
        end
        ST_WAIT: begin
          // every block has been read and the core is idle again
          if (full_q == 2'b00 && core_ready) st_q <= ST_OUT;
        end
        ST_OUT: begin
          if (dig_ready_i) begin
            st_q    <= ST_IN;
            first_q   <= 1'b1;
            started_q <= 1'b0;
            wc_q      <= {(64-LW){1'b0}};
            rb_q      <= {LW{1'b0}};
          end
        end
        default: st_q <= ST_IN;
      endcase
    end
  end

  assign in_ready_o  = (st_q == ST_IN) && !wfull;
  assign dig_valid_o = (st_q == ST_OUT);
endmodule
