-- fota-hil.lua: Wireshark/tshark dissector for fota-hil run traces
-- (harness/trace/trace.h, docs/TRACE.md): pcap files of link type DLT_USER0
-- (147), one record per packet: update-protocol frames, link faults, flash
-- operations, power events, console lines.
--
--   tshark -X lua_script:scripts/fota-hil.lua -r run.pcap
--   wireshark -X lua_script:scripts/fota-hil.lua run.pcap
--   (or copy it to ~/.local/lib/wireshark/plugins/)
--
-- Tested with Wireshark/tshark 4.0 (Debian bookworm, Lua 5.2). The record
-- layout and the frame layout (bootloader/include/fota/proto.h) are
-- mirrored here; keep them in step with those headers.

local TRACE_MAGIC = 0xF
local TRACE_VERSION = 1
local HDR_SIZE = 6

local p = Proto("fotahil", "fota-hil trace")

-- ---- value tables ----------------------------------------------------
local rec_kinds = { [1] = "FRAME", [2] = "FAULT", [3] = "FLASH", [4] = "POWER", [5] = "CONSOLE" }
local dirs = { [0] = "none", [1] = "host->target", [2] = "target->host" }
local frame_types = {
    [0x01] = "HELLO", [0x02] = "ENTER_UPDATE", [0x03] = "BEGIN", [0x04] = "DATA",
    [0x05] = "END", [0x06] = "ABORT", [0x07] = "RESET",
    [0x81] = "HELLO_RSP", [0x82] = "ENTER_UPDATE_RSP", [0x83] = "BEGIN_RSP",
    [0x84] = "DATA_RSP", [0x85] = "END_RSP", [0x86] = "ABORT_RSP", [0x87] = "RESET_RSP",
    [0xFF] = "NACK",
}
local fota_errs = {
    [0] = "OK", [1] = "EINVAL", [2] = "EIO", [3] = "ETIMEOUT", [4] = "ECRC", [5] = "ESHA",
    [6] = "EMAGIC", [7] = "ESLOT", [8] = "ESIZE", [9] = "EVERSION", [10] = "ENOENT",
    [11] = "EFLASH", [12] = "ELOCKED", [13] = "EPROTO", [14] = "ENOMEM", [15] = "ERANGE",
    [16] = "EBUSY", [17] = "ECONN", [18] = "ENOTSUP", [19] = "ESIG", [20] = "EROLLBACK",
}
local roles = { [1] = "bootloader", [2] = "app" }
local slots = { [0] = "A", [1] = "B", [0xFF] = "none" }
local crc_status = { [0] = "Bad", [1] = "Good", [2] = "Unverified" }
local fault_kinds = {
    [1] = "corrupt", [2] = "drop", [3] = "disconnect", [4] = "stall",
    [5] = "spi_drop", [6] = "spi_corrupt", [7] = "spi_cs_release", [8] = "spi_bit_shift",
    [9] = "spi_miso_stuck", [10] = "rom_nack", [11] = "rom_silent",
}
-- FRAME/FAULT flags bits 2-3 (trace.h enum hil_trace_proto), bit 4 the link.
local link_protos = { [0] = "fota-hil", [1] = "AN3155", [2] = "AN4286", [3] = "AN4221" }
local phys_links = { [0] = "UART", [1] = "SPI" }
-- ST ROM bootloader commands (AN3155 section 3 Table 2; AN4286 the same codes).
local ROM_ACK, ROM_NACK, ROM_SYNC, ROM_SOF = 0x79, 0x1F, 0x7F, 0x5A
local rom_cmds = {
    [0x00] = "GET", [0x01] = "GV", [0x02] = "GID", [0x11] = "RM", [0x21] = "GO",
    [0x31] = "WM", [0x43] = "ER", [0x44] = "EER", [0x63] = "WP", [0x73] = "WUP",
    [0x82] = "RP", [0x92] = "RUP",
}
local rom_cmd_long = {
    [0x00] = "Get", [0x01] = "Get Version", [0x02] = "Get ID", [0x11] = "Read Memory",
    [0x21] = "Go", [0x31] = "Write Memory", [0x43] = "Erase", [0x44] = "Extended Erase",
    [0x63] = "Write Protect", [0x73] = "Write Unprotect", [0x82] = "Readout Protect",
    [0x92] = "Readout Unprotect",
}
local rom_acks = { [0x79] = "ACK", [0x1F] = "NACK" }
local rom_units = {
    [1] = "sync", [2] = "command", [3] = "address", [4] = "read length", [5] = "write data",
    [6] = "erase list", [7] = "answer", [8] = "ACK confirmation", [9] = "unknown",
}
local flash_ops = { [1] = "erase", [2] = "program" }
local regions = { [0] = "other", [1] = "boot", [2] = "meta", [3] = "slot_a", [4] = "slot_b" }
local verdicts = { [0] = "applied", [1] = "cut", [2] = "failed" }
local torns = { [0] = "none", [1] = "half", [2] = "all" }
local power_events = {
    [1] = "power_on", [2] = "power_cut", [3] = "reset", [4] = "watchdog_reset",
    [5] = "boot", [6] = "jump", [7] = "died", [8] = "watchdog_start",
}

