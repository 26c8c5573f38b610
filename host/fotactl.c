/*
 * fotactl: pack, inspect and send fota-hil images (docs/ARCHITECTURE.md).
 * A thin command line over libfotahost; see usage() for the synopsis and
 * the exit codes, which scripts and the harness rely on.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fota/errors.h"
#include "fota/meta.h"
#include "fota/proto.h"
#include "fotahost/image.h"
#include "fotahost/sign.h"
#include "fotahost/link.h"
#include "fotahost/update.h"
#include "fotactl_json.h"

#define FOTACTL_VERSION "1.0.0"

/* Exit codes (documented in usage()). NOTE: scripts depend on them. */
enum {
    EXIT_OK_ = 0,
    EXIT_REFUSED = 1, /* target refused, image failed verification, local slot refusal */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_LINK = 3,    /* cannot open the port, timeout, link closed, protocol error */
    EXIT_INPUT = 4,   /* cannot read/write a file, app binary rejected by pack */
    EXIT_INTERNAL = 5 /* out of memory */
};

static const char *prog = "fotactl";

int fotactl_cmd_rom(int argc, char **argv);
int fotactl_cmd_sign(int argc, char **argv);   /* host/fotactl_sign.c */
int fotactl_cmd_pubkey(int argc, char **argv); /* host/fotactl_sign.c */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fotactl pack --slot A|B --version X.Y.Z --in APP.bin --out APP.img [--force-sha256 HEX]\n"
        "                    [--key KEY.pem] [--security-counter N]\n"
        "       fotactl sign --key KEY.pem [--security-counter N] [--out OUT.img] IMG\n"
        "       fotactl pubkey --key KEY.pem [--c]\n"
        "       fotactl info IMG\n"
        "       fotactl update --port PORT [--baud N] [--timeout-ms N] [--retries N] [--force] [--fresh]\n"
        "                      [--background] [--hello-tries N] [--strict] [--json PATH] [-v] [-q] IMG\n"
        "       fotactl hello --port PORT [--baud N] [--hello-tries N] [-v]\n"
        "       fotactl rom {install|id|go} --port PORT [--proto an3155] ...   (fotactl rom --help)\n"
        "       fotactl --help | --version\n"
        "\n"
        "commands:\n"
        "  pack    wrap a raw application binary linked for a slot into an image (512-byte header:\n"
        "          magic, sizes, version, load address, CRC-32, SHA-256, header CRC). The vector table\n"
        "          is checked: initial SP inside SRAM, reset vector (Thumb) inside the slot.\n"
        "          --force-sha256 HEX writes HEX (64 digits) as the digest: a negative-test image.\n"
        "          --key signs the image (ECDSA-P256, as fotactl sign); without it the image is unsigned\n"
        "          and a bootloader refuses it (ESIG).\n"
        "  sign    sign an image (in place, or into --out): TLV area with the security counter (default 0),\n"
        "          the image digest, the key hash and the ECDSA-P256 signature (docs/SECURITY.md).\n"
        "  pubkey  print the key's public half as hex, or as the C file the bootloader is built with (--c).\n"
        "  info    print and verify every header field and the payload; non-zero exit if anything is bad.\n"
        "  update  send IMG to the target: HELLO (retried every 100 ms), ENTER_UPDATE if an application\n"
        "          answers, BEGIN (resumes where the target's flash stopped if its prefix CRC matches\n"
        "          ours, else FRESH), DATA (stop-and-wait, retransmit on NACK/timeout), END.\n"
        "          Refuses an image linked for a slot other than the target slot unless --force.\n"
        "          A header that fails verification is refused; a payload CRC/SHA-256 mismatch is\n"
        "          reported and the image sent anyway so the target's own check is exercised\n"
        "          (--strict refuses it). --force sends any image with a slot load address as it is,\n"
        "          a truncated one too (a short transfer, for tests), after a loud WARNING.\n"
        "  hello   say HELLO and print what the target answers.\n"
        "\n"
        "options:\n"
        "  --port PORT        serial device or pty (/dev/ttyUSB0, /dev/pts/3), unix:/path, tcp:host:port\n"
        "  --baud N           serial speed in bits/s (default %u)\n"
        "  --timeout-ms N     response timeout per request in ms (default %u; BEGIN/END: %u)\n"
        "  --retries N        retransmissions per request (default %u)\n"
        "  --hello-tries N    HELLO attempts, %u ms each (default %u)\n"
        "  --force            send even if the target updates another slot, the image is too large, or it\n"
        "                     fails inspection (truncated, bad header): sent as it is, for tests\n"
        "  --fresh            never resume: BEGIN FRESH\n"
        "  --background       update: a running application that answers HELLO is sent BEGIN/DATA/END itself\n"
        "                     (no ENTER_UPDATE): it writes its inactive slot while it keeps running, then\n"
        "                     switches (the `background` demo variant, bootloader services table v3)\n"
        "  --strict           refuse an image whose payload CRC/SHA-256 does not match its header (wins over --force)\n"
        "  --json PATH        update: write the result as JSON to PATH (exit, result, error, message, image_bytes,\n"
        "                     forced_short, frames_sent, retransmits, nacks, timeouts, bad_frames, stray,\n"
        "                     bytes_sent, bytes_received, data_bytes, resumed_at (null: fresh), fresh,\n"
        "                     restarts, duration_ms (host wall clock)); written on every outcome but usage errors\n"
        "  -v, --verbose      trace every frame on stderr\n"
        "  -q, --quiet        no progress line\n"
        "\n"
        "exit codes:\n"
        "  0  success\n"
        "  1  refused: the target answered an error status (e.g. ESLOT, EVERSION, ESHA), the image failed\n"
        "     verification (info), or the image is for another slot than the target's (update without --force)\n"
        "  2  usage: unknown option, missing or malformed argument (version, slot, number, digest,\n"
        "     port spec, baud rate, a --port that is not a tty)\n"
        "  3  link: cannot open the port, no answer after the retries, link closed, protocol violation\n"
        "  4  input: cannot read or write a file, or pack rejected the application binary\n"
        "  5  internal error (out of memory)\n",
        (unsigned)FH_LINK_DEFAULT_BAUD, (unsigned)FH_DEFAULT_TIMEOUT_MS, (unsigned)FH_DEFAULT_LONG_TIMEOUT_MS,
        (unsigned)FH_DEFAULT_RETRIES, (unsigned)FH_DEFAULT_HELLO_TIMEOUT_MS, (unsigned)FH_DEFAULT_HELLO_TRIES);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    return EXIT_USAGE;
}

