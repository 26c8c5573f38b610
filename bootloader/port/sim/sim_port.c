/**
 * @file sim_port.c
 * @brief fota/port.h on the host (see sim.h). Fault injection lives here,
 * in the fake, never in the core. The flash is the harness's flash model
 * (harness/target/flashmodel.c), so the unit tests and the emulation
 * share one model and every torn state of it.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"
#include "fota/boot.h"
#include "fota/errors.h"
#include "fota/port.h"
#include "target/flashmodel.h"

#define SIM_LINK_BUF   (256u * 1024u)
#define SIM_CONSOLE_BUF (256u * 1024u)
#define SIM_DEFAULT_TIME_LIMIT_MS (10u * 60u * 1000u)

/* The torn states are the model's, value for value. */
_Static_assert((int)SIM_TORN_NONE == (int)HIL_TORN_NONE && (int)SIM_TORN_HALF == (int)HIL_TORN_HALF &&
               (int)SIM_TORN_ALL == (int)HIL_TORN_ALL && (int)SIM_TORN_BITS == (int)HIL_TORN_BITS,
               "enum sim_torn mirrors enum hil_torn");

static struct hil_flash sim_model;

static struct {
    uint32_t ops, programs, erases;
    struct sim_op log[SIM_OP_LOG_MAX];
    uint32_t cut_at, fail_at;
    enum sim_torn torn;
    int fail_rc;
    int fired;
} sim_fl;

struct sim_queue {
    uint8_t  buf[SIM_LINK_BUF];
    uint32_t head, tail; /* linear: reset when drained */
};
static struct sim_queue sim_rx, sim_tx; /* rx: host -> target, tx: target -> host */
static sim_idle_hook sim_hook;
static void *sim_hook_ctx;
static int sim_read_fail;

static char sim_con[SIM_CONSOLE_BUF];
static size_t sim_con_len;
static int sim_verbose;

static uint32_t sim_ticks, sim_time_limit = SIM_DEFAULT_TIME_LIMIT_MS;
static uint32_t sim_jump_addr, sim_wdg_ms, sim_wdg_refreshes;
static struct bl_mailbox sim_mbox;
static jmp_buf *sim_jb;

static PORT_NORETURN void sim_leave(enum sim_exit why)
{
    if (sim_jb == NULL) {
        fprintf(stderr, "sim: left the core (%d) outside sim_run()\n", (int)why);
        abort();
    }
    longjmp(*sim_jb, (int)why);
}

void sim_power_cycle(void)
{
    /* SRAM content after power-on is undefined: anything but a request. */
    memset(&sim_mbox, 0x5A, sizeof(sim_mbox));
}

void sim_init(void)
{
    hil_flash_init(&sim_model);
    memset(&sim_fl, 0, sizeof(sim_fl));
    sim_link_clear();
    sim_hook = NULL;
    sim_hook_ctx = NULL;
    sim_read_fail = 0;
    sim_console_clear();
    sim_ticks = 0;
    sim_time_limit = SIM_DEFAULT_TIME_LIMIT_MS;
    sim_jump_addr = 0;
    sim_wdg_ms = 0;
    sim_wdg_refreshes = 0;
    sim_power_cycle();
    sim_verbose = getenv("FOTA_SIM_VERBOSE") != NULL;
}

uint8_t *sim_flash(void)
{
    return sim_model.mem;
}

void sim_flash_write_raw(uint32_t addr, const void *data, uint32_t len)
{
    if (addr < LAYOUT_FLASH_BASE || len > LAYOUT_FLASH_SIZE ||
        addr - LAYOUT_FLASH_BASE > LAYOUT_FLASH_SIZE - len) {
        fprintf(stderr, "sim_flash_write_raw: 0x%08x+%u outside flash\n", addr, len);
        abort();
    }
    memcpy(&sim_model.mem[addr - LAYOUT_FLASH_BASE], data, len);
}

void sim_flash_flip_bit(uint32_t addr, unsigned bit)
{
    sim_model.mem[addr - LAYOUT_FLASH_BASE] ^= (uint8_t)(1u << (bit & 7u));
}

uint32_t sim_ops(void) { return sim_fl.ops; }
uint32_t sim_programs(void) { return sim_fl.programs; }
uint32_t sim_erases(void) { return sim_fl.erases; }

void sim_ops_reset(void)
{
    sim_fl.ops = 0;
    sim_fl.programs = 0;
    sim_fl.erases = 0;
}

