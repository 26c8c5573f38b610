/**
 * @file link-bench.c
 * @brief `make bench`: a 256 KB image over every update path. Modelled
 * time on a real STM32F407 from the link clock and the flash timings, and,
 * where the rig emulates the path, wall time in emulation (measured here:
 * our AN3155 master and Debian's stm32flash against the emulated ROM).
 *
 * Flash timings (typical, PSIZE x32, 2.7-3.6 V): STM32F405/407 datasheet
 * DS8626, table "Flash memory programming": word program tprog 16 us typ
 * (100 us max); 128 KB sector erase tERASE128KB 1 s typ (2 s max).
 * RM0090 3.6.2 (x32 parallelism at 2.7-3.6 V), 3.6.3 (sector erase),
 * 3.6.4 (programming). The values are the datasheet's as recalled by the
 * author; check them against the PDF revision you ship with.
 * Link clocks: USART 10 bits/byte (8N1) for our protocol, 11 (8E1) for
 * AN3155 (AN3155 section 2); SPI 8 clocks/byte. AN2606 gives 115200 baud
 * for the ROM's USART and 8 MHz for its SPI.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fota/image.h"
#include "fota/layout.h"
#include "fota/proto.h"
#include "fotahost/image.h"
#include "fotahost/rom.h"
#include "link/rom_an3155.h"

#define IMG_APP_BYTES (256u * 1024u)
#define T_PROG_WORD_S 16e-6   /* DS8626 tprog typ, x32 */
#define T_ERASE128_S  1.0     /* DS8626 tERASE128KB typ, x32 */

static struct hil_flash flash;
static struct hil_rom rom;
static volatile int stop;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void serve(int fd, pid_t pid)
{
    struct hil_buf out = { 0 };
    for (;;) {
        int st;
        if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
            break;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        uint8_t buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            if (pid > 0) {
                usleep(1000);
                continue;
            }
            break;
        }
        hil_rom_feed(&rom, buf, (size_t)n, &out);
        size_t off = 0;
        while (off < out.len) {
            ssize_t w = write(fd, out.data + off, out.len - off);
            if (w <= 0) {
                break;
            }
            off += (size_t)w;
        }
        out.len = 0;
    }
    hil_buf_free(&out);
}

static void *serve_thread(void *arg)
{
    serve(*(int *)arg, 0);
    return NULL;
}

/* Our AN3155 master (fh_rom_install, verify on) against the model. */
static double bench_an3155(const uint8_t *img, size_t len)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        return -1;
    }
    hil_flash_init(&flash);
    hil_rom_init(&rom, &flash, NULL);
    pthread_t th;
    pthread_create(&th, NULL, serve_thread, &sv[1]);
    struct fh_link *l = NULL;
    fh_link_from_fd(sv[0], "bench", &l, NULL);
    struct fh_rom r;
    fh_rom_init(&r, &fh_an3155_ops, l);
    struct fh_rom_install_opts o = { .verify = true, .quiet = true };
    struct fh_rom_install_result res;
    struct fh_msg m = { { 0 } };
    double t0 = now_s();
    int rc = fh_rom_install(&r, NULL, img, len, &o, &res, &m);
    double t = now_s() - t0;
    fh_link_close(l);
    pthread_join(th, NULL);
    close(sv[1]);
    if (rc != 0) {
        fprintf(stderr, "bench: an3155 install failed: %s\n", m.text);
        return -1;
    }
    return t;
}