/* Strict decimal in [lo, hi]. Also used by host/fotactl_sign.c. */
int fotactl_parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
int fotactl_parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end = NULL;
    unsigned long long v;

    errno = 0;
    if (s[0] < '0' || s[0] > '9') {
        fprintf(stderr, "%s: %s '%s': not a number\n", prog, opt, s);
        return EXIT_USAGE;
    }
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        fprintf(stderr, "%s: %s '%s': not a number\n", prog, opt, s);
        return EXIT_USAGE;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "%s: %s %s: out of range %u..%u\n", prog, opt, s, (unsigned)lo, (unsigned)hi);
        return EXIT_USAGE;
    }
    *out = (uint32_t)v;
    return 0;
}

static int rc_exit_input(int rc)
{
    return rc == FOTA_ENOMEM ? EXIT_INTERNAL : EXIT_INPUT;
}

/* ---- pack ---- */

/* Pack (and sign, with @p key) @p bin into @p out. @return an exit status. */
static int pack_write(const uint8_t *bin, size_t bin_len, const struct fh_pack_opts *po, const char *key,
                      const char *in, const char *out)
{
    struct fh_msg m;
    size_t img_len = 0;
    uint8_t *img = malloc(IMAGE_HEADER_SIZE + bin_len + FH_SIGN_TLV_MAX);
    if (img == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_INTERNAL;
    }
    int rc = fh_image_pack(bin, bin_len, po, img, IMAGE_HEADER_SIZE + bin_len, &img_len, &m);
    if (rc == 0 && key != NULL) {
        rc = fh_image_sign(img, img_len, IMAGE_HEADER_SIZE + bin_len + FH_SIGN_TLV_MAX, key, po->security_counter,
                           &img_len, &m);
    }
    if (rc != 0) {
        free(img);
        fprintf(stderr, "%s: %s: %s\n", prog, in, m.text);
        return EXIT_INPUT;
    }
    rc = fh_file_write(out, img, img_len, &m);
    free(img);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, m.text);
        return EXIT_INPUT;
    }
    return EXIT_OK_;
}