const struct sim_op *sim_op_log(uint32_t *n)
{
    *n = (sim_fl.ops < SIM_OP_LOG_MAX) ? sim_fl.ops : SIM_OP_LOG_MAX;
    return sim_fl.log;
}

void sim_fault_cut(uint32_t op, enum sim_torn torn)
{
    sim_fl.cut_at = op;
    sim_fl.torn = torn;
    sim_fl.fired = 0;
}

void sim_fault_fail(uint32_t op, int rc)
{
    sim_fl.fail_at = op;
    sim_fl.fail_rc = rc;
    sim_fl.fired = 0;
}

void sim_fault_clear(void)
{
    sim_fl.cut_at = 0;
    sim_fl.fail_at = 0;
}

int sim_fault_fired(void)
{
    return sim_fl.fired;
}

/* Count an operation and decide its fate. @return 1 to apply it fully,
 * 0 to skip it (*rc set); or cut power (does not return). */
static int sim_flash_op(enum sim_op_kind kind, uint32_t addr, uint32_t len, uint32_t sector,
                        const uint8_t *data, int *rc)
{
    uint32_t n = sim_fl.ops++;

    if (n < SIM_OP_LOG_MAX) {
        sim_fl.log[n].kind = (uint8_t)kind;
        sim_fl.log[n].addr = addr;
        sim_fl.log[n].len = len;
        sim_fl.log[n].sector = sector;
    }
    if (kind == SIM_OP_ERASE) {
        sim_fl.erases++;
    } else {
        sim_fl.programs++;
    }
    if (sim_fl.fail_at != 0u && sim_fl.ops == sim_fl.fail_at) {
        sim_fl.fail_at = 0;
        sim_fl.fired = 1;
        *rc = sim_fl.fail_rc;
        return 0;
    }
    if (sim_fl.cut_at != 0u && sim_fl.ops == sim_fl.cut_at) {
        enum hil_torn torn = (enum hil_torn)sim_fl.torn;

        sim_fl.cut_at = 0;
        sim_fl.fired = 1;
        if (kind == SIM_OP_ERASE) {
            (void)hil_flash_erase(&sim_model, sector, torn);
        } else {
            (void)hil_flash_program(&sim_model, addr, data, len, torn);
        }
        sim_power_cycle();
        sim_leave(SIM_EXIT_POWER_CUT);
    }
    *rc = 0;
    return 1;
}

int port_flash_erase_sector(uint32_t sector)
{
    int rc = port_flash_check_erase(sector);

    if (rc != 0) {
        return rc;
    }
    if (sim_flash_op(SIM_OP_ERASE, LAYOUT_FLASH_BASE + LAYOUT_SECTOR_OFFSET(sector), LAYOUT_SECTOR_SIZE(sector),
                     sector, NULL, &rc)) {
        (void)hil_flash_erase(&sim_model, sector, HIL_TORN_ALL);
    }
    return rc;
}

int port_flash_program(uint32_t addr, const void *data, uint32_t len)
{
    int rc = port_flash_check_program(addr, len);

    if (rc != 0) {
        return rc;
    }
    if (data == NULL) {
        return FOTA_EINVAL;
    }
    if (sim_flash_op(SIM_OP_PROGRAM, addr, len, (uint32_t)hil_flash_sector_of(addr), data, &rc)) {
        /* RM0090 3.6.4: programming can only clear bits (the model's rule). */
        (void)hil_flash_program(&sim_model, addr, data, len, HIL_TORN_ALL);
    }
    return rc;
}

int port_flash_read(uint32_t addr, void *buf, uint32_t len)
{
    return hil_flash_read(&sim_model, addr, buf, len);
}

static void sim_queue_put(struct sim_queue *q, const void *data, uint32_t len)
{
    if (q->head == q->tail) {
        q->head = q->tail = 0;
    }
    if (len > SIM_LINK_BUF - q->tail) {
        fprintf(stderr, "sim: link queue overflow\n");
        abort();
    }
    memcpy(&q->buf[q->tail], data, len);
    q->tail += len;
}

static uint32_t sim_queue_get(struct sim_queue *q, void *buf, uint32_t cap)
{
    uint32_t n = q->tail - q->head;

    if (n > cap) {
        n = cap;
    }
    memcpy(buf, &q->buf[q->head], n);
    q->head += n;
    if (q->head == q->tail) {
        q->head = q->tail = 0;
    }
    return n;
}

uint32_t port_link_type(void)
{
    return PORT_LINK_UART; /* the sim's link is a byte queue, like a USART */
}

int port_link_write(const void *buf, uint32_t len)
{
    sim_queue_put(&sim_tx, buf, len);
    return 0;
}

