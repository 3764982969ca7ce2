`default_nettype none
`include "fhsm_proto.vh"
// Modexp engine slot of the fabric top: modexp_core (whose RAMs hold the
// operands) + a result RAM.
//
// Payload: s[2] ebits[2] n x r2 e, each s*W/8 bytes big-endian (top words
// zero-padded). The operand bytes are assembled into W-bit words and written
// straight into the core's operand RAMs (wr_sel 0..3, word s-1 first), so the
// slot needs no operand buffer of its own. Operand checks, reported on bad_o
// before the PCRC arrives (the parser then releases the slot, no run):
//   BAD_ARG: s = 0, s > MAXBITS/W + 1, ebits > W*s, ebits > MAXBITS,
//            n even, n >= 2^(W*s-2) (the core needs R = 2^(W*s) > 4n);
//   BAD_LEN: LEN != 4 + 4*s*W/8.
// ebits = 0 is accepted: the core returns x^0 = 1 (for n > 1).
// x < n is the host's duty (not checked).
// Run: start, then the s result words (least significant first) go to the
// result RAM; the response (s*W/8 bytes, big-endian) is read from there.
// CYC counts from the go pulse's cycle to the last result word in the RAM:
// the core's formula (rtl/README.md) plus the result drain.
module fabric_modexp #(
  parameter integer MAXBITS = 4096,
  parameter integer W       = 32
) (
  input  wire        clk,
  input  wire        rst_n,
  input  wire        alloc_i,
  input  wire        go_i,
  input  wire        abort_i,
  input  wire [7:0]  tag_i,
  input  wire [15:0] len_i,
  input  wire        ld_valid_i,
  input  wire [11:0] ld_off_i,
  input  wire [7:0]  ld_byte_i,
  output wire        free_o,
  output wire [7:0]  bad_o,
  output wire        req_o,
  output wire [7:0]  rsp_tag_o,
  output wire [15:0] rsp_len_o,
  output wire [31:0] rsp_cyc_o,
  input  wire        rd_en_i,
  input  wire [11:0] rd_addr_i,
  output wire [7:0]  rd_data_o,
  input  wire        done_i
);
  localparam integer AW   = $clog2(MAXBITS / W + 1);   // as modexp_core
  localparam integer EBW  = $clog2(MAXBITS + 1);
  localparam integer NB   = W / 8;                      // bytes per word
  localparam integer LB   = $clog2(NB);
  localparam integer LWB  = $clog2(W);
  localparam integer SMAX_I = MAXBITS / W + 1;
  localparam integer NB_M1  = NB - 1;
  localparam [23:0]  SMAX = SMAX_I[23:0];
  localparam [23:0]  EMAX = MAXBITS[23:0];
  localparam [LB-1:0] BW_LAST = NB_M1[LB-1:0];
  localparam [1:0] ST_FREE = 2'd0, ST_LOAD = 2'd1, ST_RUN = 2'd2, ST_DONE = 2'd3;
  localparam [7:0] S_OK = `FHSM_ST_OK, S_LEN = `FHSM_ST_BAD_LEN, S_ARG = `FHSM_ST_BAD_ARG;

  reg  [1:0]    st_q;
  reg  [7:0]    tag_q;
  reg  [15:0]   len_q;
  reg  [15:0]   s_q, eb_q;
  reg  [AW-1:0] sm1_q;       // s - 1
  reg  [AW-1:0] wa_q;        // word address being loaded
  reg  [1:0]    sel_q;       // operand being loaded
  reg  [LB-1:0] bw_q;        // byte within the word
  reg  [W-9:0]  wacc_q;
  reg           wv_q;        // operand word write to the core
  reg  [1:0]    wsel_q;
  reg  [AW-1:0] wadr_q;
  reg  [W-1:0]  wdat_q;
  reg  [7:0]    bad_q;
  reg           started_q;
  reg  [AW-1:0] rj_q;        // result word written next
  reg  [31:0]   cyc_q;
  reg  [LB-1:0] rb_q;        // response byte within the word read

  // ---- operand loading ------------------------------------------------------------
  wire [W-1:0]  word_in = {wacc_q, ld_byte_i};
  wire          ld_op   = (st_q == ST_LOAD) && ld_valid_i && (ld_off_i >= 12'd4);
  wire          wlast   = ld_op && (bw_q == BW_LAST);
  wire [15:0]   s_in    = {s_q[15:8], ld_byte_i};
  wire [23:0]   s_len   = {8'd0, s_in} << (LB + 2);    // 4 * s * W/8
  wire [23:0]   s_bits  = {8'd0, s_q} << LWB;          // W * s
  wire [23:0]   eb_in   = {8'd0, eb_q[15:8], ld_byte_i};

  // ---- core --------------------------------------------------------------------------
  wire          start_ready, res_valid, res_last;
  wire [W-1:0]  res_data;
  wire          unused_wr_ready;
  wire [31:0]   unused_cycles;
  modexp_core #(.MAXBITS(MAXBITS), .W(W)) u_core (
    .clk(clk), .rst_n(rst_n),
    .wr_valid_i(wv_q), .wr_ready_o(unused_wr_ready), .wr_sel_i(wsel_q),
    .wr_addr_i(wadr_q), .wr_data_i(wdat_q),
    .start_valid_i(st_q == ST_RUN && !started_q), .start_ready_o(start_ready),
    .start_nwords_i(s_q[AW:0]), .start_ebits_i(eb_q[EBW-1:0]),
    .res_valid_o(res_valid), .res_ready_i(1'b1), .res_data_o(res_data),
    .res_last_o(res_last), .cycles_o(unused_cycles)
  );

  // ---- result RAM (word j = result word j, least significant first) ------------------
  wire [W-1:0]  r_rdata;
  wire [11:0]   rword = rd_addr_i >> LB;   // < s <= 2^AW
  wire [AW-1:0] r_raddr = sm1_q - rword[AW-1:0];
  wire          unused_rword = ^rword;
  fhsm_ram #(.AW(AW), .DW(W)) u_res (
    .clk(clk), .we_i(st_q == ST_RUN && res_valid), .waddr_i(rj_q), .wdata_i(res_data),
    .re_i(rd_en_i), .raddr_i(r_raddr), .rdata_o(r_rdata));

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q      <= ST_FREE;
      tag_q     <= 8'd0;
      len_q     <= 16'd0;
      s_q       <= 16'd0;
      eb_q      <= 16'd0;
      sm1_q     <= {AW{1'b0}};
      wa_q      <= {AW{1'b0}};
      sel_q     <= 2'd0;
      bw_q      <= {LB{1'b0}};
      wv_q      <= 1'b0;
      wsel_q    <= 2'd0;
      wadr_q    <= {AW{1'b0}};
      wdat_q    <= {W{1'b0}};
      bad_q     <= S_OK;
      started_q <= 1'b0;
      rj_q      <= {AW{1'b0}};
      cyc_q     <= 32'd0;
      rb_q      <= {LB{1'b0}};
    end else begin
      wv_q <= 1'b0;
      case (st_q)
        ST_FREE: begin
          if (alloc_i) begin
            st_q  <= ST_LOAD;
            tag_q <= tag_i;
            len_q <= len_i;
            bad_q <= S_OK;
          end
        end
        ST_LOAD: begin
          if (abort_i) begin
            st_q <= ST_FREE;
          end else if (go_i) begin
            st_q      <= ST_RUN;
            started_q <= 1'b0;
            rj_q      <= {AW{1'b0}};
            cyc_q     <= 32'd1;
          end
          if (ld_valid_i) begin
            case (ld_off_i)
              12'd0: s_q[15:8] <= ld_byte_i;
              12'd1: begin
                s_q[7:0] <= ld_byte_i;
                sm1_q    <= s_in[AW-1:0] - 1'b1;
                wa_q     <= s_in[AW-1:0] - 1'b1;
                sel_q    <= 2'd0;
                bw_q     <= {LB{1'b0}};
                if (s_in == 16'd0 || {8'd0, s_in} > SMAX) bad_q <= S_ARG;
                else if (s_len != {8'd0, len_q} - 24'd4)  bad_q <= S_LEN;
              end
              12'd2: eb_q[15:8] <= ld_byte_i;
              12'd3: begin
                eb_q[7:0] <= ld_byte_i;
                if (eb_in > s_bits || eb_in > EMAX) bad_q <= S_ARG;
              end
              default: ;
            endcase
          end
          if (ld_op) begin
            bw_q   <= bw_q + 1'b1;
            wacc_q <= word_in[W-9:0];
            if (wlast) begin
              wv_q   <= 1'b1;
              wsel_q <= sel_q;
              wadr_q <= wa_q;
              wdat_q <= word_in;
              wa_q   <= wa_q - 1'b1;
              if (wa_q == {AW{1'b0}}) begin
                wa_q  <= sm1_q;
                sel_q <= sel_q + 2'd1;
              end
              // n odd, and n < 2^(W*s-2)
              if (sel_q == 2'd0 && wa_q == {AW{1'b0}} && !word_in[0]) bad_q <= S_ARG;
              if (sel_q == 2'd0 && wa_q == sm1_q && word_in[W-1:W-2] != 2'b00) bad_q <= S_ARG;
            end
          end
        end
        ST_RUN: begin
          cyc_q <= cyc_q + 32'd1;
          if (start_ready) started_q <= 1'b1;
          if (res_valid) begin
            rj_q <= rj_q + 1'b1;
            if (res_last) st_q <= ST_DONE;
          end
        end
        default: begin  // ST_DONE
          if (rd_en_i) rb_q <= rd_addr_i[LB-1:0];
          if (done_i) st_q <= ST_FREE;
        end
      endcase
    end
  end

  assign free_o    = (st_q == ST_FREE);
  assign bad_o     = bad_q;
  assign req_o     = (st_q == ST_DONE);
  assign rsp_tag_o = tag_q;
  assign rsp_len_o = s_q << LB;
  assign rsp_cyc_o = cyc_q;
  assign rd_data_o = r_rdata[W - 1 - 8*rb_q -: 8];
endmodule