static int cmd_pack(int argc, char **argv)
{
    static const struct option opts[] = {
        { "slot", required_argument, NULL, 's' },
        { "version", required_argument, NULL, 'V' },
        { "in", required_argument, NULL, 'i' },
        { "out", required_argument, NULL, 'o' },
        { "force-sha256", required_argument, NULL, 'F' },
        { "key", required_argument, NULL, 'k' },
        { "security-counter", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *slot_s = NULL, *ver_s = NULL, *in = NULL, *out = NULL, *force_s = NULL, *key = NULL;
    const char *cnt_s = NULL;
    uint32_t cnt = 0;
    uint8_t forced[SHA256_DIGEST_SIZE];
    struct fh_pack_opts po;
    struct fh_msg m;
    uint8_t *bin = NULL;
    size_t bin_len = 0;
    char vbuf[16];
    int c, rc;

    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's': slot_s = optarg; break;
        case 'V': ver_s = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'F': force_s = optarg; break;
        case 'k': key = optarg; break;
        case 'c': cnt_s = optarg; break;
        case 'h': usage(stdout); return EXIT_OK_;
        case ':': return usage_error("pack: option '%s' needs an argument", argv[optind - 1]);
        default: return usage_error("pack: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc) {
        return usage_error("pack: unexpected argument '%s'", argv[optind]);
    }
    if (slot_s == NULL || ver_s == NULL || in == NULL || out == NULL) {
        return usage_error("pack: %s", "--slot, --version, --in and --out are required");
    }
    if (cnt_s != NULL && fotactl_parse_u32("--security-counter", cnt_s, 0, UINT32_MAX, &cnt) != 0) {
        return EXIT_USAGE;
    }
    memset(&po, 0, sizeof(po));
    if (fh_slot_parse(slot_s, &po.slot, &m) != 0 || fh_version_parse(ver_s, &po.version, &m) != 0 ||
        (force_s != NULL && fh_sha256_parse(force_s, forced, &m) != 0)) {
        return usage_error("pack: %s", m.text);
    }
    po.force_sha256 = force_s != NULL ? forced : NULL;
    po.security_counter = cnt;
    rc = fh_file_read(in, IMAGE_MAX_PAYLOAD, &bin, &bin_len, &m);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, m.text);
        return rc_exit_input(rc);
    }
    rc = pack_write(bin, bin_len, &po, key, in, out);
    free(bin);
    if (rc != EXIT_OK_) {
        return rc;
    }
    fh_version_format(po.version, vbuf, sizeof(vbuf));
    printf("%s: slot %s version %s payload %zu bytes%s%s\n", out, LAYOUT_SLOT_NAME(po.slot), vbuf, bin_len,
           force_s != NULL ? " (forced SHA-256)" : "", key != NULL ? ", signed" : ", unsigned");
    return EXIT_OK_;
}

/* ---- info ---- */

