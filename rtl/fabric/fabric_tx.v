`default_nettype none
`include "fhsm_proto.vh"
// Response arbiter and framer of the fabric top.
//
//   5A TAG STATUS ENGINE LEN_hi LEN_lo CYC[4] HCRC | payload[LEN] | PCRC_hi PCRC_lo
//
// NS sources (the engines, then the parser's post slot) raise req; one frame
// at a time is sent, round-robin from the source after the last one served.
// Header fields come from the granted source (stable while its req is
// high); payload bytes are read from the granted source through a synchronous byte port: rd_en_o/rd_addr_o in one
// cycle, the byte on src_rdata_i from the next cycle on, held while rd_en_o is
// low (like a block RAM read port with a read enable), addresses 0, 1, 2, ...
// in order, each read once. The read pipeline moves in lock step with the tx
// register, so the link runs at one byte per cycle and tx_data_o is stable while tx_ready_i is low.
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

  localparam [1:0] PH_HDR = 2'd0, PH_PAY = 2'd1, PH_CRC = 2'd2;

  reg           send_q;
  reg  [NS-1:0] g_q;          // granted source (one-hot)
  reg  [NS-1:0] last_q;       // last source served (one-hot; round-robin)
  reg  [1:0]    ph_q;         // part of the frame loaded next
  reg  [3:0]    hp_q;         // header byte (0..10) / CRC byte (0..1)
  reg  [15:0]   rem_q;        // payload bytes still to load
  reg  [11:0]   ra_q;         // payload byte read next
  reg  [7:0]    crc8_q;
  reg  [15:0]   crc16_q;
  reg           txv_q;
  reg  [7:0]    tx_q;

  wire adv = send_q && (!txv_q || tx_ready_i);

  // ---- round-robin pick: first requester after last_q, else the lowest ------------
  // The granted source's header fields stay stable while its req is high, so
  // they are muxed, not latched.
  reg  [NS-1:0] pick, aft, cand;
  reg  [7:0]    g_tag, g_st, g_eng, g_rdata;
  reg  [15:0]   g_len;
  reg  [31:0]   g_cyc;
  integer i;
  always @(*) begin
    aft[0] = 1'b0;
    for (i = 1; i < NS; i = i + 1) aft[i] = aft[i-1] | last_q[i-1];
    cand = ((src_req_i & aft) != {NS{1'b0}}) ? (src_req_i & aft) : src_req_i;
    pick = {NS{1'b0}};
    for (i = NS - 1; i >= 0; i = i - 1)
      if (cand[i]) begin
        pick    = {NS{1'b0}};
        pick[i] = 1'b1;
      end
    g_tag = 8'd0; g_st = 8'd0; g_eng = 8'd0; g_len = 16'd0; g_cyc = 32'd0; g_rdata = 8'd0;
    for (i = 0; i < NS; i = i + 1)
      if (g_q[i]) begin
        g_tag   = g_tag   | src_tag_i[8*i +: 8];
        g_st    = g_st    | src_status_i[8*i +: 8];
        g_eng   = g_eng   | src_engine_i[8*i +: 8];
        g_len   = g_len   | src_len_i[16*i +: 16];
        g_cyc   = g_cyc   | src_cyc_i[32*i +: 32];
        g_rdata = g_rdata | src_rdata_i[8*i +: 8];
      end
  end

  // ---- next frame byte -------------------------------------------------------------------
  reg  [7:0] byte_d;
  always @(*) begin
    case (hp_q)
      4'd0:    byte_d = SYNC;
      4'd1:    byte_d = g_tag;
      4'd2:    byte_d = g_st;
      4'd3:    byte_d = g_eng;
      4'd4:    byte_d = g_len[15:8];
      4'd5:    byte_d = g_len[7:0];
      4'd6:    byte_d = g_cyc[31:24];
      4'd7:    byte_d = g_cyc[23:16];
      4'd8:    byte_d = g_cyc[15:8];
      4'd9:    byte_d = g_cyc[7:0];
      default: byte_d = crc8_q;
    endcase
    if (ph_q == PH_PAY)      byte_d = g_rdata;
    else if (ph_q == PH_CRC) byte_d = hp_q[0] ? crc16_q[7:0] : crc16_q[15:8];
  end
  wire hdr_last = (ph_q == PH_HDR) && (hp_q == 4'd10);
  wire pay_last = (ph_q == PH_PAY) && (rem_q == 16'd1);
  wire is_last  = (ph_q == PH_CRC) && hp_q[0];
  // payload reads run one byte ahead of the tx register: the read of byte k
  // is issued with the load of the byte before it
  wire rd_go = adv && (hdr_last || (ph_q == PH_PAY && !pay_last));

  always @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      send_q  <= 1'b0;
      g_q     <= {NS{1'b0}};
      last_q  <= {NS{1'b0}};
      ph_q    <= PH_HDR;
      hp_q    <= 4'd0;
      rem_q   <= 16'd0;
      ra_q    <= 12'd0;
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
          ph_q    <= PH_HDR;
          hp_q    <= 4'd0;
          ra_q    <= 12'd0;
          crc8_q  <= 8'd0;
          crc16_q <= CRC16_INIT;
        end
      end else if (adv) begin
        tx_q  <= byte_d;
        txv_q <= 1'b1;
        hp_q  <= hp_q + 4'd1;
        if (ph_q == PH_HDR && hp_q != 4'd0) crc8_q <= crc8_byte(crc8_q, byte_d);
        if (ph_q == PH_PAY) begin
          crc16_q <= crc16_byte(crc16_q, byte_d);
          rem_q   <= rem_q - 16'd1;
        end
        if (rd_go) ra_q <= ra_q + 12'd1;
        if (hdr_last) begin
          rem_q <= g_len;
          ph_q  <= (g_len == 16'd0) ? PH_CRC : PH_PAY;
          hp_q  <= 4'd0;
        end
        if (pay_last) begin
          ph_q <= PH_CRC;
          hp_q <= 4'd0;
        end
        if (is_last) begin
          send_q <= 1'b0;
          last_q <= g_q;
        end
      end
    end
  end

  assign rd_en_o    = g_q & {NS{rd_go}};
  assign rd_addr_o  = ra_q;
  assign done_o     = g_q & {NS{adv && is_last}};
  assign tx_data_o  = tx_q;
  assign tx_valid_o = txv_q;
  assign busy_o     = send_q || txv_q;
endmodule
