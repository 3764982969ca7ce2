`default_nettype none
`include "fhsm_proto.vh"
// Request frame parser of the fabric top (docs: rtl/README.md "Fabric top").
//
//   A5 TAG OP ARG LEN_hi LEN_lo HCRC | payload[LEN] | PCRC_hi PCRC_lo
//
// Hunts for SYNC, checks the header CRC-8, judges OP/ARG/LEN from the header
// alone, then claims a free engine of the op's kind (rx_ready_o stays low
// until one is free: a job is never dropped) and streams the payload bytes
// into that engine's operand buffer (ld_*), computing the CRC-16 on the way.
// A good PCRC (and no operand error reported by the engine, eng_bad_i) starts
// the engine (go_o); anything else releases it (abort_o) and posts an error
// response. Error and INFO responses go through a one-entry post slot read by
// the response arbiter; the parser waits while the slot is still full.
//   * bad HCRC: post BAD_HCRC with the received tag, then replay the six
//     header bytes after SYNC through the hunter (a frame starting inside a
//     corrupted header is still found);
//   * good header, unknown op / absent kind (BAD_OP), impossible LEN (BAD_LEN)
//     or bad ARG (BAD_ARG, AES): skip exactly LEN + 2 bytes, then post;
//   * IDLE_TIMEOUT cycles without a byte mid-frame: post TRUNCATED (tag 0
//     if the tag byte never came), release the engine, hunt again.
// Engines are numbered AES[0..N_AES-1], SHA256, MODEXP; all vectors are
// one-hot or per engine (no index arithmetic).
module fabric_parser #(
  parameter integer N_AES        = 1,
  parameter integer N_SHA256     = 1,
  parameter integer N_MODEXP     = 1,
  parameter integer MODEXP_W     = 32,
  parameter integer MP_MAXLEN    = 2068,   // largest MODEXP payload of the build
  parameter integer IDLE_TIMEOUT = 65536,
  // derived, do not override
  parameter integer NE           = N_AES + N_SHA256 + N_MODEXP
) (
  input  wire            clk,
  input  wire            rst_n,
  input  wire [7:0]      rx_data_i,
  input  wire            rx_valid_i,
  output wire            rx_ready_o,
  // engine pool
  input  wire [NE-1:0]   eng_free_i,
  input  wire [8*NE-1:0] eng_bad_i,     // per engine: operand verdict (0 = OK)
  output reg  [NE-1:0]   alloc_o,       // claim (job_* valid)
  output reg  [NE-1:0]   go_o,          // payload complete and sound: run
  output reg  [NE-1:0]   abort_o,       // frame failed: release
  output wire [7:0]      job_tag_o,
  output wire [7:0]      job_arg_o,
  output wire [15:0]     job_len_o,
  output reg  [NE-1:0]   ld_valid_o,    // payload byte ld_byte_o at offset ld_off_o
  output reg  [11:0]     ld_off_o,
  output reg  [7:0]      ld_byte_o,
  // post slot (error / INFO responses)
  output wire            post_valid_o,
  output wire [7:0]      post_tag_o,
  output wire [7:0]      post_status_o,
  output wire            post_info_o,
  input  wire            post_done_i,
  output wire            busy_o
);
`include "fabric_crc.vh"
  localparam [2:0] ST_HUNT = 3'd0, ST_HDR = 3'd1, ST_ALLOC = 3'd2, ST_PAY = 3'd3,
                   ST_CRC = 3'd4, ST_SKIP = 3'd5, ST_POST = 3'd6;
  localparam [1:0] K_NONE = 2'd0, K_AES = 2'd1, K_SHA = 2'd2, K_MODEXP = 2'd3;
  localparam [7:0] OP_INFO = `FHSM_OP_INFO, OP_AES = `FHSM_OP_AES,
                   OP_SHA = `FHSM_OP_SHA256, OP_MODEXP = `FHSM_OP_MODEXP;
  localparam [7:0] S_OK = `FHSM_ST_OK, S_HCRC = `FHSM_ST_BAD_HCRC, S_PCRC = `FHSM_ST_BAD_PCRC,
                   S_OP = `FHSM_ST_BAD_OP, S_LEN = `FHSM_ST_BAD_LEN, S_ARG = `FHSM_ST_BAD_ARG,
                   S_TRUNC = `FHSM_ST_TRUNCATED;
  localparam [7:0] SYNC = `FHSM_SYNC_REQ;
  // payload limits (17-bit arithmetic: LEN is 16 bits)
  localparam [11:0] AES_MAXBLK = `FHSM_AES_MAX_BLOCKS;
  localparam [9:0]  SHA_MAXBLK = `FHSM_SHA256_MAX_BLOCKS;
  localparam integer MP_MIN_I = 4 + MODEXP_W / 2;
  localparam integer MP_MASK_I = MODEXP_W / 2 - 1;  // (LEN - 4) must be a multiple of 4 * W/8
  localparam [16:0] MP_MIN = MP_MIN_I[16:0], MP_MAX = MP_MAXLEN[16:0], MP_MASK = MP_MASK_I[16:0];
  localparam integer TW = $clog2(IDLE_TIMEOUT + 1);
  localparam integer TO_LAST_I = IDLE_TIMEOUT - 1;
  localparam [TW-1:0] TO_LAST = TO_LAST_I[TW-1:0];

  reg  [2:0]    st_q;
  reg  [2:0]    hcnt_q;        // header byte after SYNC being received (0..5)
  reg  [7:0]    tag_q, op_q, arg_q;
  reg  [15:0]   len_q;
  reg  [7:0]    crc8_q;
  reg  [15:0]   crc16_q;
  reg  [11:0]   off_q;         // payload offset (ld_off_o) / CRC byte
  reg  [16:0]   rem_q;         // bytes left in the payload or the skip (no
                               // compare against LEN on the byte's path)
  reg           crchi_q;       // the PCRC's first byte matched
  reg           info_q;        // the frame is INFO
  reg  [7:0]    err_q;         // status to post
  reg  [1:0]    kind_q;
  reg  [NE-1:0] sel_q;         // claimed engine (one-hot)
  reg  [47:0]   rep_q;         // replay of a bad header (first byte on top)
  reg  [2:0]    rep_cnt_q;
  reg  [TW-1:0] to_q;          // cycles without a byte mid-frame
  reg           pv_q, pinfo_q;
  reg  [7:0]    ptag_q, pst_q;

  // ---- byte source: replayed header bytes first, then the link -------------------
  wire       rep  = (rep_cnt_q != 3'd0);
  wire       want = (st_q == ST_HUNT) || (st_q == ST_HDR) || (st_q == ST_PAY) ||
                    (st_q == ST_CRC) || (st_q == ST_SKIP);
  wire [7:0] sb   = rep ? rep_q[47:40] : rx_data_i;
  wire       take = want && (rep || rx_valid_i);
  wire       timeout = (to_q == TO_LAST) && !take;
  assign rx_ready_o = want && !rep;

  // ---- header verdict (from the header alone) ----------------------------------------
  // Only comparisons with constants (they sit on the header byte's path):
  //   AES LEN = kb + 16 + 16 n, kb = 16/24/32, 1 <= n <= 64: LEN[3:0] = kb[3:0]
  //     and LEN/16 = n + 2 (kb 16, 24) or n + 3 (kb 32);
  //   SHA256 LEN = 32 + 64 n, 1 <= n <= 16: LEN[5:0] = 32 and LEN/64 = n.
  wire [16:0] len17  = {1'b0, len_q};
  wire [11:0] len16  = len_q[15:4];
  wire        k256   = (arg_q[1:0] == 2'd2);
  wire        aes_ln = (len_q[3:0] != {arg_q[1:0] == 2'd1, 3'd0}) ||
                       (k256 ? (len16 < 12'd4 || len16 > 12'd3 + AES_MAXBLK)
                             : (len16 < 12'd3 || len16 > 12'd2 + AES_MAXBLK));
  wire [16:0] mp_rem = len17 - 17'd4;
  reg  [7:0]  hst;
  reg  [1:0]  hkind;
  always @(*) begin
    hst   = S_OK;
    hkind = K_NONE;
    case (op_q)
      OP_INFO: begin
        if (len_q != 16'd0) hst = S_LEN;
      end
      OP_AES: begin
        hkind = K_AES;
        if (N_AES == 0)                                 hst = S_OP;
        else if (arg_q[1:0] == 2'd3 || arg_q[3:2] == 2'd3) hst = S_ARG;
        else if (aes_ln)                                hst = S_LEN;
      end
      OP_SHA: begin
        hkind = K_SHA;
        if (N_SHA256 == 0)                              hst = S_OP;
        else if (len_q[5:0] != 6'd32 || len_q[15:6] == 10'd0 || len_q[15:6] > SHA_MAXBLK) hst = S_LEN;
      end
      OP_MODEXP: begin
        hkind = K_MODEXP;
        if (N_MODEXP == 0)                              hst = S_OP;
        else if (len17 < MP_MIN || len17 > MP_MAX || (mp_rem & MP_MASK) != 17'd0) hst = S_LEN;
      end
      default: hst = S_OP;
    endcase
  end

  // ---- free engine of the wanted kind (lowest index) ----------------------------------
  function [1:0] kind_of;
    input integer i;
    begin
      if (i < N_AES)                 kind_of = K_AES;
      else if (i < N_AES + N_SHA256) kind_of = K_SHA;
      else                           kind_of = K_MODEXP;
    end
  endfunction
  reg [NE-1:0] pick;
  reg [7:0]    sel_bad;
  integer i;
  always @(*) begin
    pick = {NE{1'b0}};
    for (i = NE - 1; i >= 0; i = i - 1)
      if (eng_free_i[i] && kind_of(i) == kind_q) begin
        pick    = {NE{1'b0}};
        pick[i] = 1'b1;
      end
    sel_bad = 8'd0;
    for (i = 0; i < NE; i = i + 1)
      if (sel_q[i]) sel_bad = sel_bad | eng_bad_i[8*i +: 8];
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q       <= ST_HUNT;
      hcnt_q     <= 3'd0;
      tag_q      <= 8'd0;
      op_q       <= 8'd0;
      arg_q      <= 8'd0;
      len_q      <= 16'd0;
      crc8_q     <= 8'd0;
      crc16_q    <= CRC16_INIT;
      off_q      <= 12'd0;
      rem_q      <= 17'd0;
      crchi_q    <= 1'b0;
      info_q     <= 1'b0;
      err_q      <= S_OK;
      kind_q     <= K_NONE;
      sel_q      <= {NE{1'b0}};
      rep_q      <= 48'd0;
      rep_cnt_q  <= 3'd0;
      to_q       <= {TW{1'b0}};
      pv_q       <= 1'b0;
      pinfo_q    <= 1'b0;
      ptag_q     <= 8'd0;
      pst_q      <= S_OK;
      alloc_o    <= {NE{1'b0}};
      go_o       <= {NE{1'b0}};
      abort_o    <= {NE{1'b0}};
      ld_valid_o <= {NE{1'b0}};
      ld_off_o   <= 12'd0;
      ld_byte_o  <= 8'd0;
    end else begin
      alloc_o    <= {NE{1'b0}};
      go_o       <= {NE{1'b0}};
      abort_o    <= {NE{1'b0}};
      ld_valid_o <= {NE{1'b0}};
      if (post_done_i) pv_q <= 1'b0;
      if (take && rep) begin
        rep_q     <= {rep_q[39:0], 8'h00};
        rep_cnt_q <= rep_cnt_q - 3'd1;
      end
      if (take || st_q == ST_HUNT || st_q == ST_ALLOC || st_q == ST_POST) to_q <= {TW{1'b0}};
      else                                                              to_q <= to_q + 1'b1;

      case (st_q)
        ST_HUNT: begin
          if (take && sb == SYNC) begin
            st_q   <= ST_HDR;
            hcnt_q <= 3'd0;
            crc8_q <= 8'd0;
            tag_q  <= 8'd0;
          end
        end
        ST_HDR: begin
          if (timeout) begin
            err_q  <= S_TRUNC;
            info_q <= 1'b0;
            st_q   <= ST_POST;
          end else if (take) begin
            hcnt_q <= hcnt_q + 3'd1;
            crc8_q <= crc8_byte(crc8_q, sb);
            case (hcnt_q)
              3'd0: tag_q <= sb;
              3'd1: op_q <= sb;
              3'd2: arg_q <= sb;
              3'd3: len_q[15:8] <= sb;
              3'd4: len_q[7:0] <= sb;
              default: begin
                off_q   <= 12'd0;
                rem_q   <= (hst != S_OK) ? len17 + 17'd2 : len17;
                crc16_q <= CRC16_INIT;
                kind_q  <= hkind;
                info_q  <= (op_q == OP_INFO);
                if (sb != crc8_q) begin
                  err_q     <= S_HCRC;
                  info_q    <= 1'b0;
                  rep_q     <= {tag_q, op_q, arg_q, len_q, sb};
                  rep_cnt_q <= 3'd6;
                  st_q      <= ST_POST;
                end else if (hst != S_OK) begin
                  err_q <= hst;
                  st_q  <= ST_SKIP;
                end else if (op_q == OP_INFO) begin
                  st_q <= ST_CRC;
                end else begin
                  st_q <= ST_ALLOC;
                end
              end
            endcase
          end
        end
        ST_ALLOC: begin
          if (pick != {NE{1'b0}}) begin
            alloc_o <= pick;
            sel_q   <= pick;
            st_q    <= ST_PAY;
          end
        end
        ST_PAY: begin
          if (timeout) begin
            abort_o <= sel_q;
            err_q   <= S_TRUNC;
            st_q    <= ST_POST;
          end else if (take) begin
            ld_valid_o <= sel_q;
            ld_off_o   <= off_q;
            ld_byte_o  <= sb;
            crc16_q    <= crc16_byte(crc16_q, sb);
            off_q      <= off_q + 12'd1;
            rem_q      <= rem_q - 17'd1;
            if (rem_q == 17'd1) begin
              off_q <= 12'd0;
              st_q  <= ST_CRC;
            end
          end
        end
        ST_CRC: begin
          if (timeout) begin
            abort_o <= sel_q & {NE{!info_q}};
            info_q  <= 1'b0;
            err_q   <= S_TRUNC;
            st_q    <= ST_POST;
          end else if (take) begin
            off_q   <= 12'd1;
            crchi_q <= (sb == crc16_q[15:8]);
            if (off_q[0]) begin
              if (info_q) begin
                err_q <= (crchi_q && sb == crc16_q[7:0]) ? S_OK : S_PCRC;
                st_q  <= ST_POST;
              end else if (!(crchi_q && sb == crc16_q[7:0])) begin
                abort_o <= sel_q;
                err_q   <= S_PCRC;
                st_q    <= ST_POST;
              end else if (sel_bad != S_OK) begin
                abort_o <= sel_q;
                err_q   <= sel_bad;
                st_q    <= ST_POST;
              end else begin
                go_o <= sel_q;
                st_q <= ST_HUNT;
              end
            end
          end
        end
        ST_SKIP: begin
          if (timeout) begin
            err_q <= S_TRUNC;
            st_q  <= ST_POST;
          end else if (take) begin
            rem_q <= rem_q - 17'd1;
            if (rem_q == 17'd1) st_q <= ST_POST;
          end
        end
        ST_POST: begin
          if (!pv_q) begin
            pv_q    <= 1'b1;
            ptag_q  <= tag_q;
            pst_q   <= err_q;
            pinfo_q <= info_q && (err_q == S_OK);
            st_q    <= ST_HUNT;
          end
        end
        default: st_q <= ST_HUNT;
      endcase
    end
  end

  assign job_tag_o     = tag_q;
  assign job_arg_o     = arg_q;
  assign job_len_o     = len_q;
  assign post_valid_o  = pv_q;
  assign post_tag_o    = ptag_q;
  assign post_status_o = pst_q;
  assign post_info_o   = pinfo_q;
  assign busy_o        = (st_q != ST_HUNT) || rep || pv_q;
endmodule
