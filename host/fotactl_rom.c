/*
 * fotactl rom: talk to ST's ROM bootloader (fotahost/rom.h). Kept apart
 * from fotactl.c; the exit codes are fotactl's (see its usage()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fota/errors.h"
#include "fota/layout.h"
#include "fotahost/image.h"
#include "fotahost/link.h"
#include "fotahost/rom.h"

int fotactl_cmd_rom(int argc, char **argv);

enum { ROM_EXIT_OK = 0, ROM_EXIT_REFUSED = 1, ROM_EXIT_USAGE = 2, ROM_EXIT_LINK = 3, ROM_EXIT_INPUT = 4,
       ROM_EXIT_INTERNAL = 5 };

static void rom_usage(FILE *f)
{
    fprintf(f,
        "usage: fotactl rom install --port PORT [--proto an3155|an4286|an4221] [--baud N] [--boot-ctl SPEC]\n"
        "                           [--go] [--no-verify] [--force] [--timeout-ms N] [--retries N]\n"
        "                           [--i2c-addr HEX] [--write-size N] [--byte-gap-us N] [-v] [-q] IMG\n"
        "       fotactl rom id      --port PORT [--proto an3155|an4286|an4221] [--baud N] [--boot-ctl SPEC]\n"
        "       fotactl rom go      --port PORT [--proto an3155|an4286|an4221] [--baud N] [--addr HEX]\n"
        "\n"
        "  install  ST ROM bootloader path: BOOT0 high + NRST (--boot-ctl), sync, GET ID (0x0413),\n"
        "           read the metadata, erase + write the inactive slot (256-byte blocks, read back\n"
        "           unless --no-verify), append the record marking it pending, BOOT0 low + NRST\n"
        "           (or GO 0x08000000 with --go and no --boot-ctl). The bootloader then trials it.\n"
        "  id       sync and print the product ID.\n"
        "  go       sync and GO to --addr (default 0x08000000).\n"
        "\n"
        "  --proto P        an3155 (USART, default), an4286 (SPI: --port spi-emu:PORT|spidev:DEV),\n"
        "                   an4221 (I2C: --port i2c-emu:PORT|i2c-dev:/dev/i2c-N)\n"
        "  --i2c-addr HEX   an4221: the ROM's 7-bit address (default 39)\n"
        "  --write-size N   bytes per WRITE MEMORY, 4..256, a multiple of 4 (default 256; an4221 64)\n"
        "  --byte-gap-us N  an3155: send byte by byte with N us between them (parts that need a gap)\n"
        "  --boot-ctl SPEC  unix:/path (the fota-hil rig's BOOT0/NRST line protocol) or none (default)\n"
        "  --timeout-ms N   answer timeout per command (default %u; erase %u)\n"
        "  --retries N      repeats of a command answered NACK or nothing (default %u)\n",
        (unsigned)FH_ROM_DEFAULT_TIMEOUT_MS, (unsigned)FH_ROM_DEFAULT_ERASE_TIMEOUT_MS,
        (unsigned)FH_ROM_DEFAULT_RETRIES);
}

static int rom_bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "fotactl rom: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'fotactl rom --help' for more information.\n");
    return ROM_EXIT_USAGE;
}

static int rom_num(const char *opt, const char *s, unsigned long lo, unsigned long hi, int base, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, base);
    if (s[0] == '\0' || s[0] == '-' || errno != 0 || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "fotactl rom: %s '%s': not a number in %lu..%lu\n", opt, s, lo, hi);
        return ROM_EXIT_USAGE;
    }
    *out = (uint32_t)v;
    return 0;
}

static int rom_exit_of(int rc)
{
    switch (rc) {
    case 0: return ROM_EXIT_OK;
    case FOTA_ESLOT: case FOTA_ENOTSUP: case FOTA_ESIZE: case FOTA_EINVAL: case FOTA_EFLASH:
        return ROM_EXIT_REFUSED;
    case FOTA_ENOMEM: return ROM_EXIT_INTERNAL;
    default: return ROM_EXIT_LINK;
    }
}

/* The parsed command line of `fotactl rom SUB ...`. */
struct rom_args {
    const char *port, *proto, *bootctl, *sub;
    uint32_t baud, timeout, retries, addr, i2c_addr, write_size, byte_gap;
    struct fh_rom_install_opts io;
    bool verbose, is_install;
    const struct fh_rom_ops *ops;
    const char *img_path;
};