-- ---- fields ----------------------------------------------------------
local f = {
    rec_magic   = ProtoField.uint8("fotahil.rec.magic", "Magic", base.HEX, nil, 0xF0),
    rec_version = ProtoField.uint8("fotahil.rec.version", "Format version", base.DEC, nil, 0x0F),
    rec_kind    = ProtoField.uint8("fotahil.rec.kind", "Record kind", base.DEC, rec_kinds),
    rec_dir     = ProtoField.uint8("fotahil.rec.dir", "Direction", base.DEC, dirs),
    rec_flags   = ProtoField.uint8("fotahil.rec.flags", "Flags", base.HEX),
    rec_trunc   = ProtoField.bool("fotahil.rec.flags.trunc", "Truncated", 8, nil, 0x01),
    rec_sha     = ProtoField.bool("fotahil.rec.flags.sha", "SHA-256 prefix valid", 8, nil, 0x02),
    rec_len     = ProtoField.uint16("fotahil.rec.len", "Record length", base.DEC),
    rec_proto   = ProtoField.uint8("fotahil.rec.flags.proto", "Link protocol", base.DEC, link_protos, 0x0C),
    rec_spi     = ProtoField.uint8("fotahil.rec.flags.link", "Physical link", base.DEC, phys_links, 0x10),
    rec_devtime = ProtoField.bool("fotahil.rec.flags.devtime", "Timestamp is device time", 8, nil, 0x20),

    rom_unit    = ProtoField.uint8("fotahil.rom.unit", "ROM unit", base.DEC, rom_units),
    rom_sync    = ProtoField.uint8("fotahil.rom.sync", "Sync (autobaud)", base.HEX),
    rom_sof     = ProtoField.uint8("fotahil.rom.sof", "Start of frame", base.HEX),
    rom_cmd     = ProtoField.uint8("fotahil.rom.cmd", "Command", base.HEX, rom_cmds),
    rom_cmd_cpl = ProtoField.uint8("fotahil.rom.cmd_complement", "Command complement", base.HEX),
    rom_addr    = ProtoField.uint32("fotahil.rom.addr", "Address", base.HEX),
    rom_n       = ProtoField.uint16("fotahil.rom.n", "N (count - 1)", base.DEC),
    rom_len     = ProtoField.uint16("fotahil.rom.len", "Byte count (N + 1)", base.DEC),
    rom_data    = ProtoField.bytes("fotahil.rom.data", "Data"),
    rom_cksum   = ProtoField.uint8("fotahil.rom.cksum", "Checksum", base.HEX),
    rom_cksum_calc = ProtoField.uint8("fotahil.rom.cksum.computed", "Computed checksum", base.HEX),
    rom_cksum_status = ProtoField.uint8("fotahil.rom.cksum_status", "Checksum status", base.DEC, crc_status),
    rom_ack     = ProtoField.uint8("fotahil.rom.ack", "Answer", base.HEX, rom_acks),
    rom_version = ProtoField.uint8("fotahil.rom.version", "Bootloader version", base.HEX),
    rom_pid     = ProtoField.uint16("fotahil.rom.pid", "Product ID", base.HEX),
    rom_erase_code = ProtoField.uint16("fotahil.rom.erase.code", "Special erase", base.HEX,
        { [0xFFFF] = "mass erase", [0xFFFE] = "bank 1", [0xFFFD] = "bank 2" }),
    rom_erase_sector = ProtoField.uint16("fotahil.rom.erase.sector", "Sector", base.DEC),
    rom_filler  = ProtoField.bytes("fotahil.rom.filler", "Dummy/filler bytes"),

    frame_index = ProtoField.uint32("fotahil.frame.index", "Frame index", base.DEC),
    frame_garbage = ProtoField.bytes("fotahil.frame.garbage", "Bytes before sync"),
    frame_sync  = ProtoField.uint16("fotahil.frame.sync", "Sync", base.HEX),
    frame_type  = ProtoField.uint8("fotahil.frame.type", "Type", base.HEX, frame_types),
    frame_rsp   = ProtoField.bool("fotahil.frame.response", "Response", 8, nil, 0x80),
    frame_seq   = ProtoField.uint8("fotahil.frame.seq", "Seq", base.DEC),
    frame_len   = ProtoField.uint16("fotahil.frame.len", "Payload length", base.DEC),
    frame_payload = ProtoField.bytes("fotahil.frame.payload", "Payload"),
    frame_status = ProtoField.uint8("fotahil.frame.status", "Status", base.DEC, fota_errs),
    frame_crc   = ProtoField.uint32("fotahil.frame.crc", "CRC-32", base.HEX),
    frame_crc_calc = ProtoField.uint32("fotahil.frame.crc.computed", "Computed CRC-32", base.HEX),
    frame_crc_status = ProtoField.uint8("fotahil.frame.crc.status", "CRC status", base.DEC, crc_status),
    frame_trailing = ProtoField.bytes("fotahil.frame.trailing", "Bytes after frame"),

    hello_proto = ProtoField.uint8("fotahil.hello.proto_version", "Protocol version", base.DEC),
    hello_role  = ProtoField.uint8("fotahil.hello.role", "Role", base.DEC, roles),
    hello_active = ProtoField.uint8("fotahil.hello.active_slot", "Active slot", base.DEC, slots),
    hello_active_ver = ProtoField.uint32("fotahil.hello.active_version", "Active version", base.HEX),
    hello_target = ProtoField.uint8("fotahil.hello.target_slot", "Target slot", base.DEC, slots),
    hello_max_data = ProtoField.uint16("fotahil.hello.max_data", "Max DATA bytes", base.DEC),
    hello_slot_size = ProtoField.uint32("fotahil.hello.slot_size", "Slot size", base.DEC),

    begin_flags = ProtoField.uint8("fotahil.begin.flags", "BEGIN flags", base.HEX),
    begin_fresh = ProtoField.bool("fotahil.begin.fresh", "FRESH", 8, nil, 0x01),
    hdr         = ProtoField.bytes("fotahil.begin.header", "Image header"),
    hdr_magic   = ProtoField.uint32("fotahil.begin.hdr.magic", "Magic", base.HEX),
    hdr_size    = ProtoField.uint16("fotahil.begin.hdr.hdr_size", "Header size", base.DEC),
    hdr_hversion = ProtoField.uint16("fotahil.begin.hdr.hdr_version", "Header version", base.DEC),
    hdr_version = ProtoField.uint32("fotahil.begin.hdr.version", "Image version", base.HEX),
    hdr_load    = ProtoField.uint32("fotahil.begin.hdr.load_addr", "Load address", base.HEX),
    hdr_psize   = ProtoField.uint32("fotahil.begin.hdr.size", "Payload size", base.DEC),
    hdr_flags   = ProtoField.uint32("fotahil.begin.hdr.flags", "Image flags", base.HEX),
    hdr_crc     = ProtoField.uint32("fotahil.begin.hdr.crc32", "Payload CRC-32", base.HEX),
    hdr_sha     = ProtoField.bytes("fotahil.begin.hdr.sha256", "Payload SHA-256"),
    hdr_hcrc    = ProtoField.uint32("fotahil.begin.hdr.hdr_crc32", "Header CRC-32", base.HEX),
    begin_resume = ProtoField.uint32("fotahil.begin.resume_offset", "Resume offset", base.DEC),
    begin_prefix_crc = ProtoField.uint32("fotahil.begin.prefix_crc", "Prefix CRC-32", base.HEX),

    data_offset = ProtoField.uint32("fotahil.data.offset", "Offset", base.DEC),
    data_len    = ProtoField.uint16("fotahil.data.len", "Data length", base.DEC),
    data_bytes  = ProtoField.bytes("fotahil.data.bytes", "Data"),
    data_retrans = ProtoField.bool("fotahil.data.retransmission", "Retransmission"),
    data_next   = ProtoField.uint32("fotahil.data.next_offset", "Next offset", base.DEC),

    fault_kind  = ProtoField.uint8("fotahil.fault.kind", "Fault", base.DEC, fault_kinds),
    fault_frame = ProtoField.uint32("fotahil.fault.frame", "Frame index", base.DEC),
    fault_offset = ProtoField.uint32("fotahil.fault.offset", "Byte offset", base.DEC),
    fault_param = ProtoField.uint32("fotahil.fault.param", "Parameter (stall ms)", base.DEC),

    flash_op    = ProtoField.uint8("fotahil.flash.op", "Operation", base.DEC, flash_ops),
    flash_region = ProtoField.uint8("fotahil.flash.region", "Region", base.DEC, regions),
    flash_verdict = ProtoField.uint8("fotahil.flash.verdict", "Verdict", base.DEC, verdicts),
    flash_torn  = ProtoField.uint8("fotahil.flash.torn", "Torn", base.DEC, torns),
    flash_rc    = ProtoField.uint8("fotahil.flash.rc", "Failure code", base.DEC, fota_errs),
    flash_sector = ProtoField.uint32("fotahil.flash.sector", "Sector", base.DEC),
    flash_addr  = ProtoField.uint32("fotahil.flash.addr", "Address", base.HEX),
    flash_len   = ProtoField.uint32("fotahil.flash.len", "Length", base.DEC),
    flash_seq   = ProtoField.uint32("fotahil.flash.seq", "Op sequence", base.DEC),
    flash_kind_seq = ProtoField.uint32("fotahil.flash.kind_seq", "Op sequence of this kind", base.DEC),
    flash_sha   = ProtoField.bytes("fotahil.flash.sha256_prefix", "SHA-256 prefix"),

    power_event = ProtoField.uint8("fotahil.power.event", "Event", base.DEC, power_events),
    power_value = ProtoField.uint32("fotahil.power.value", "Value", base.HEX),
    power_detail = ProtoField.string("fotahil.power.detail", "Detail"),

    console_text = ProtoField.string("fotahil.console.text", "Console line"),
}
local field_list = {}
for _, v in pairs(f) do field_list[#field_list + 1] = v end
p.fields = field_list

local e = {
    bad_magic = ProtoExpert.new("fotahil.expert.bad_magic", "Not a fota-hil trace record",
        expert.group.MALFORMED, expert.severity.ERROR),
    bad_version = ProtoExpert.new("fotahil.expert.bad_version", "Unsupported trace format version",
        expert.group.MALFORMED, expert.severity.ERROR),
    short = ProtoExpert.new("fotahil.expert.short", "Record or frame cut short",
        expert.group.MALFORMED, expert.severity.ERROR),
    no_sync = ProtoExpert.new("fotahil.expert.no_sync", "No frame sync (A5 5A) found",
        expert.group.MALFORMED, expert.severity.ERROR),
    garbage = ProtoExpert.new("fotahil.expert.garbage", "Bytes outside the frame",
        expert.group.PROTOCOL, expert.severity.NOTE),
    crc = ProtoExpert.new("fotahil.expert.crc", "Frame CRC-32 mismatch",
        expert.group.CHECKSUM, expert.severity.ERROR),
    nack = ProtoExpert.new("fotahil.expert.nack", "NACK from the target",
        expert.group.RESPONSE_CODE, expert.severity.WARN),
    status = ProtoExpert.new("fotahil.expert.status", "Non-zero response status",
        expert.group.RESPONSE_CODE, expert.severity.WARN),
    retrans = ProtoExpert.new("fotahil.expert.retransmission", "DATA retransmission (same offset as the previous DATA)",
        expert.group.SEQUENCE, expert.severity.NOTE),
    fault = ProtoExpert.new("fotahil.expert.fault", "Link fault injected",
        expert.group.PROTOCOL, expert.severity.WARN),
    flash_cut = ProtoExpert.new("fotahil.expert.flash_cut", "Power cut during a flash operation",
        expert.group.SEQUENCE, expert.severity.WARN),
    flash_fail = ProtoExpert.new("fotahil.expert.flash_fail", "Flash operation made to fail",
        expert.group.SEQUENCE, expert.severity.WARN),
    power = ProtoExpert.new("fotahil.expert.power", "Power loss or unplanned reset",
        expert.group.SEQUENCE, expert.severity.NOTE),
    rom_nack = ProtoExpert.new("fotahil.expert.rom_nack", "NACK from the ROM bootloader",
        expert.group.RESPONSE_CODE, expert.severity.WARN),
    rom_cksum = ProtoExpert.new("fotahil.expert.rom_cksum", "ROM bootloader checksum mismatch",
        expert.group.CHECKSUM, expert.severity.ERROR),
    unknown = ProtoExpert.new("fotahil.expert.unknown", "Unknown value",
        expert.group.UNDECODED, expert.severity.WARN),
}
local expert_list = {}
for _, v in pairs(e) do expert_list[#expert_list + 1] = v end
p.experts = expert_list

-- ---- helpers ---------------------------------------------------------
local band, bxor, rshift = bit32.band, bit32.bxor, bit32.rshift

-- CRC-32 IEEE 802.3 (reflected 0xEDB88320, init and final xor 0xFFFFFFFF).
local crc_table = {}
for i = 0, 255 do
    local c = i
    for _ = 1, 8 do
        if band(c, 1) ~= 0 then
            c = bxor(rshift(c, 1), 0xEDB88320)
        else
            c = rshift(c, 1)
        end
    end
    crc_table[i] = c
end

local function crc32(tvb, off, len)
    local c = 0xFFFFFFFF
    for i = off, off + len - 1 do
        c = bxor(crc_table[band(bxor(c, tvb(i, 1):uint()), 0xFF)], rshift(c, 8))
    end
    return bxor(c, 0xFFFFFFFF)
end

local function version_str(v)
    return string.format("%d.%d.%d", rshift(v, 16), band(rshift(v, 8), 0xFF), band(v, 0xFF))
end

-- Per-capture state for the retransmission mark, filled on the first pass.
local retrans_of = {}
local last_data_offset = nil
-- ROM-path context (filled on the first pass, keyed by packet number): a
-- unit's meaning depends on the command before it (AN3155 section 3).
local rom_ctx = {}
local rom_state = {}
function p.init()
    retrans_of = {}
    last_data_offset = nil
    rom_ctx = {}
    rom_state = {}
end

-- ---- frames ----------------------------------------------------------
local function status_item(tree, tvb, off, info)
    local st = tvb(off, 1):uint()
    local it = tree:add(f.frame_status, tvb(off, 1))
    if st ~= 0 then
        it:add_proto_expert_info(e.status, "Status " .. (fota_errs[st] or tostring(st)))
    end
    info[#info + 1] = fota_errs[st] or ("status " .. st)
    return st
end

-- Decode the payload [po, po + plen) of a frame of type t. avail: bytes present.
local function dissect_payload(tvb, pinfo, tree, t, po, plen, info)
    local function have(n) return plen >= n end
    if t == 0x81 then -- HELLO_RSP
        status_item(tree, tvb, po, info)
        if have(15) then
            tree:add(f.hello_proto, tvb(po + 1, 1))
            tree:add(f.hello_role, tvb(po + 2, 1))
            tree:add(f.hello_active, tvb(po + 3, 1))
            local v = tvb(po + 4, 4):le_uint()
            tree:add_le(f.hello_active_ver, tvb(po + 4, 4)):append_text(" (" .. version_str(v) .. ")")
            tree:add(f.hello_target, tvb(po + 8, 1))
            tree:add_le(f.hello_max_data, tvb(po + 9, 2))
            tree:add_le(f.hello_slot_size, tvb(po + 11, 4))
            info[#info + 1] = "role=" .. (roles[tvb(po + 2, 1):uint()] or "?") ..
                " active=" .. (slots[tvb(po + 3, 1):uint()] or "?") ..
                " target=" .. (slots[tvb(po + 8, 1):uint()] or "?")
        end
    elseif t == 0x03 then -- BEGIN
        local ft = tree:add(f.begin_flags, tvb(po, 1))
        ft:add(f.begin_fresh, tvb(po, 1))
        if band(tvb(po, 1):uint(), 0x01) ~= 0 then info[#info + 1] = "FRESH" end
        if have(1 + 512) then
            local h = po + 1
            local ht = tree:add(f.hdr, tvb(h, 512))
            ht:add_le(f.hdr_magic, tvb(h + 0x00, 4))
            ht:add_le(f.hdr_size, tvb(h + 0x04, 2))
            ht:add_le(f.hdr_hversion, tvb(h + 0x06, 2))
            local v = tvb(h + 0x08, 4):le_uint()
            ht:add_le(f.hdr_version, tvb(h + 0x08, 4)):append_text(" (" .. version_str(v) .. ")")
            ht:add_le(f.hdr_load, tvb(h + 0x0C, 4))
            ht:add_le(f.hdr_psize, tvb(h + 0x10, 4))
            ht:add_le(f.hdr_flags, tvb(h + 0x14, 4))
            ht:add_le(f.hdr_crc, tvb(h + 0x18, 4))
            ht:add(f.hdr_sha, tvb(h + 0x1C, 32))
            ht:add_le(f.hdr_hcrc, tvb(h + 0x1FC, 4))
            info[#info + 1] = "version=" .. version_str(v) ..
                string.format(" load=0x%08x size=%d", tvb(h + 0x0C, 4):le_uint(), tvb(h + 0x10, 4):le_uint())
        end
    elseif t == 0x83 then -- BEGIN_RSP
        status_item(tree, tvb, po, info)
        if have(9) then
            tree:add_le(f.begin_resume, tvb(po + 1, 4))
            tree:add_le(f.begin_prefix_crc, tvb(po + 5, 4))
            info[#info + 1] = "resume=" .. tvb(po + 1, 4):le_uint()
        end
    elseif t == 0x04 then -- DATA
        if have(4) then
            local off = tvb(po, 4):le_uint()
            tree:add_le(f.data_offset, tvb(po, 4))
            local dl = plen - 4
            tree:add(f.data_len, tvb(po, plen), dl):set_generated()
            if dl > 0 then tree:add(f.data_bytes, tvb(po + 4, dl)) end
            info[#info + 1] = "off=" .. off .. " len=" .. dl
            if not pinfo.visited then
                retrans_of[pinfo.number] = (last_data_offset == off)
                last_data_offset = off
            end
            if retrans_of[pinfo.number] then
                local it = tree:add(f.data_retrans, tvb(po, 4), true)
                it:set_generated()
                it:add_proto_expert_info(e.retrans)
                info[#info + 1] = "[retransmission]"
            end
        end
    elseif t == 0x84 then -- DATA_RSP
        status_item(tree, tvb, po, info)
        if have(5) then
            tree:add_le(f.data_next, tvb(po + 1, 4))
            info[#info + 1] = "next=" .. tvb(po + 1, 4):le_uint()
        end
    elseif t == 0xFF then -- NACK
        local it = tree:add(f.frame_status, tvb(po, 1))
        local st = tvb(po, 1):uint()
        it:add_proto_expert_info(e.nack, "NACK " .. (fota_errs[st] or tostring(st)))
        info[#info + 1] = fota_errs[st] or ("status " .. st)
    elseif band(t, 0x80) ~= 0 then -- other responses: status only
        status_item(tree, tvb, po, info)
    elseif plen > 0 then
        tree:add(f.frame_payload, tvb(po, plen))
    end
end

-- One update-protocol frame in tvb[off ..]; dir 1 = host->target.
local function dissect_frame(tvb, pinfo, tree, off, dir)
    local n = tvb:len() - off
    local s = nil
    for i = off, tvb:len() - 2 do
        if tvb(i, 1):uint() == 0xA5 and tvb(i + 1, 1):uint() == 0x5A then
            s = i
            break
        end
    end
    local arrow = (dir == 1) and "H->T" or ((dir == 2) and "T->H" or "?")
    if s == nil then
        if n > 0 then
            tree:add(f.frame_garbage, tvb(off, n)):add_proto_expert_info(e.no_sync)
        else
            tree:add_proto_expert_info(e.no_sync)
        end
        return arrow .. " no frame (" .. n .. " bytes)"
    end
    if s > off then
        tree:add(f.frame_garbage, tvb(off, s - off)):add_proto_expert_info(e.garbage)
    end
    local avail = tvb:len() - s
    tree:add(f.frame_sync, tvb(s, 2))
    if avail < 6 then
        tree:add_proto_expert_info(e.short, "Frame header cut short")
        return arrow .. " short frame"
    end
    local t = tvb(s + 2, 1):uint()
    local tn = frame_types[t] or string.format("0x%02x", t)
    local tt = tree:add(f.frame_type, tvb(s + 2, 1))
    tt:add(f.frame_rsp, tvb(s + 2, 1))
    if frame_types[t] == nil then tt:add_proto_expert_info(e.unknown, "Unknown frame type") end
    tree:add(f.frame_seq, tvb(s + 3, 1))
    local plen = tvb(s + 4, 2):le_uint()
    tree:add_le(f.frame_len, tvb(s + 4, 2))
    local info = { arrow, tn, "seq=" .. tvb(s + 3, 1):uint() }
    local po = s + 6
    local present = math.min(plen, avail - 6)
    if present < plen or avail < 6 + plen + 4 then
        tree:add_proto_expert_info(e.short, "Frame cut short")
        info[#info + 1] = "[cut short]"
    end
    if present > 0 and present == plen then
        dissect_payload(tvb, pinfo, tree, t, po, plen, info)
    elseif present > 0 then
        tree:add(f.frame_payload, tvb(po, present))
    end
    if avail >= 6 + plen + 4 then
        local co = po + plen
        local got = tvb(co, 4):le_uint()
        local calc = crc32(tvb, s + 2, 4 + plen)
        local ci = tree:add_le(f.frame_crc, tvb(co, 4))
        tree:add(f.frame_crc_calc, tvb(co, 4), calc):set_generated()
        local sti = tree:add(f.frame_crc_status, tvb(co, 4), (got == calc) and 1 or 0)
        sti:set_generated()
        if got ~= calc then
            ci:add_proto_expert_info(e.crc, string.format("Frame CRC-32 0x%08x, computed 0x%08x", got, calc))
            info[#info + 1] = "[BAD CRC]"
        end
        local rest = tvb:len() - (co + 4)
        if rest > 0 then
            tree:add(f.frame_trailing, tvb(co + 4, rest)):add_proto_expert_info(e.garbage)
        end
    end
    return table.concat(info, " ")
end


-- ---- ST ROM bootloader (AN3155 USART, AN4286 SPI) ----------------------
-- Phases of the host's next unit.
local PH_CMD, PH_ADDR, PH_READ_LEN, PH_WRITE, PH_ERASE = 2, 3, 4, 5, 6

local function xor8(tvb, off, len)
    local x = 0
    for i = off, off + len - 1 do x = bxor(x, tvb(i, 1):uint()) end
    return x
end

-- Checksum item with status and expert info on mismatch.
local function rom_cksum_item(tree, tvb, off, calc, info)
    local got = tvb(off, 1):uint()
    local ci = tree:add(f.rom_cksum, tvb(off, 1))
    tree:add(f.rom_cksum_calc, tvb(off, 1), calc):set_generated()
    tree:add(f.rom_cksum_status, tvb(off, 1), (got == calc) and 1 or 0):set_generated()
    if got ~= calc then
        ci:add_proto_expert_info(e.rom_cksum, string.format("Checksum 0x%02x, computed 0x%02x", got, calc))
        info[#info + 1] = "[BAD CHECKSUM]"
    end
end

local function rom_ack_item(tree, tvb, off, info)
    local a = tvb(off, 1):uint()
    local it = tree:add(f.rom_ack, tvb(off, 1))
    if a == ROM_NACK then
        it:add_proto_expert_info(e.rom_nack)
    end
    info[#info + 1] = rom_acks[a] or string.format("0x%02x", a)
    return a
end

-- The meaning of this packet: computed once (first pass) from the stream
-- state of its protocol, then kept for later passes.
local function rom_context(pinfo, proto, dir, tvb, off, n)
    local c = rom_ctx[pinfo.number]
    if c ~= nil then return c end
    local st = rom_state[proto]
    if st == nil then
        st = { phase = PH_CMD, cmd = nil, answered = true, last_phase = nil }
        rom_state[proto] = st
    end
    c = {}
    if dir == 1 then
        local b0 = n > 0 and tvb(off, 1):uint() or nil
        if not st.answered then st.phase = PH_CMD end -- unanswered (silent): the ROM waits for a command
        if n == 1 and (b0 == ROM_SYNC or b0 == ROM_SOF) then
            c.unit = 1
            st.phase = PH_CMD
        elseif n == 1 and proto == 2 and b0 == ROM_ACK then
            c.unit = 8 -- AN4286 ACK procedure: the host acknowledges
        else
            c.unit = st.phase
            local cmdlen = (proto == 2 and b0 == ROM_SOF) and 3 or 2
            if c.unit ~= PH_CMD and n == cmdlen and
                band(bxor(tvb(off + n - 2, 1):uint(), tvb(off + n - 1, 1):uint()), 0xFF) == 0xFF and
                not (c.unit == PH_READ_LEN) then
                c.unit = PH_CMD -- a command where data was expected: the host gave up
            end
            c.cmd = st.cmd
            if c.unit == PH_CMD then
                c.cmd = tvb(off + cmdlen - 2, 1):uint()
                st.cmd = c.cmd
                if c.cmd == 0x11 or c.cmd == 0x21 or c.cmd == 0x31 then
                    st.phase = PH_ADDR
                elseif c.cmd == 0x44 then
                    st.phase = PH_ERASE
                else
                    st.phase = PH_CMD
                end
            elseif c.unit == PH_ADDR then
                st.phase = (st.cmd == 0x11) and PH_READ_LEN or ((st.cmd == 0x31) and PH_WRITE or PH_CMD)
            else
                st.phase = PH_CMD
            end
            st.answered = false
        end
        if c.unit == 1 then st.answered = false end
        st.last_unit = c.unit
        st.last_cmd = c.cmd
    else
        c.unit = 7
        c.answers = st.last_unit
        c.cmd = st.last_cmd
        st.answered = true
        -- a NACK (after any filler) sends the ROM back to waiting for a command
        for i = off, off + n - 1 do
            local b = tvb(i, 1):uint()
            if b == ROM_NACK then st.phase = PH_CMD; break end
            if b == ROM_ACK then break end
        end
    end
    rom_ctx[pinfo.number] = c
    return c
end

local function cmd_name(c)
    if c == nil then return "?" end
    return rom_cmds[c] or string.format("0x%02x", c)
end

-- One ROM unit in tvb[off ..]; proto 1 = AN3155, 2 = AN4286.
local function dissect_rom(tvb, pinfo, tree, off, dir, proto)
    local n = tvb:len() - off
    local arrow = (dir == 1) and "H->T" or ((dir == 2) and "T->H" or "?")
    local info = { arrow, link_protos[proto] or "?" }
    if n <= 0 then
        tree:add_proto_expert_info(e.short, "Empty ROM unit")
        return table.concat(info, " ") .. " (empty)"
    end
    local c = rom_context(pinfo, proto, dir, tvb, off, n)
    tree:add(f.rom_unit, tvb(off, n), c.unit):set_generated()
    if c.unit == 1 then
        if tvb(off, 1):uint() == ROM_SOF then
            tree:add(f.rom_sof, tvb(off, 1))
        else
            tree:add(f.rom_sync, tvb(off, 1))
        end
        info[#info + 1] = "SYNC"
    elseif c.unit == 8 then
        tree:add(f.rom_ack, tvb(off, 1))
        info[#info + 1] = "ACK (host)"
    elseif c.unit == PH_CMD then
        local o = off
        if proto == 2 and tvb(o, 1):uint() == ROM_SOF and n >= 3 then
            tree:add(f.rom_sof, tvb(o, 1))
            o = o + 1
        end
        if off + n - o < 2 then
            tree:add_proto_expert_info(e.short, "Command cut short")
            info[#info + 1] = "[cut short]"
            return table.concat(info, " ")
        end
        local cmd = tvb(o, 1):uint()
        local ci = tree:add(f.rom_cmd, tvb(o, 1))
        if rom_cmds[cmd] == nil then ci:add_proto_expert_info(e.unknown, "Unknown ROM command") end
        ci:append_text(" (" .. (rom_cmd_long[cmd] or "?") .. ")")
        tree:add(f.rom_cmd_cpl, tvb(o + 1, 1))
        info[#info + 1] = cmd_name(cmd)
        rom_cksum_item(tree, tvb, o + 1, bxor(cmd, 0xFF), info)
    elseif c.unit == PH_ADDR then
        if n < 5 then
            tree:add_proto_expert_info(e.short, "Address cut short")
            return table.concat(info, " ") .. " " .. cmd_name(c.cmd) .. " address [cut short]"
        end
        tree:add(f.rom_addr, tvb(off, 4))
        info[#info + 1] = cmd_name(c.cmd) .. string.format(" addr=0x%08x", tvb(off, 4):uint())
        rom_cksum_item(tree, tvb, off + 4, xor8(tvb, off, 4), info)
    elseif c.unit == PH_READ_LEN then
        if n < 2 then
            tree:add_proto_expert_info(e.short, "Length cut short")
            return table.concat(info, " ") .. " RM length [cut short]"
        end
        local nn = tvb(off, 1):uint()
        tree:add(f.rom_n, tvb(off, 1))
        tree:add(f.rom_len, tvb(off, 1), nn + 1):set_generated()
        info[#info + 1] = "RM len=" .. (nn + 1)
        rom_cksum_item(tree, tvb, off + 1, bxor(nn, 0xFF), info)
    elseif c.unit == PH_WRITE then
        local nn = tvb(off, 1):uint()
        tree:add(f.rom_n, tvb(off, 1))
        tree:add(f.rom_len, tvb(off, 1), nn + 1):set_generated()
        info[#info + 1] = "WM len=" .. (nn + 1)
        if n < nn + 3 then
            if n > 1 then tree:add(f.rom_data, tvb(off + 1, n - 1)) end
            tree:add_proto_expert_info(e.short, "Write data cut short")
            info[#info + 1] = "[cut short]"
        else
            tree:add(f.rom_data, tvb(off + 1, nn + 1))
            rom_cksum_item(tree, tvb, off + nn + 2, xor8(tvb, off, nn + 2), info)
        end
    elseif c.unit == PH_ERASE then
        if n < 3 then
            tree:add_proto_expert_info(e.short, "Erase cut short")
            return table.concat(info, " ") .. " EER [cut short]"
        end
        local nn = tvb(off, 2):uint()
        if nn >= 0xFFF0 then
            tree:add(f.rom_erase_code, tvb(off, 2))
            info[#info + 1] = string.format("EER special 0x%04x", nn)
            rom_cksum_item(tree, tvb, off + 2, xor8(tvb, off, 2), info)
        else
            tree:add(f.rom_n, tvb(off, 2))
            tree:add(f.rom_len, tvb(off, 2), nn + 1):set_generated()
            info[#info + 1] = "EER sectors=" .. (nn + 1)
            if n < 2 + 2 * (nn + 1) + 1 then
                tree:add_proto_expert_info(e.short, "Sector list cut short")
                info[#info + 1] = "[cut short]"
            else
                for i = 0, nn do
                    tree:add(f.rom_erase_sector, tvb(off + 2 + 2 * i, 2))
                end
                rom_cksum_item(tree, tvb, off + 2 + 2 * (nn + 1), xor8(tvb, off, 2 + 2 * (nn + 1)), info)
            end
        end
    else -- answer
        local o = off
        -- AN4286: the slave clocks dummy bytes until its answer is ready
        while o < off + n and tvb(o, 1):uint() ~= ROM_ACK and tvb(o, 1):uint() ~= ROM_NACK do
            o = o + 1
        end
        if o > off then
            tree:add(f.rom_filler, tvb(off, o - off))
        end
        if o >= off + n then
            tree:add_proto_expert_info(e.short, "No ACK or NACK in the answer")
            return table.concat(info, " ") .. " no answer byte"
        end
        local a = rom_ack_item(tree, tvb, o, info)
        o = o + 1
        local rest = off + n - o
        if a == ROM_ACK and c.answers == PH_CMD and rest > 0 then
            if c.cmd == 0x00 and rest >= 2 then -- GET: N, version, N commands, ACK
                local nn = tvb(o, 1):uint()
                tree:add(f.rom_n, tvb(o, 1))
                tree:add(f.rom_version, tvb(o + 1, 1))
                local cnt = math.min(nn, rest - 2)
                if cnt > 0 then tree:add(f.rom_data, tvb(o + 2, cnt)) end
                info[#info + 1] = string.format("GET v%x.%x %d commands", rshift(tvb(o + 1, 1):uint(), 4),
                    band(tvb(o + 1, 1):uint(), 0x0F), nn)
                o = o + 2 + cnt
            elseif c.cmd == 0x01 and rest >= 3 then -- GV: version, 2 option bytes, ACK
                tree:add(f.rom_version, tvb(o, 1))
                tree:add(f.rom_data, tvb(o + 1, 2))
                info[#info + 1] = string.format("GV v%x.%x", rshift(tvb(o, 1):uint(), 4), band(tvb(o, 1):uint(), 0x0F))
                o = o + 3
            elseif c.cmd == 0x02 and rest >= 3 then -- GID: N = 1, PID, ACK
                tree:add(f.rom_n, tvb(o, 1))
                tree:add(f.rom_pid, tvb(o + 1, 2))
                info[#info + 1] = string.format("GID pid=0x%04x", tvb(o + 1, 2):uint())
                o = o + 3
            end
            if o < off + n then
                rom_ack_item(tree, tvb, o, info)
                o = o + 1
            end
        elseif a == ROM_ACK and c.answers == PH_READ_LEN and rest > 0 then
            tree:add(f.rom_data, tvb(o, rest))
            tree:add(f.rom_len, tvb(o, rest), rest):set_generated()
            info[#info + 1] = "data len=" .. rest
            o = o + rest
        end
        if o < off + n then
            tree:add(f.rom_filler, tvb(o, off + n - o))
        end
        info[#info + 1] = "(to " .. (rom_units[c.answers] or "?") ..
            ((c.cmd ~= nil and c.answers ~= 1) and (" " .. cmd_name(c.cmd)) or "") .. ")"
    end
    return table.concat(info, " ")
end

-- ---- records ---------------------------------------------------------
function p.dissector(tvb, pinfo, root)
    pinfo.cols.protocol = "FOTA-HIL"
    local tree = root:add(p, tvb())
    local n = tvb:len()
    if n < HDR_SIZE then
        tree:add_proto_expert_info(e.short, "Record shorter than its header")
        return n
    end
    local mv = tvb(0, 1):uint()
    local mi = tree:add(f.rec_magic, tvb(0, 1))
    tree:add(f.rec_version, tvb(0, 1))
    if rshift(mv, 4) ~= TRACE_MAGIC then
        mi:add_proto_expert_info(e.bad_magic)
        pinfo.cols.info = "not a fota-hil record"
        return n
    end
    if band(mv, 0x0F) ~= TRACE_VERSION then
        mi:add_proto_expert_info(e.bad_version)
        pinfo.cols.info = "trace format version " .. band(mv, 0x0F)
        return n
    end
    local kind = tvb(1, 1):uint()
    local dir = tvb(2, 1):uint()
    tree:add(f.rec_kind, tvb(1, 1))
    tree:add(f.rec_dir, tvb(2, 1))
    local fl = tree:add(f.rec_flags, tvb(3, 1))
    fl:add(f.rec_trunc, tvb(3, 1))
    fl:add(f.rec_sha, tvb(3, 1))
    fl:add(f.rec_devtime, tvb(3, 1))
    local proto = 0
    if kind == 1 or kind == 2 then
        fl:add(f.rec_proto, tvb(3, 1))
        fl:add(f.rec_spi, tvb(3, 1))
        proto = rshift(band(tvb(3, 1):uint(), 0x0C), 2)
    end
    local rl = tree:add_le(f.rec_len, tvb(4, 2))
    if tvb(4, 2):le_uint() ~= n then
        rl:add_proto_expert_info(e.short, "Record length disagrees with the packet")
    end
    if dir == 1 then
        pinfo.cols.src = "host"; pinfo.cols.dst = "target"
    elseif dir == 2 then
        pinfo.cols.src = "target"; pinfo.cols.dst = "host"
    end
    local b = HDR_SIZE
    local bl = n - HDR_SIZE
    local info
    if kind == 1 then -- FRAME
        if bl < 4 then
            tree:add_proto_expert_info(e.short)
            return n
        end
        tree:add_le(f.frame_index, tvb(b, 4))
        if proto == 1 or proto == 2 or proto == 3 then
            info = dissect_rom(tvb, pinfo, tree, b + 4, dir, proto)
        else
            info = dissect_frame(tvb, pinfo, tree, b + 4, dir)
        end
        if band(tvb(3, 1):uint(), 0x10) ~= 0 then info = info .. " [SPI]" end
        if band(tvb(3, 1):uint(), 0x01) ~= 0 then
            tree:add_proto_expert_info(e.short, "Frame bytes truncated by the trace writer")
        end
    elseif kind == 2 then -- FAULT
        if bl < 13 then
            tree:add_proto_expert_info(e.short)
            return n
        end
        local k = tvb(b, 1):uint()
        local ki = tree:add(f.fault_kind, tvb(b, 1))
        tree:add_le(f.fault_frame, tvb(b + 1, 4))
        local fo = tvb(b + 5, 4):le_uint()
        if fo ~= 0xFFFFFFFF then tree:add_le(f.fault_offset, tvb(b + 5, 4)) end
        tree:add_le(f.fault_param, tvb(b + 9, 4))
        local what = fault_kinds[k] or "?"
        ki:add_proto_expert_info(e.fault, "Link fault: " .. what)
        local unit = (k >= 5 and k <= 9) and " transfer " or ((k >= 10) and " command #" or " frame ")
        info = "FAULT " .. what .. " " .. (dirs[dir] or "?") .. unit .. tvb(b + 1, 4):le_uint()
        if k >= 10 then info = info .. " " .. cmd_name(tvb(b + 9, 4):le_uint()) end
        if fo ~= 0xFFFFFFFF then info = info .. " offset " .. fo end
        if k == 4 then info = info .. " " .. tvb(b + 9, 4):le_uint() .. " ms" end
    elseif kind == 3 then -- FLASH
        if bl < 36 then
            tree:add_proto_expert_info(e.short)
            return n
        end
        local op = tvb(b, 1):uint()
        local verdict = tvb(b + 2, 1):uint()
        tree:add(f.flash_op, tvb(b, 1))
        tree:add(f.flash_region, tvb(b + 1, 1))
        local vi = tree:add(f.flash_verdict, tvb(b + 2, 1))
        tree:add(f.flash_torn, tvb(b + 3, 1))
        tree:add(f.flash_rc, tvb(b + 4, 1))
        tree:add_le(f.flash_sector, tvb(b + 8, 4))
        tree:add_le(f.flash_addr, tvb(b + 12, 4))
        tree:add_le(f.flash_len, tvb(b + 16, 4))
        tree:add_le(f.flash_seq, tvb(b + 20, 4))
        tree:add_le(f.flash_kind_seq, tvb(b + 24, 4))
        if band(tvb(3, 1):uint(), 0x02) ~= 0 then
            tree:add(f.flash_sha, tvb(b + 28, 8))
        end
        if op == 1 then
            info = "FLASH erase sector " .. tvb(b + 8, 4):le_uint()
        else
            info = string.format("FLASH program 0x%08x +%d", tvb(b + 12, 4):le_uint(), tvb(b + 16, 4):le_uint())
        end
        info = info .. " (" .. (regions[tvb(b + 1, 1):uint()] or "?") .. ", #" .. tvb(b + 20, 4):le_uint() .. ")"
        if verdict == 1 then
            local torn = torns[tvb(b + 3, 1):uint()] or "?"
            vi:add_proto_expert_info(e.flash_cut, "Power cut, torn " .. torn)
            info = info .. " CUT torn=" .. torn
        elseif verdict == 2 then
            local rc = fota_errs[tvb(b + 4, 1):uint()] or "?"
            vi:add_proto_expert_info(e.flash_fail, "Flash operation failed with " .. rc)
            info = info .. " FAILED " .. rc
        elseif verdict ~= 0 then
            vi:add_proto_expert_info(e.unknown, "Unknown verdict")
        end
    elseif kind == 4 then -- POWER
        if bl < 8 then
            tree:add_proto_expert_info(e.short)
            return n
        end
        local ev = tvb(b, 1):uint()
        local ei = tree:add(f.power_event, tvb(b, 1))
        tree:add_le(f.power_value, tvb(b + 4, 4))
        info = "POWER " .. (power_events[ev] or "?")
        if ev == 6 then
            info = info .. string.format(" 0x%08x", tvb(b + 4, 4):le_uint())
        elseif ev == 8 then
            info = info .. " " .. tvb(b + 4, 4):le_uint() .. " ms"
        end
        if ev == 2 or ev == 4 or ev == 7 then
            ei:add_proto_expert_info(e.power)
        end
        if bl > 8 then
            tree:add(f.power_detail, tvb(b + 8, bl - 8))
            info = info .. ": " .. tvb(b + 8, bl - 8):string()
        end
    elseif kind == 5 then -- CONSOLE
        if bl > 0 then
            tree:add(f.console_text, tvb(b, bl))
            info = "CONSOLE " .. tvb(b, bl):string()
        else
            info = "CONSOLE (empty line)"
        end
    else
        tree:add_proto_expert_info(e.unknown, "Unknown record kind " .. kind)
        info = "record kind " .. kind
    end
    pinfo.cols.info = info
    return n
end

-- DLT_USER0 = LINKTYPE 147 = WTAP_ENCAP_USER0 (45). Wireshark 4.0 has
-- wtap_encaps.USER0; older releases only the deprecated wtap table.
local encap = (wtap_encaps and wtap_encaps.USER0) or (wtap and wtap.USER0) or 45
DissectorTable.get("wtap_encap"):add(encap, p)