static const char *verdict(int rc)
{
    return rc == 0 ? "ok" : fota_strerror(rc);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    size_t i;

    for (i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

static int cmd_info(int argc, char **argv)
{
    struct fh_image_report r;
    struct fh_msg m;
    uint8_t *img = NULL;
    size_t len = 0;
    char vbuf[16], h1[65], h2[65];
    int rc;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return EXIT_OK_;
    }
    if (argc != 2) {
        return usage_error("info: %s", argc < 2 ? "missing IMG" : "exactly one IMG expected");
    }
    if (argv[1][0] == '-' && argv[1][1] != '\0') {
        return usage_error("info: unknown option '%s'", argv[1]);
    }
    rc = fh_file_read(argv[1], 4u * LAYOUT_SLOT_SIZE, &img, &len, &m);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, m.text);
        return rc_exit_input(rc);
    }
    rc = fh_image_inspect(img, len, &r, &m);
    free(img);
    fh_version_format(r.hdr.ih_version, vbuf, sizeof(vbuf));
    hex(r.hdr.ih_sha256, SHA256_DIGEST_SIZE, h1);
    hex(r.sha_calc, SHA256_DIGEST_SIZE, h2);
    printf("file:           %s (%zu bytes)\n", argv[1], r.file_size);
    if (r.rc_length == 0) {
        printf("magic:          0x%08X  %s\n", (unsigned)r.hdr.ih_magic, verdict(r.rc_magic));
        printf("header:         size %u, format %u  %s\n", (unsigned)r.hdr.ih_hdr_size,
               (unsigned)r.hdr.ih_hdr_version, verdict(r.rc_hdr_format));
        printf("header crc32:   0x%08X  %s", (unsigned)r.hdr.ih_hdr_crc32, verdict(r.rc_hdr_crc));
        if (r.rc_hdr_crc != 0) {
            printf(" (computed 0x%08X)", (unsigned)r.hdr_crc_calc);
        }
        printf("\nversion:        %s (0x%08X)\n", vbuf, (unsigned)r.hdr.ih_version);
        printf("load address:   0x%08X (slot %s)  %s\n", (unsigned)r.hdr.ih_load_addr,
               r.slot < 0 ? "?" : LAYOUT_SLOT_NAME((uint32_t)r.slot), verdict(r.rc_slot));
        printf("payload size:   %u  %s\n", (unsigned)r.hdr.ih_size, verdict(r.rc_size));
        printf("flags:          0x%08X  %s\n", (unsigned)r.hdr.ih_flags, verdict(r.rc_reserved));
        printf("payload crc32:  0x%08X  %s", (unsigned)r.hdr.ih_crc32, verdict(r.rc_crc));
        if (r.rc_crc != 0) {
            printf(" (computed 0x%08X)", (unsigned)r.crc_calc);
        }
        printf("\nsha256:         %s  %s\n", h1, verdict(r.rc_sha));
        if (r.rc_sha != 0) {
            printf("  computed:     %s\n", h2);
        }
        printf("vector table:   SP 0x%08X, reset 0x%08X  %s\n", (unsigned)r.vec_sp, (unsigned)r.vec_reset,
               verdict(r.rc_vectors));
    }
    if (rc != 0) {
        printf("result:         BAD\n");
        fprintf(stderr, "%s: %s: %s\n", prog, argv[1], m.text);
        return EXIT_REFUSED;
    }
    printf("result:         ok\n");
    return EXIT_OK_;
}

/* ---- update, hello ---- */

struct link_args {
    const char *port;
    uint32_t baud;
    int verbose;
    int quiet;
    int strict;
    const char *json;       /**< update --json PATH, else NULL */
    struct fh_update_opts uo;
};

