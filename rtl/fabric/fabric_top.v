`default_nettype none
`include "fhsm_proto.vh"
// fhsm fabric top: byte-stream job port -> frame parser -> engine pool ->
// response arbiter -> byte-stream response port (protocol: proto/protocol.py,
// docs in rtl/README.md "Fabric top").
//
//   rx bytes -> fabric_parser --ld/alloc/go--> engine slots (operand storage)
//                    |  post (errors, INFO)          | req, rd port
//                    +------------> fabric_tx <------+  -> tx bytes
//
// Engines: N_AES fabric_aes, N_SHA256 fabric_sha, N_MODEXP fabric_modexp,
// numbered in that order (busy_o bit i = engine i, the first 8 engines); a
// kind with count 0 answers BAD_OP. Each engine has its own job slot, so
// several jobs run at once and answer in completion order (round-robin among
// the finished ones); when every engine of a kind is busy the parser holds
// rx_ready_o low until one frees. At least one engine in total.
module fabric_top #(
  parameter integer N_AES          = 1,
  parameter integer N_SHA256       = 1,
  parameter integer N_MODEXP       = 1,
  parameter integer MODEXP_MAXBITS = 4096,
  parameter integer MODEXP_W       = 32,
  parameter integer CLK_KHZ        = 30000,
  parameter integer IDLE_TIMEOUT   = `FHSM_IDLE_TIMEOUT
) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire [7:0] rx_data_i,
  input  wire       rx_valid_i,
  output wire       rx_ready_o,
  output wire [7:0] tx_data_o,
  output wire       tx_valid_o,
  input  wire       tx_ready_i,
  output wire [7:0] busy_o,
  output wire       idle_o
);
  localparam integer NE = N_AES + N_SHA256 + N_MODEXP;
  localparam integer NS = NE + 1;                      // engines + the parser's post slot
  localparam integer MP_SMAX   = MODEXP_MAXBITS / MODEXP_W + 1;
  localparam integer MP_MAXLEN = 4 + 4 * MP_SMAX * (MODEXP_W / 8);
  localparam integer AES_MAXLEN = 32 + 16 + 16 * `FHSM_AES_MAX_BLOCKS;
  localparam integer SHA_MAXLEN = 32 + 64 * `FHSM_SHA256_MAX_BLOCKS;
  localparam integer MAXLEN_A  = (N_AES > 0) ? AES_MAXLEN : 0;
  localparam integer MAXLEN_S  = (N_SHA256 > 0 && SHA_MAXLEN > MAXLEN_A) ? SHA_MAXLEN : MAXLEN_A;
  localparam integer MAXLEN    = (N_MODEXP > 0 && MP_MAXLEN > MAXLEN_S) ? MP_MAXLEN : MAXLEN_S;
  localparam [3:0] K_AES = `FHSM_ENG_AES, K_SHA = `FHSM_ENG_SHA256, K_MODEXP = `FHSM_ENG_MODEXP;

  // ---- parser ------------------------------------------------------------------------
  wire [NE-1:0]   eng_free, alloc, go, abort, ld_valid;
  wire [8*NE-1:0] eng_bad;
  wire [7:0]      job_tag, job_arg, ld_byte;
  wire            unused_arg = ^job_arg;   // read by the AES slots only
  wire [15:0]     job_len;
  wire [11:0]     ld_off;
  wire            post_valid, post_info, parser_busy;
  wire [7:0]      post_tag, post_status;
  wire [NS-1:0]   rd_en, done;
  wire [11:0]     rd_addr;
  wire            tx_busy;

  fabric_parser #(
    .N_AES(N_AES), .N_SHA256(N_SHA256), .N_MODEXP(N_MODEXP), .MODEXP_W(MODEXP_W),
    .MP_MAXLEN(MP_MAXLEN), .IDLE_TIMEOUT(IDLE_TIMEOUT)
  ) u_parser (
    .clk(clk), .rst_n(rst_n),
    .rx_data_i(rx_data_i), .rx_valid_i(rx_valid_i), .rx_ready_o(rx_ready_o),
    .eng_free_i(eng_free), .eng_bad_i(eng_bad),
    .alloc_o(alloc), .go_o(go), .abort_o(abort),
    .job_tag_o(job_tag), .job_arg_o(job_arg), .job_len_o(job_len),
    .ld_valid_o(ld_valid), .ld_off_o(ld_off), .ld_byte_o(ld_byte),
    .post_valid_o(post_valid), .post_tag_o(post_tag), .post_status_o(post_status),
    .post_info_o(post_info), .post_done_i(done[NE]), .busy_o(parser_busy)
  );

  // ---- engine pool -----------------------------------------------------------------------
  wire [NS-1:0]    src_req;
  wire [8*NS-1:0]  src_tag, src_status, src_engine, src_rdata;
  wire [16*NS-1:0] src_len;
  wire [32*NS-1:0] src_cyc;

  genvar g;
  generate
    for (g = 0; g < NE; g = g + 1) begin : g_eng
      localparam integer IDX_AES = g, IDX_SHA = g - N_AES, IDX_MP = g - N_AES - N_SHA256;
      assign src_status[8*g +: 8] = `FHSM_ST_OK;
      if (g < N_AES) begin : g_aes
        assign src_engine[8*g +: 8] = {K_AES, 4'd0} | IDX_AES[7:0];
        fabric_aes u_slot (
          .clk(clk), .rst_n(rst_n),
          .alloc_i(alloc[g]), .go_i(go[g]), .abort_i(abort[g]),
          .tag_i(job_tag), .arg_i(job_arg), .len_i(job_len),
          .ld_valid_i(ld_valid[g]), .ld_off_i(ld_off), .ld_byte_i(ld_byte),
          .free_o(eng_free[g]), .bad_o(eng_bad[8*g +: 8]),
          .req_o(src_req[g]), .rsp_tag_o(src_tag[8*g +: 8]), .rsp_len_o(src_len[16*g +: 16]),
          .rsp_cyc_o(src_cyc[32*g +: 32]),
          .rd_en_i(rd_en[g]), .rd_addr_i(rd_addr), .rd_data_o(src_rdata[8*g +: 8]),
          .done_i(done[g]));
      end else if (g < N_AES + N_SHA256) begin : g_sha
        assign src_engine[8*g +: 8] = {K_SHA, 4'd0} | IDX_SHA[7:0];
        fabric_sha u_slot (
          .clk(clk), .rst_n(rst_n),
          .alloc_i(alloc[g]), .go_i(go[g]), .abort_i(abort[g]),
          .tag_i(job_tag), .len_i(job_len),
          .ld_valid_i(ld_valid[g]), .ld_off_i(ld_off), .ld_byte_i(ld_byte),
          .free_o(eng_free[g]), .bad_o(eng_bad[8*g +: 8]),
          .req_o(src_req[g]), .rsp_tag_o(src_tag[8*g +: 8]), .rsp_len_o(src_len[16*g +: 16]),
          .rsp_cyc_o(src_cyc[32*g +: 32]),
          .rd_en_i(rd_en[g]), .rd_addr_i(rd_addr), .rd_data_o(src_rdata[8*g +: 8]),
          .done_i(done[g]));
      end else begin : g_modexp
        assign src_engine[8*g +: 8] = {K_MODEXP, 4'd0} | IDX_MP[7:0];
        fabric_modexp #(.MAXBITS(MODEXP_MAXBITS), .W(MODEXP_W)) u_slot (
          .clk(clk), .rst_n(rst_n),
          .alloc_i(alloc[g]), .go_i(go[g]), .abort_i(abort[g]),
          .tag_i(job_tag), .len_i(job_len),
          .ld_valid_i(ld_valid[g]), .ld_off_i(ld_off), .ld_byte_i(ld_byte),
          .free_o(eng_free[g]), .bad_o(eng_bad[8*g +: 8]),
          .req_o(src_req[g]), .rsp_tag_o(src_tag[8*g +: 8]), .rsp_len_o(src_len[16*g +: 16]),
          .rsp_cyc_o(src_cyc[32*g +: 32]),
          .rd_en_i(rd_en[g]), .rd_addr_i(rd_addr), .rd_data_o(src_rdata[8*g +: 8]),
          .done_i(done[g]));
      end
    end
  endgenerate

  // ---- post slot: error responses and INFO (source NE) ------------------------------
  localparam [15:0] INFO_LEN = `FHSM_INFO_BYTES;
  reg [7:0] info_q;
  reg [7:0] info_b;
  always @(*) begin
    case (rd_addr[4:0])
      `FHSM_INFO_OFF_MAGIC:             info_b = "F";
      `FHSM_INFO_OFF_MAGIC + 1:         info_b = "H";
      `FHSM_INFO_OFF_MAGIC + 2:         info_b = "S";
      `FHSM_INFO_OFF_MAGIC + 3:         info_b = "M";
      `FHSM_INFO_OFF_VERSION:           info_b = `FHSM_PROTO_VERSION;
      `FHSM_INFO_OFF_CLOCK_KHZ:         info_b = CLK_KHZ[31:24];
      `FHSM_INFO_OFF_CLOCK_KHZ + 1:     info_b = CLK_KHZ[23:16];
      `FHSM_INFO_OFF_CLOCK_KHZ + 2:     info_b = CLK_KHZ[15:8];
      `FHSM_INFO_OFF_CLOCK_KHZ + 3:     info_b = CLK_KHZ[7:0];
      `FHSM_INFO_OFF_MAX_PAYLOAD:       info_b = MAXLEN[15:8];
      `FHSM_INFO_OFF_MAX_PAYLOAD + 1:   info_b = MAXLEN[7:0];
      `FHSM_INFO_OFF_N_AES:             info_b = N_AES[7:0];
      `FHSM_INFO_OFF_N_SHA256:          info_b = N_SHA256[7:0];
      `FHSM_INFO_OFF_N_MODEXP:          info_b = N_MODEXP[7:0];
      `FHSM_INFO_OFF_MODEXP_BITS:       info_b = MODEXP_MAXBITS[15:8];
      `FHSM_INFO_OFF_MODEXP_BITS + 1:   info_b = MODEXP_MAXBITS[7:0];
      `FHSM_INFO_OFF_MODEXP_W:          info_b = MODEXP_W[7:0];
      `FHSM_INFO_OFF_AES_MAX_BLOCKS:    info_b = `FHSM_AES_MAX_BLOCKS;
      `FHSM_INFO_OFF_SHA256_MAX_BLOCKS: info_b = `FHSM_SHA256_MAX_BLOCKS;
      default:                          info_b = 8'd0;
    endcase
  end
  always @(posedge clk) begin
    if (rd_en[NE]) info_q <= info_b;
  end
  assign src_req[NE]               = post_valid;
  assign src_tag[8*NE +: 8]        = post_tag;
  assign src_status[8*NE +: 8]     = post_status;
  assign src_engine[8*NE +: 8]     = {`FHSM_ENG_NONE, 4'd0};
  assign src_len[16*NE +: 16]      = post_info ? INFO_LEN : 16'd0;
  assign src_cyc[32*NE +: 32]      = 32'd0;
  assign src_rdata[8*NE +: 8]      = info_q;

  // ---- response arbiter ----------------------------------------------------------------
  fabric_tx #(.NS(NS)) u_tx (
    .clk(clk), .rst_n(rst_n),
    .src_req_i(src_req), .src_tag_i(src_tag), .src_status_i(src_status),
    .src_engine_i(src_engine), .src_len_i(src_len), .src_cyc_i(src_cyc),
    .src_rdata_i(src_rdata), .rd_en_o(rd_en), .rd_addr_o(rd_addr), .done_o(done),
    .tx_data_o(tx_data_o), .tx_valid_o(tx_valid_o), .tx_ready_i(tx_ready_i),
    .busy_o(tx_busy)
  );

  // ---- status ----------------------------------------------------------------------------
  wire [NE+7:0] busy_all = {8'd0, ~eng_free};
  wire          unused_busy = ^busy_all;   // engines past the 8th have no busy_o bit
  assign busy_o = busy_all[7:0];
  assign idle_o = !parser_busy && (eng_free == {NE{1'b1}}) && !tx_busy;
endmodule
