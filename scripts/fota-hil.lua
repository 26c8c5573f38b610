-- fota-hil.lua: Wireshark/tshark dissector for fota-hil run traces
-- (harness/trace.h, docs/TRACE.md): pcap files of link type DLT_USER0
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
    [16] = "EBUSY", [17] = "ECONN", [18] = "ENOTSUP",
}
local roles = { [1] = "bootloader", [2] = "app" }
local slots = { [0] = "A", [1] = "B", [0xFF] = "none" }
local crc_status = { [0] = "Bad", [1] = "Good", [2] = "Unverified" }
local fault_kinds = { [1] = "corrupt", [2] = "drop", [3] = "disconnect", [4] = "stall" }
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
function p.init()
    retrans_of = {}
    last_data_offset = nil
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
        info = dissect_frame(tvb, pinfo, tree, b + 4, dir)
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
        info = "FAULT " .. what .. " " .. (dirs[dir] or "?") .. " frame " .. tvb(b + 1, 4):le_uint()
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