static void on_trace(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

struct progress {
    int tty;
    int shown;
};

static void on_progress(void *ctx, uint32_t done, uint32_t total)
{
    struct progress *p = ctx;

    if (!p->tty || total == 0) {
        return;
    }
    fprintf(stderr, "\rupdate: %u / %u bytes (%u%%)", (unsigned)done, (unsigned)total,
            (unsigned)((uint64_t)done * 100u / total));
    fflush(stderr);
    p->shown = 1;
}

/* The operands after the options: exactly one IMG (*img set) when @p img is
 * not NULL, else none. @return 0; EXIT_USAGE with the reason on stderr. */
static int link_args_operand(const char *cmd, int argc, char **argv, const char **img)
{
    if (img != NULL) {
        if (argc - optind != 1) {
            fprintf(stderr, "%s: %s: %s\nTry '%s --help' for more information.\n", prog, cmd,
                    argc == optind ? "missing IMG" : "exactly one IMG expected", prog);
            return EXIT_USAGE;
        }
        *img = argv[optind];
    } else if (argc != optind) {
        fprintf(stderr, "%s: %s: unexpected argument '%s'\nTry '%s --help' for more information.\n", prog, cmd,
                argv[optind], prog);
        return EXIT_USAGE;
    }
    return 0;
}

/* Parse the options update and hello share; *img receives the one operand. */
static int parse_link_args(const char *cmd, int argc, char **argv, struct link_args *a, const char **img)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' },
        { "baud", required_argument, NULL, 'b' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "retries", required_argument, NULL, 'r' },
        { "hello-tries", required_argument, NULL, 'H' },
        { "force", no_argument, NULL, 'f' },
        { "fresh", no_argument, NULL, 'F' },
        { "background", no_argument, NULL, 'B' },
        { "strict", no_argument, NULL, 'S' },
        { "json", required_argument, NULL, 'J' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, rc;

    memset(a, 0, sizeof(*a));
    a->baud = FH_LINK_DEFAULT_BAUD;
    fh_update_opts_init(&a->uo);
    while ((c = getopt_long(argc, argv, ":vqh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': a->port = optarg; break;
        case 'b': rc = fotactl_parse_u32("--baud", optarg, 1, 4000000, &a->baud); if (rc != 0) { return rc; } break;
        case 't':
            rc = fotactl_parse_u32("--timeout-ms", optarg, 1, 600000, &a->uo.timeout_ms);
            if (rc != 0) {
                return rc;
            }
            if (a->uo.long_timeout_ms < a->uo.timeout_ms) {
                a->uo.long_timeout_ms = a->uo.timeout_ms;
            }
            break;
        case 'r': rc = fotactl_parse_u32("--retries", optarg, 0, 1000, &a->uo.retries); if (rc != 0) { return rc; } break;
        case 'H':
            rc = fotactl_parse_u32("--hello-tries", optarg, 1, 100000, &a->uo.hello_tries);
            if (rc != 0) {
                return rc;
            }
            break;
        case 'f': a->uo.force = 1; break;
        case 'F': a->uo.fresh = 1; break;
        case 'B': a->uo.background = 1; break;
        case 'S': a->strict = 1; break;
        case 'J': a->json = optarg; break;
        case 'v': a->verbose = 1; break;
        case 'q': a->quiet = 1; break;
        case 'h': usage(stdout); return -1;
        case ':':
            fprintf(stderr, "%s: %s: option '%s' needs an argument\nTry '%s --help' for more information.\n",
                    prog, cmd, argv[optind - 1], prog);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "%s: %s: unknown option '%s'\nTry '%s --help' for more information.\n",
                    prog, cmd, argv[optind - 1], prog);
            return EXIT_USAGE;
        }
    }
    if (a->port == NULL) {
        fprintf(stderr, "%s: %s: --port is required\nTry '%s --help' for more information.\n", prog, cmd, prog);
        return EXIT_USAGE;
    }
    rc = link_args_operand(cmd, argc, argv, img);
    if (rc != 0) {
        return rc;
    }
    if (a->verbose) {
        a->uo.trace = on_trace;
    }
    return 0;
}

/* A malformed --port/--baud is a usage error; a port that fails to open is a link error. */
static int link_open_exit(int rc)
{
    if (rc == FOTA_EINVAL) {
        return EXIT_USAGE;
    }
    return rc == FOTA_ENOMEM ? EXIT_INTERNAL : EXIT_LINK;
}

static int origin_exit(const struct fh_update_result *res, int rc)
{
    switch (res->origin) {
    case FH_ORIGIN_NONE:
        return EXIT_OK_;
    case FH_ORIGIN_TARGET:
        return EXIT_REFUSED;
    case FH_ORIGIN_LOCAL:
        return rc == FOTA_ENOMEM ? EXIT_INTERNAL : EXIT_REFUSED;
    case FH_ORIGIN_LINK:
    default:
        return EXIT_LINK;
    }
}

static void print_stats(const struct fh_update_stats *s)
{
    printf("stats: frames %u, retransmits %u, nacks %u, timeouts %u, bad %u, stray %u, "
           "bytes sent %u, received %u, data %u, resume %u%s",
           (unsigned)s->frames_sent, (unsigned)s->retransmits, (unsigned)s->nacks, (unsigned)s->timeouts,
           (unsigned)s->bad_frames, (unsigned)s->stray, (unsigned)s->bytes_sent, (unsigned)s->bytes_received,
           (unsigned)s->data_bytes, (unsigned)s->resume_offset, s->fresh ? " (fresh)" : "");
    if (s->restarts != 0) {
        printf(", restarts %u", (unsigned)s->restarts);
    }
    printf("\n");
}

/*
 * Read IMG and decide whether to send it: a bad header is refused (unless
 * --force), a payload CRC/SHA-256 mismatch is sent with a warning (unless
 * --strict). --force sends whatever it is given, a short image's bytes as
 * they are, with a loud warning: the target's handling of a short transfer
 * is then testable (docs/SCENARIOS.md "truncate").
 * @return 0 (send *img, *len bytes); an exit code (refused, input error).
 */
static int update_load(const char *path, const struct link_args *a, struct fotactl_outcome *o, uint8_t **img,
                       size_t *len, struct fh_msg *m)
{
    struct fh_image_report r;
    int rc = fh_file_read(path, FH_IMAGE_MAX_SIZE, img, len, m);

    if (rc != 0) {
        if (rc == FOTA_ESIZE) {
            fh_msg_set(m, rc, "%s: larger than a slot (%u bytes)", path, (unsigned)FH_IMAGE_MAX_SIZE);
            fprintf(stderr, "%s: %s\n", prog, m->text);
            return EXIT_REFUSED;
        }
        fprintf(stderr, "%s: %s\n", prog, m->text);
        return rc_exit_input(rc);
    }
    o->image_bytes = (uint32_t)*len;
    rc = fh_image_inspect(*img, *len, &r, m);
    if (rc == 0) {
        return 0;
    }
    int payload_only = r.rc_length == 0 && r.rc_magic == 0 && r.rc_hdr_format == 0 && r.rc_hdr_crc == 0 &&
                       r.rc_slot == 0 && r.rc_size == 0;
    if (a->uo.force && !a->strict) {
        o->forced_short = r.rc_length != 0 || (r.rc_size != 0 && *len - IMAGE_HEADER_SIZE < r.hdr.ih_size);
        fprintf(stderr, "%s: WARNING: --force: %s: %s; SENDING ITS %zu BYTES AS THEY ARE%s\n", prog, path, m->text,
                *len, o->forced_short ? " (a short transfer: the target must refuse it)" : "");
        return 0;
    }
    if (!payload_only || a->strict) {
        fprintf(stderr, "%s: %s: %s; not sent%s\n", prog, path, m->text, payload_only ? " (--strict)" : "");
        return EXIT_REFUSED;
    }
    fprintf(stderr, "%s: warning: %s: %s; sending it anyway, the target verifies it\n", prog, path, m->text);
    return 0;
}

/* Run fh_update() over a.port; fills o (rc, duration, res). @return the exit code. */
static int update_send(struct link_args *a, const uint8_t *img, size_t len, struct fotactl_outcome *o,
                       struct fh_update_result *res)
{
    struct progress pr = { 0, 0 };
    struct fh_link *l = NULL;
    struct fh_msg m;
    int rc = fh_link_open(a->port, a->baud, &l, &m);

    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, m.text);
        o->rc = rc;
        return link_open_exit(rc);
    }
    pr.tty = !a->quiet && !a->verbose && isatty(STDERR_FILENO);
    a->uo.progress = on_progress;
    a->uo.progress_ctx = &pr;
    uint32_t t0 = fh_now_ms();
    rc = fh_update(l, img, len, &a->uo, res);
    o->duration_ms = fh_now_ms() - t0;
    fh_link_close(l);
    if (pr.shown) {
        fputc('\n', stderr);
    }
    o->sent = 1;
    o->rc = rc;
    o->res = res;
    if (rc == 0) {
        printf("update: ok: %s\n", res->msg.text);
    } else {
        fprintf(stderr, "%s: update failed: %s\n", prog, res->msg.text);
        printf("update: failed (%s): %s\n", fota_strerror(rc), res->msg.text);
    }
    print_stats(&res->stats);
    return origin_exit(res, rc);
}

