`default_nettype none
`include "fhsm_proto.vh"
// SHA-256 engine slot of the fabric top: operand buffer + sha2_core (WORD=32,
// EXT_IV=1).
//
// Payload: h[32] (chaining value H0..H7, big-endian) + n 64-byte blocks
// (1 <= n <= 16, already padded by the host). The chaining value goes to a
// register (the core's iv_i), the blocks to a 256 x 32 RAM that the core
// reads directly (its blk_raddr_o port); blocks are handed over back to back,
// so the compression runs at 66 cycles per block. Response: h[32] after the
// last block (the core's digest register). Any engine can continue any hash.
// CYC counts from the go pulse's cycle until the digest is ready.
module fabric_sha (
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
  localparam [1:0] ST_FREE = 2'd0, ST_LOAD = 2'd1, ST_RUN = 2'd2, ST_DONE = 2'd3;

  reg  [1:0]   st_q;
  reg  [7:0]   tag_q;
  reg  [4:0]   nblk_q;     // 1..16
  reg  [4:0]   iss_q;      // blocks handed to the core
  reg  [3:0]   ridx_q;     // block the core reads (next)
  reg  [255:0] h_q;
  reg  [23:0]  wacc_q;
  reg  [31:0]  cyc_q;
  reg  [7:0]   rd_q;

  wire         ld_h   = ld_valid_i && (ld_off_i < 12'd32);
  wire         ld_dat = ld_valid_i && !ld_h;
  wire [11:0]  doff   = ld_off_i - 12'd32;

  wire         run       = (st_q == ST_RUN);
  wire         fin;
  wire         blk_valid = run && (iss_q != nblk_q);
  wire         blk_ready, blk_release;
  wire [3:0]   core_raddr;
  wire [31:0]  core_rdata;
  wire [255:0] digest;
  wire [31:0]  unused_cycles;  // the slot counts its own cycles (CYC)

  sha2_core #(.WORD(32), .EXT_IV(1)) u_core (
    .clk(clk), .rst_n(rst_n),
    .blk_valid_i(blk_valid), .blk_ready_o(blk_ready),
    .blk_init_i(iss_q == 5'd0), .mode_i(1'b0), .iv_i(h_q),
    .blk_raddr_o(core_raddr), .blk_rdata_i(core_rdata), .blk_release_o(blk_release),
    .digest_o(digest), .cycles_o(unused_cycles)
  );

  assign fin = run && (iss_q == nblk_q) && blk_ready;   // digest ready

  fhsm_ram #(.AW(8), .DW(32)) u_buf (
    .clk(clk), .we_i(st_q == ST_LOAD && ld_dat && doff[1:0] == 2'd3),
    .waddr_i(doff[9:2]), .wdata_i({wacc_q, ld_byte_i}),
    .re_i(1'b1), .raddr_i({ridx_q, core_raddr}), .rdata_o(core_rdata));

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      st_q   <= ST_FREE;
      tag_q  <= 8'd0;
      nblk_q <= 5'd1;
      iss_q  <= 5'd0;
      ridx_q <= 4'd0;
      cyc_q  <= 32'd0;
      rd_q   <= 8'd0;
    end else begin
      case (st_q)
        ST_FREE: begin
          if (alloc_i) begin
            st_q   <= ST_LOAD;
            tag_q  <= tag_i;
            nblk_q <= len_i[10:6];   // LEN = 32 + 64 n (checked by the parser)
            iss_q  <= 5'd0;
            ridx_q <= 4'd0;
          end
        end
        ST_LOAD: begin
          if (abort_i) begin
            st_q <= ST_FREE;
          end else if (go_i) begin
            st_q  <= ST_RUN;
            cyc_q <= 32'd1;
          end
        end
        ST_RUN: begin
          cyc_q <= cyc_q + 32'd1;
          if (blk_valid && blk_ready) iss_q <= iss_q + 5'd1;
          if (blk_release) ridx_q <= ridx_q + 4'd1;
          if (fin) st_q <= ST_DONE;
        end
        default: begin  // ST_DONE
          if (rd_en_i) rd_q <= h_q[255:248];
          if (done_i) st_q <= ST_FREE;
        end
      endcase
    end
  end

  // h_q: the chaining value, shifted in while loading (iv_i of the core until
  // the first block is taken), then the digest, shifted out for the response
  // (the arbiter reads bytes 0, 1, 2, ... once each)
  always @(posedge clk) begin
    if (fin)                                         h_q <= digest;
    else if (ld_h || (st_q == ST_DONE && rd_en_i)) h_q <= {h_q[247:0], ld_byte_i};
    if (ld_dat) wacc_q <= {wacc_q[15:0], ld_byte_i};
  end

  assign free_o    = (st_q == ST_FREE);
  assign bad_o     = 8'd0;
  assign req_o     = (st_q == ST_DONE);
  assign rsp_tag_o = tag_q;
  assign rsp_len_o = 16'd32;
  assign rsp_cyc_o = cyc_q;
  assign rd_data_o = rd_q;
  wire unused_bits = ^{len_i[15:11], len_i[5:0], rd_addr_i, doff[11:10]};
endmodule