/* Parse the options after SUB into @p a; -1 to go on, else the exit code. */
static int rom_parse_opts(int argc, char **argv, struct rom_args *a)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' }, { "proto", required_argument, NULL, 'P' },
        { "baud", required_argument, NULL, 'b' }, { "boot-ctl", required_argument, NULL, 'B' },
        { "go", no_argument, NULL, 'g' }, { "no-verify", no_argument, NULL, 'n' },
        { "force", no_argument, NULL, 'f' }, { "timeout-ms", required_argument, NULL, 't' },
        { "retries", required_argument, NULL, 'r' }, { "addr", required_argument, NULL, 'a' },
        { "verbose", no_argument, NULL, 'v' }, { "quiet", no_argument, NULL, 'q' },
        { "i2c-addr", required_argument, NULL, 'I' }, { "write-size", required_argument, NULL, 'W' },
        { "byte-gap-us", required_argument, NULL, 'G' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, ":vqh", opts, NULL)) != -1) {
        switch (c) {
        case 'p': a->port = optarg; break;
        case 'P': a->proto = optarg; break;
        case 'B': a->bootctl = optarg; break;
        case 'g': a->io.go = true; break;
        case 'n': a->io.verify = false; break;
        case 'f': a->io.force = true; break;
        case 'v': a->verbose = true; break;
        case 'q': a->io.quiet = true; break;
        case 'b': if (rom_num("--baud", optarg, 1200, 4000000, 10, &a->baud) != 0) { return ROM_EXIT_USAGE; } break;
        case 't': if (rom_num("--timeout-ms", optarg, 1, 600000, 10, &a->timeout) != 0) { return ROM_EXIT_USAGE; } break;
        case 'r': if (rom_num("--retries", optarg, 0, 100, 10, &a->retries) != 0) { return ROM_EXIT_USAGE; } break;
        case 'a': if (rom_num("--addr", optarg, 0, 0xFFFFFFFFul, 16, &a->addr) != 0) { return ROM_EXIT_USAGE; } break;
        case 'I': if (rom_num("--i2c-addr", optarg, 0x03, 0x77, 16, &a->i2c_addr) != 0) { return ROM_EXIT_USAGE; } break;
        case 'W': if (rom_num("--write-size", optarg, 4, 256, 10, &a->write_size) != 0) { return ROM_EXIT_USAGE; } break;
        case 'G': if (rom_num("--byte-gap-us", optarg, 0, 1000000, 10, &a->byte_gap) != 0) { return ROM_EXIT_USAGE; } break;
        case 'h': rom_usage(stdout); return ROM_EXIT_OK;
        case ':': return rom_bad("option %s needs a value", argv[optind - 1]);
        default: return rom_bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    return -1;
}

/* Parse and check the whole command line; -1 to go on, else the exit code. */
static int rom_parse(int argc, char **argv, struct rom_args *a)
{
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        rom_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? ROM_EXIT_USAGE : ROM_EXIT_OK;
    }
    a->sub = argv[1];
    if (strcmp(a->sub, "install") != 0 && strcmp(a->sub, "id") != 0 && strcmp(a->sub, "go") != 0) {
        return rom_bad("unknown subcommand '%s' (install, id, go)", a->sub);
    }
    argc--;
    argv++;
    rc = rom_parse_opts(argc, argv, a);
    if (rc >= 0) {
        return rc;
    }
    if (a->port == NULL) {
        return rom_bad("%s: --port is required", a->sub);
    }
    if (strcmp(a->proto, "an3155") == 0) {
        a->ops = &fh_an3155_ops;
    } else if (strcmp(a->proto, "an4286") == 0) {
        a->ops = &fh_an4286_ops; /* --port spi-emu:PATH or spidev:DEV[@HZ] */
    } else if (strcmp(a->proto, "an4221") == 0) {
        a->ops = &fh_an4221_ops; /* --port i2c-emu:PORT or i2c-dev:/dev/i2c-N */
    } else {
        return rom_bad("--proto '%s': expected an3155, an4286 or an4221", a->proto);
    }
    if (a->write_size != 0 && (a->write_size % 4u) != 0) {
        char n[16];
        snprintf(n, sizeof(n), "%u", (unsigned)a->write_size);
        return rom_bad("--write-size %s: must be a multiple of 4", n);
    }
    a->is_install = strcmp(a->sub, "install") == 0;
    if (a->is_install && optind != argc - 1) {
        return rom_bad("%s", "install needs exactly one IMG");
    }
    if (!a->is_install && optind != argc) {
        return rom_bad("unexpected argument '%s'", argv[optind]);
    }
    a->img_path = a->is_install ? argv[optind] : NULL;
    return -1;
}

