`default_nettype none
`include "fhsm_proto.vh"
// Response arbiter and framer of the fabric top.
//
//   5A TAG STATUS ENGINE LEN_hi LEN_lo CYC[4] HCRC | payload[LEN] | PCRC_hi PCRC_lo
//
// NS sources (the engines, then the parser's post slot) raise req; one frame
// at a time is sent, round-robin from the source after the last one served.
// Header fields are latched at the grant; payload bytes are read from the
// granted source through a synchronous byte port: rd_en_o/rd_addr_o in one
// cycle, the byte on src_rdata_i from the next cycle on, held while rd_en_o is
// low (like a block RAM read port with a read enable). The read pipeline moves
// in lock step with the tx register (one read per byte sent), so the link runs
// at one byte per cycle and tx_data_o is stable while tx_ready_i is low.
// done_o (combinational, one-hot) pulses with the last byte: the source
// drops req in the same clock edge.
module fabric_tx #(
  parameter integer NS = 4
) (
  input  wire             clk,
  input  wire             rst_n,
  input  wire [NS-1:0]    src_req_i,
  input  wire [8*NS-1:0]  src_tag_i,
  input  wire [8*NS-1:0]  src_status_i,
  input  wire [8*NS-1:0]  src_engine_i,
  input  wire [16*NS-1:0] src_len_i,
  input  wire [32*NS-1:0] src_cyc_i,
  input  wire [8*NS-1:0]  src_rdata_i,
  output wire [NS-1:0]    rd_en_o,
  output wire [11:0]      rd_addr_o,
  output wire [NS-1:0]    done_o,
  output wire [7:0]       tx_data_o,
  output wire             tx_valid_o,
  input  wire             tx_ready_i,
  output wire             busy_o
);
`include "fabric_crc.vh"
  localparam [7:0] SYNC = `FHSM_SYNC_RSP;

  reg           send_q;
  reg  [NS-1:0] g_q;          // granted source (one-hot)
  reg  [NS-1:0] last_q;       // last source served (one-hot; round-robin)
  reg  [7:0]    tag_q, st_q, eng_q;
  reg  [15:0]   len_q;
  reg  [31:0]   cyc_q;
  reg  [16:0]   pos_q;        // frame byte loaded next into the tx register
  reg  [7:0]    crc8_q;
  reg  [15:0]   crc16_q;
  reg           txv_q;
  reg  [7:0]    tx_q;

  wire adv = send_q && (!txv_q || tx_ready_i);

  // ---- round-robin pick: first requester after last_q ------------------------------
  reg  [NS-1:0] pick, aft, cand;
  reg  [7:0]    p_tag, p_st, p_eng;
  reg  [15:0]   p_len;
  reg  [31:0]   p_cyc;
  reg  [7:0]    g_rdata;
  integer i;
  always @(*) begin
    // aft[i]: source i comes after the last one served
    aft[0] = 1'b0;
    for (i = 1; i < NS; i = i + 1) aft[i] = aft[i-1] | last_q[i-1];
    cand = ((src_req_i & aft) != {NS{1'b0}}) ? (src_req_i & aft) : src_req_i;
    pick = {NS{1'b0}};
    for (i = NS - 1; i >= 0; i = i - 1)
      if (cand[i]) begin
        pick    = {NS{1'b0}};
        pick[i] = 1'b1;
      end
    p_tag = 8'd0; p_st = 8'd0; p_eng = 8'd0; p_len = 16'd0; p_cyc = 32'd0;
    g_rdata = 8'd0;
    for (i = 0; i < NS; i = i + 1) begin
      if (pick[i]) begin
        p_tag = p_tag | src_tag_i[8*i +: 8];
        p_st  = p_st  | src_status_i[8*i +: 8];
        p_eng = p_eng | src_engine_i[8*i +: 8];
        p_len = p_len | src_len_i[16*i +: 16];
        p_cyc = p_cyc | src_cyc_i[32*i +: 32];
      end
      if (g_q[i]) g_rdata = g_rdata | src_rdata_i[8*i +: 8];
    end
  end

  // ---- byte at pos_q --------------------------------------------------------------------
  wire [16:0] len17   = {1'b0, len_q};
  wire        is_pay  = (pos_q >= 17'd11) && (pos_q < len17 + 17'd11);
  wire        is_crch = (pos_q == len17 + 17'd11);
  wire        is_last = (pos_q == len17 + 17'd12);
  reg  [7:0]  byte_d;
  always @(*) begin
    case (pos_q[3:0])
      4'd0:    byte_d = SYNC;
      4'd1:    byte_d = tag_q;
      4'd2:    byte_d = st_q;
      4'd3:    byte_d = eng_q;
      4'd4:    byte_d = len_q[15:8];
      4'd5:    byte_d = len_q[7:0];
      4'd6:    byte_d = cyc_q[31:24];
      4'd7:    byte_d = cyc_q[23:16];
      4'd8:    byte_d = cyc_q[15:8];
      4'd9:    byte_d = cyc_q[7:0];
      default: byte_d = crc8_q;
    endcase
    if (is_pay)       byte_d = g_rdata;
    else if (is_crch) byte_d = crc16_q[15:8];
    else if (is_last) byte_d = crc16_q[7:0];
  end

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      send_q  <= 1'b0;
      g_q     <= {NS{1'b0}};
      last_q  <= {NS{1'b0}};
      tag_q   <= 8'd0;
      st_q    <= 8'd0;
      eng_q   <= 8'd0;
      len_q   <= 16'd0;
      cyc_q   <= 32'd0;
      pos_q   <= 17'd0;
      crc8_q  <= 8'd0;
      crc16_q <= CRC16_INIT;
      txv_q   <= 1'b0;
      tx_q    <= 8'd0;
    end else begin
      if (txv_q && tx_ready_i) txv_q <= 1'b0;
      if (!send_q) begin
        if (src_req_i != {NS{1'b0}}) begin
          send_q  <= 1'b1;
          g_q     <= pick;
          tag_q   <= p_tag;
          st_q    <= p_st;
          eng_q   <= p_eng;
          len_q   <= p_len;
          cyc_q   <= p_cyc;
          pos_q   <= 17'd0;
          crc8_q  <= 8'd0;
          crc16_q <= CRC16_INIT;
        end
      end else if (adv) begin
        tx_q  <= byte_d;
        txv_q <= 1'b1;
        pos_q <= pos_q + 17'd1;
        if (pos_q >= 17'd1 && pos_q <= 17'd9) crc8_q <= crc8_byte(crc8_q, byte_d);
        if (is_pay) crc16_q <= crc16_byte(crc16_q, byte_d);
        if (is_last) begin
          send_q <= 1'b0;
          last_q <= g_q;
        end
      end
    end
  end

  wire [16:0] raddr = pos_q - 17'd10;
  assign rd_en_o    = g_q & {NS{adv && pos_q >= 17'd10}};
  assign rd_addr_o  = raddr[11:0];
  wire   unused_raddr = ^raddr[16:12];
  assign done_o     = g_q & {NS{adv && is_last}};
  assign tx_data_o  = tx_q;
  assign tx_valid_o = txv_q;
  assign busy_o     = send_q || txv_q;
endmodule