static int cmd_update(int argc, char **argv)
{
    struct link_args a;
    struct fotactl_outcome o;
    struct fh_msg m;
    const char *path = NULL;
    uint8_t *img = NULL;
    size_t len = 0;
    int rc = parse_link_args("update", argc, argv, &a, &path);

    if (rc != 0) {
        return rc < 0 ? EXIT_OK_ : rc;
    }
    memset(&o, 0, sizeof(o));
    fh_msg_clear(&m);
    o.image = path;
    struct fh_update_result *res = calloc(1, sizeof(*res));
    if (res == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_INTERNAL;
    }
    o.exit_code = update_load(path, &a, &o, &img, &len, &m);
    o.message = m.text;
    if (o.exit_code == 0) {
        o.exit_code = update_send(&a, img, len, &o, res);
        o.message = o.sent ? res->msg.text : o.message;
    }
    free(img);
    if (a.json != NULL && fotactl_json_write(a.json, &o) != 0) {
        fprintf(stderr, "%s: --json %s: cannot write: %s\n", prog, a.json, strerror(errno));
        o.exit_code = o.exit_code != 0 ? o.exit_code : EXIT_INPUT;
    }
    free(res);
    return o.exit_code;
}

static int cmd_hello(int argc, char **argv)
{
    struct link_args a;
    struct fh_update_result *res;
    struct fh_link *l = NULL;
    struct fh_hello h;
    struct fh_msg m;
    char vbuf[16];
    int rc, ex;

    rc = parse_link_args("hello", argc, argv, &a, NULL);
    if (rc != 0) {
        return rc < 0 ? EXIT_OK_ : rc;
    }
    if (a.json != NULL) {
        return usage_error("hello: %s is an option of update", "--json");
    }
    rc = fh_link_open(a.port, a.baud, &l, &m);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, m.text);
        return link_open_exit(rc);
    }
    res = malloc(sizeof(*res));
    if (res == NULL) {
        fh_link_close(l);
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_INTERNAL;
    }
    rc = fh_hello(l, &a.uo, &h, res);
    fh_link_close(l);
    if (rc != 0) {
        fprintf(stderr, "%s: hello failed: %s\n", prog, res->msg.text);
        ex = origin_exit(res, rc);
        free(res);
        return ex;
    }
    free(res);
    fh_version_format(h.active_version, vbuf, sizeof(vbuf));
    printf("role=%s proto=%u active=%s version=%s target=%s max_data=%u slot_size=%u\n", fh_role_name(h.role),
           (unsigned)h.proto_version,
           h.active_slot == LAYOUT_SLOT_A ? "A" : (h.active_slot == LAYOUT_SLOT_B ? "B" : "-"), vbuf,
           h.target_slot == LAYOUT_SLOT_A ? "A" : (h.target_slot == LAYOUT_SLOT_B ? "B" : "-"),
           (unsigned)h.max_data, (unsigned)h.slot_size);
    return EXIT_OK_;
}

int main(int argc, char **argv)
{
    const char *cmd;

    /* A closed socket peer must be an error code, not a silent death. */
    (void)signal(SIGPIPE, SIG_IGN);
    /* Line-buffered even into a file: a killed fotactl (fota-hil's step
     * timeout) leaves every line it printed, not an empty log. */
    (void)setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK_;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("fotactl %s (protocol %u)\n", FOTACTL_VERSION, (unsigned)PROTO_VERSION);
        return EXIT_OK_;
    }
    if (strcmp(cmd, "pack") == 0) {
        return cmd_pack(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "sign") == 0) {
        return fotactl_cmd_sign(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "pubkey") == 0) {
        return fotactl_cmd_pubkey(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "info") == 0) {
        return cmd_info(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "update") == 0) {
        return cmd_update(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "hello") == 0) {
        return cmd_hello(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "rom") == 0) {
        return fotactl_cmd_rom(argc - 1, argv + 1); /* host/fotactl_rom.c */
    }
    return usage_error("unknown command '%s'", cmd);
}