/* Debian's stm32flash -w -v over a pty against the model. */
static double bench_stm32flash(const char *bin_path)
{
    int mfd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char slave[128];
    if (mfd < 0 || grantpt(mfd) != 0 || unlockpt(mfd) != 0 || ptsname_r(mfd, slave, sizeof(slave)) != 0) {
        return -1;
    }
    int s = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
    hil_flash_init(&flash);
    hil_rom_init(&rom, &flash, NULL);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        dup2(nul, 2);
        execlp("stm32flash", "stm32flash", "-b", "115200", "-m", "8n1", "-w", bin_path, "-v", "-S",
               "0x08080000", slave, (char *)NULL);
        _exit(127);
    }
    serve(mfd, pid);
    double t = now_s() - t0;
    close(mfd);
    if (s >= 0) {
        close(s);
    }
    return t;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* A 256 KB application for slot B: SP in SRAM, reset vector in the slot. */
    static uint8_t app[IMG_APP_BYTES];
    static uint8_t img[IMG_APP_BYTES + IMAGE_HEADER_SIZE];
    for (size_t i = 0; i < sizeof(app); i++) {
        app[i] = (uint8_t)(i * 13u + (i >> 9));
    }
    uint32_t sp = LAYOUT_APP_RAM_ADDR + LAYOUT_APP_RAM_SIZE;
    uint32_t rv = LAYOUT_APP_VECTORS(LAYOUT_SLOT_B) + 0x200u + 1u;
    memcpy(app, &sp, 4);
    memcpy(app + 4, &rv, 4);
    struct fh_pack_opts po = { .slot = LAYOUT_SLOT_B, .version = IMAGE_VERSION(9, 0, 0) };
    size_t len = 0;
    struct fh_msg m = { { 0 } };
    if (fh_image_pack(app, sizeof(app), &po, img, sizeof(img), &len, &m) != 0) {
        fprintf(stderr, "bench: pack: %s\n", m.text);
        return 1;
    }
    const char *bin_path = "build/bench-256k.img";
    FILE *f = fopen(bin_path, "wb");
    if (f == NULL || fwrite(img, 1, len, f) != len) {
        fprintf(stderr, "bench: cannot write %s\n", bin_path);
        return 1;
    }
    fclose(f);

    /* The flash-programming bound: erase what the image needs + program every word. */
    uint32_t sectors = (uint32_t)((len + 0x1FFFFu) / 0x20000u);
    double erase = sectors * T_ERASE128_S;
    double prog = (double)(len / 4u) * T_PROG_WORD_S;
    double bound = erase + prog;
    uint32_t chunks = (uint32_t)((len + PROTO_MAX_DATA - 1u) / PROTO_MAX_DATA);
    double chunk_prog = (PROTO_MAX_DATA / 4u) * T_PROG_WORD_S;
    double req = PROTO_HDR_SIZE + 4u + PROTO_MAX_DATA + PROTO_CRC_SIZE;      /* DATA frame */
    double rsp = PROTO_HDR_SIZE + PROTO_DATA_RSP_LEN + PROTO_CRC_SIZE;        /* DATA_RSP */
    uint32_t blocks = (uint32_t)((len + 255u) / 256u);
    /* AN3155 WRITE: cmd 2 + ACK + addr 5 + ACK + (N, 256, cksum) + ACK; READ back: cmd 2 + ACK + addr 5 + ACK + N 2 + ACK + 256. */
    double an_write = 2 + 1 + 5 + 1 + 258 + 1, an_read = 2 + 1 + 5 + 1 + 2 + 1 + 256;
    /* AN4286 (SPI): each byte group framed by SOF 0x5A; every ACK costs a dummy byte + ACK + ACK-ack (section 2). */
    double an4286_write = 1 + 2 + 3 + 5 + 3 + 258 + 3;

    printf("fota-hil link benchmark: %zu-byte image (256 KB application + %u-byte header), slot B\n", len,
           (unsigned)IMAGE_HEADER_SIZE);
    printf("flash bound (typ, x32): erase %u x 128 KB = %.2f s + program %zu words x 16 us = %.3f s -> %.3f s\n",
           sectors, erase, len / 4u, prog, bound);
    printf("modelled = link time + flash time on an F407 (no pipelining: the protocol is stop-and-wait)\n\n");
    printf("%-34s %12s %12s %10s %12s\n", "path", "model s", "share", "prog-only", "emul wall s");

    struct { const char *name; double bps; double bits_per_byte; } ours[] = {
        { "fota protocol, UART 115200", 115200, 10 }, { "fota protocol, UART 921600", 921600, 10 },
        { "fota protocol, SPI 1 MHz", 1e6, 8 }, { "fota protocol, SPI 10 MHz", 10e6, 8 },
        { "fota protocol, SPI 21 MHz", 21e6, 8 },
    };
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        double per = (req + rsp) * ours[i].bits_per_byte / ours[i].bps + chunk_prog;
        if (ours[i].bits_per_byte == 8) {
            per += 32.0 * 8 / ours[i].bps; /* the response is read as one 32-byte dummy transfer */
        }
        double total = erase + chunks * per;
        double prog_only = prog / (chunks * per);
        printf("%-34s %12.2f %11.1f%% %9.1f%% %12s\n", ours[i].name, total, 100.0 * bound / total,
               100.0 * prog_only, "n/m");
    }
    double t_an = bench_an3155(img, len);
    double an_total = erase + blocks * ((an_write + an_read) * 11 / 115200.0 + 64 * T_PROG_WORD_S);
    double an_prog = prog / (blocks * ((an_write + an_read) * 11 / 115200.0 + 64 * T_PROG_WORD_S));
    printf("%-34s %12.2f %11.1f%% %9.1f%% %12.2f\n", "AN3155 ROM, 115200 8E1, verify", an_total, 100.0 * bound / an_total,
           100.0 * an_prog, t_an);
    double an4_per = an4286_write * 8 / 8e6 + 64 * T_PROG_WORD_S;
    printf("%-34s %12.2f %11.1f%% %9.1f%% %12s\n", "AN4286 ROM, SPI 8 MHz, no verify", erase + blocks * an4_per,
           100.0 * bound / (erase + blocks * an4_per), 100.0 * prog / (blocks * an4_per), "n/m");
    double t_sf = bench_stm32flash(bin_path);
    printf("%-34s %12.2f %11.1f%% %9.1f%% %12.2f\n", "stm32flash -w -v, UART 115200", an_total,
           100.0 * bound / an_total, 100.0 * an_prog, t_sf);
    printf("\nshare = flash bound / modelled time; prog-only = programming time / (modelled - erase).\n"
           "n/m: not measured here (needs a 256 KB image through QEMU; the emulated AN4286 ROM (rom_an4286.c) is not yet driven by this benchmark).\n");
    return 0;
}
