#!/usr/bin/env python3
"""Rebuild the seed corpora in tests/fuzz/corpus/ from real artefacts.

Usage: tests/fuzz/make-seeds.py TRACE.pcap [TRACE.pcap ...]
  (traces of a scenario run, e.g. build/work/<id>/trace.pcap; build the
  firmware first: images come from build/images/)

proto: the frames of the traces (one per type and direction, plus the
first frames of the session as one stream); image: a mode byte (1: fix the
header CRC) and each small image in build/images/; image_tlv: the TLV area
of each small signed image, after its protected length (u16); meta: metadata logs as
the bootloader writes them; scenario: scenarios/*.yaml; board_profile:
tests/board/data/*.yaml; trace: the traces, cut to their first 40 records.
Crash reproducers (crash-*) already in the corpus are kept.
"""
import glob, os, shutil, struct, sys, zlib

OUT = "tests/fuzz/corpus"


def put(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def pcap_records(path):
    with open(path, "rb") as f:
        blob = f.read()
    off, recs = 24, []
    while off + 16 <= len(blob):
        incl = struct.unpack_from("<I", blob, off + 8)[0]
        recs.append((blob[off:off + 16], blob[off + 16:off + 16 + incl]))
        off += 16 + incl
    return blob[:24], recs


def seeds_from_traces(paths):
    seen, stream = set(), b""
    for n, path in enumerate(paths):
        head, recs = pcap_records(path)
        cut = head + b"".join(h + d for h, d in recs[:40])
        put("trace", "trace-%d.pcap" % n, cut)
        for _, d in recs:
            if len(d) < 10 or d[1] != 1:  # HIL_TRACE_FRAME
                continue
            frame = d[10:]
            if len(frame) < 10 or frame[0] != 0xA5:
                continue
            key = (d[2], frame[2])
            if len(stream) < 4096:
                stream += frame
            if key not in seen:
                seen.add(key)
                put("proto", "frame-%d-%02x.bin" % (d[2], frame[2]), frame)
    put("proto", "stream.bin", stream)


def meta_record(seq, active, trial, slots):
    body = struct.pack("<IIBB6x", 0x4154454D, seq, active, trial)
    for ver, size, crc, state in slots:
        body += struct.pack("<IIIB3x", ver, size, crc, state)
    body += bytes(12)
    return body + struct.pack("<I", zlib.crc32(body))


def seeds_meta():
    a, b = (0x010000, 3000, 0x1234, 3), (0x020000, 5000, 0x5678, 1)
    log = meta_record(1, 0, 0xFF, [a, (0, 0, 0, 0)])
    log += meta_record(2, 0, 1, [a, b])
    log += meta_record(3, 0, 1, [a, b[:3] + (2,)])
    put("meta", "log-3.bin", log)
    put("meta", "one.bin", meta_record(7, 1, 0xFF, [(0x010000, 1, 2, 3), (0x030000, 4, 5, 3)]))
    torn = meta_record(9, 0, 0xFF, [a, b])[:40] + b"\xff" * 24
    put("meta", "torn.bin", log + torn)
    other = b"\xff" * 0x4000 + meta_record(5, 1, 0xFF, [a, b[:3] + (3,)])
    put("meta", "sector1.bin", log + other[len(log):])


def main():
    seeds_from_traces(sys.argv[1:])
    for img in sorted(glob.glob("build/images/*.img")):
        if os.path.getsize(img) <= 8192:
            with open(img, "rb") as f:
                data = f.read()
            put("image", os.path.basename(img), b"\x00" + data)
            size, tlv, prot = struct.unpack_from("<I", data, 0x10)[0], *struct.unpack_from("<II", data, 0x3C)
            if 0 < tlv <= len(data) - 512 - size:
                area = data[512 + size:512 + size + tlv]
                put("image_tlv", os.path.basename(img) + ".tlv", struct.pack("<H", prot) + area)
    seeds_meta()
    for y in sorted(glob.glob("scenarios/*.yaml")):
        shutil.copy(y, os.path.join(OUT, "scenario", os.path.basename(y)))
    for y in sorted(glob.glob("tests/board/data/*.yaml")):
        shutil.copy(y, os.path.join(OUT, "board_profile", os.path.basename(y)))


if __name__ == "__main__":
    main()