int port_link_read(void *buf, uint32_t len, uint32_t timeout_ms, uint32_t *got)
{
    *got = 0;
    if (sim_read_fail) {
        sim_read_fail = 0;
        return FOTA_EIO;
    }
    if (sim_rx.head == sim_rx.tail && sim_hook != NULL) {
        if (sim_hook(sim_hook_ctx) != 0) {
            sim_leave(SIM_EXIT_STOP);
        }
    }
    if (sim_rx.head == sim_rx.tail) {
        /* Nothing arrives: the wait costs its whole timeout, in fake time. */
        sim_ticks += (timeout_ms > 0u) ? timeout_ms : 1u;
        if (sim_ticks >= sim_time_limit) {
            sim_leave(SIM_EXIT_HUNG);
        }
        return 0;
    }
    *got = sim_queue_get(&sim_rx, buf, len);
    return 0;
}

void sim_link_host_send(const void *data, uint32_t len)
{
    sim_queue_put(&sim_rx, data, len);
}

uint32_t sim_link_host_recv(void *buf, uint32_t cap)
{
    return sim_queue_get(&sim_tx, buf, cap);
}

void sim_link_clear(void)
{
    sim_rx.head = sim_rx.tail = 0;
    sim_tx.head = sim_tx.tail = 0;
}

void sim_link_set_idle_hook(sim_idle_hook hook, void *ctx)
{
    sim_hook = hook;
    sim_hook_ctx = ctx;
}

void sim_link_fail_next_read(void)
{
    sim_read_fail = 1;
}

void port_console_write(const char *s)
{
    size_t n = strlen(s);

    if (sim_verbose) {
        fputs(s, stderr);
    }
    if (n > sizeof(sim_con) - 1u - sim_con_len) {
        n = sizeof(sim_con) - 1u - sim_con_len;
    }
    memcpy(&sim_con[sim_con_len], s, n);
    sim_con_len += n;
    sim_con[sim_con_len] = '\0';
}

const char *sim_console(void)
{
    return sim_con;
}

void sim_console_clear(void)
{
    sim_con_len = 0;
    sim_con[0] = '\0';
}

static int sim_console_find(const char *text, int whole_line)
{
    size_t n = strlen(text);
    const char *p = sim_con;

    while (*p != '\0') {
        const char *eol = strstr(p, "\r\n");
        size_t len = (eol != NULL) ? (size_t)(eol - p) : strlen(p);

        if ((whole_line ? len == n : len >= n) && strncmp(p, text, n) == 0) {
            return 1;
        }
        if (eol == NULL) {
            break;
        }
        p = eol + 2;
    }
    return 0;
}

int sim_console_has_line(const char *line)
{
    return sim_console_find(line, 1);
}

int sim_console_has_prefix(const char *prefix)
{
    return sim_console_find(prefix, 0);
}

void port_watchdog_start(uint32_t timeout_ms)
{
    sim_wdg_ms = timeout_ms;
}

void port_watchdog_refresh(void)
{
    sim_wdg_refreshes++;
}

uint32_t port_ticks_ms(void)
{
    return sim_ticks;
}

void port_reset(void)
{
    sim_leave(SIM_EXIT_RESET);
}

void port_jump(uint32_t vectors)
{
    sim_jump_addr = vectors;
    sim_leave(SIM_EXIT_JUMP);
}

volatile struct bl_mailbox *bl_mailbox(void)
{
    return &sim_mbox;
}

uint32_t sim_jump_vectors(void) { return sim_jump_addr; }
uint32_t sim_watchdog_ms(void) { return sim_wdg_ms; }
uint32_t sim_watchdog_refreshes(void) { return sim_wdg_refreshes; }
uint32_t sim_now_ms(void) { return sim_ticks; }

void sim_set_time_limit(uint32_t ms)
{
    sim_time_limit = ms;
}

enum sim_exit sim_run(void (*fn)(void *), void *arg)
{
    jmp_buf jb;
    jmp_buf *volatile prev = sim_jb;
    volatile int why;

    sim_jb = &jb;
    why = setjmp(jb);
    if (why == 0) {
        fn(arg);
        why = SIM_EXIT_RETURNED;
    }
    sim_jb = prev;
    return (enum sim_exit)why;
}

static void sim_boot_fn(void *arg)
{
    (void)arg;
    boot_main();
}

enum sim_exit sim_boot(void)
{
    /* A reset restarts SysTick and stops nothing else we model. */
    sim_ticks = 0;
    sim_wdg_ms = 0;
    return sim_run(sim_boot_fn, NULL);
}