/* `id` and `go`: enter the ROM, sync, then GET ID or GO. */
static int rom_id_or_go(struct fh_rom *r, const struct rom_args *a, struct fh_bootctl *bc, struct fh_msg *m)
{
    uint16_t pid = 0;
    int rc;

    if (strcmp(a->bootctl, "none") != 0) {
        rc = fh_bootctl_boot0(bc, true, m);
        if (rc == 0) {
            rc = fh_bootctl_reset(bc, m);
        }
    } else {
        rc = 0;
    }
    if (rc == 0) {
        rc = a->ops->sync(r, m);
    }
    if (rc == 0 && strcmp(a->sub, "id") == 0) {
        rc = a->ops->get_id(r, &pid, m);
        if (rc == 0) {
            printf("product ID 0x%04x%s\n", pid, pid == FH_ROM_PID_F40X ? " (STM32F405/407/415/417)" : "");
        }
    } else if (rc == 0) {
        rc = a->ops->go(r, a->addr, m);
    }
    return rc;
}

/* `install`: fh_rom_install() and its one-line summary. */
static int rom_install(struct fh_rom *r, const struct rom_args *a, struct fh_bootctl *bc, const uint8_t *img,
                       size_t len, struct fh_msg *m)
{
    struct fh_rom_install_result res;
    int rc = fh_rom_install(r, strcmp(a->bootctl, "none") == 0 ? NULL : bc, img, len, &a->io, &res, m);

    if (rc == 0) {
        printf("rom install: pid 0x%04x, slot %s, %u bytes, meta seq %u, %u ms (%s: %llu bytes out, "
               "%llu in, %u commands, %u NACKs, %u busy polls, %u unacknowledged erases)\n", res.pid,
               LAYOUT_SLOT_NAME((uint32_t)res.target_slot), res.bytes_written, res.meta_seq, res.ms, a->ops->name,
               (unsigned long long)r->bytes_out, (unsigned long long)r->bytes_in, r->commands, r->nacks,
               r->busy_polls, r->erase_unacked);
    }
    return rc;
}

int fotactl_cmd_rom(int argc, char **argv)
{
    struct rom_args a = { .proto = "an3155", .bootctl = "none", .baud = FH_LINK_DEFAULT_BAUD,
                          .timeout = FH_ROM_DEFAULT_TIMEOUT_MS, .retries = FH_ROM_DEFAULT_RETRIES,
                          .addr = LAYOUT_BOOT_ADDR, .i2c_addr = FH_ROM_I2C_ADDR, .io = { .verify = true } };
    struct fh_msg m = { { 0 } };
    int rc = rom_parse(argc, argv, &a);

    if (rc >= 0) {
        return rc;
    }
    uint8_t *img = NULL;
    size_t len = 0;
    if (a.is_install) {
        rc = fh_file_read(a.img_path, LAYOUT_SLOT_SIZE + 1u, &img, &len, &m);
        if (rc != 0) {
            fprintf(stderr, "fotactl rom: %s\n", m.text);
            return rc == FOTA_ENOMEM ? ROM_EXIT_INTERNAL : ROM_EXIT_INPUT;
        }
    }
    struct fh_bootctl *bc = NULL;
    rc = fh_bootctl_open(a.bootctl, &bc, &m);
    if (rc != 0) {
        free(img);
        fprintf(stderr, "fotactl rom: %s\n", m.text);
        return rc == FOTA_EINVAL ? ROM_EXIT_USAGE : ROM_EXIT_LINK;
    }
    struct fh_link *l = NULL;
    rc = fh_link_open(a.port, a.baud, &l, &m);
    if (rc != 0) {
        free(img);
        fh_bootctl_close(bc);
        fprintf(stderr, "fotactl rom: %s\n", m.text);
        return rc == FOTA_EINVAL ? ROM_EXIT_USAGE : ROM_EXIT_LINK;
    }
    struct fh_rom r;
    fh_rom_init(&r, a.ops, l);
    r.timeout_ms = a.timeout;
    r.retries = a.retries;
    r.verbose = a.verbose;
    r.i2c_addr = (uint8_t)a.i2c_addr;
    r.byte_gap_us = a.byte_gap;
    if (a.write_size != 0) {
        r.write_block = a.write_size;
    }
    rc = a.is_install ? rom_install(&r, &a, bc, img, len, &m) : rom_id_or_go(&r, &a, bc, &m);
    if (rc != 0) {
        fprintf(stderr, "fotactl rom %s: %s (%s)\n", a.sub, m.text[0] ? m.text : "failed", fota_strerror(rc));
    }
    fh_link_close(l);
    fh_bootctl_close(bc);
    free(img);
    return rom_exit_of(rc);
}
