// CRC helpers of the host <-> fabric link, included inside module bodies.
// crc8_byte:  CRC-8 poly 0x07 (no reflection), one byte, MSB first (header).
// crc16_byte: CRC-16/CCITT-FALSE poly 0x1021 (no reflection), one byte (payload).
// Same bit order as fhsm_crc8 / fhsm_crc16 in host/link/frame.c; the
// polynomials come from fhsm_proto.vh (include it first).
localparam [15:0] CRC8_POLY   = `FHSM_CRC8_POLY;
localparam [15:0] CRC16_POLY  = `FHSM_CRC16_POLY;
localparam [15:0] CRC16_INIT  = `FHSM_CRC16_INIT;
function [7:0] crc8_byte;
  input [7:0] crc;
  input [7:0] data;
  integer b;
  reg [7:0] c;
  begin
    c = crc ^ data;
    for (b = 0; b < 8; b = b + 1)
      c = c[7] ? ({c[6:0], 1'b0} ^ CRC8_POLY[7:0]) : {c[6:0], 1'b0};
    crc8_byte = c;
  end
endfunction

function [15:0] crc16_byte;
  input [15:0] crc;
  input [7:0]  data;
  integer b;
  reg [15:0] c;
  begin
    c = crc ^ {data, 8'h00};
    for (b = 0; b < 8; b = b + 1)
      c = c[15] ? ({c[14:0], 1'b0} ^ CRC16_POLY) : {c[14:0], 1'b0};
    crc16_byte = c;
  end
endfunction
