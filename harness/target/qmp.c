/**
 * @file qmp.c
 * @brief QMP client (qmp.h): line framing, jansson parsing, replies and events.
 *
 * Source: QEMU docs, interop/qmp-spec (2.2 the greeting, 2.3 commands and
 * their responses, 2.4 asynchronous events).
 */
#include "target/qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fota/errors.h"
#include "target/cpuclock.h"

/** What one line of QMP was. */
enum qmp_line {
    QMP_LINE_OTHER = 0,  /**< an event, or an unparsable line */
    QMP_LINE_RETURN = 1,
    QMP_LINE_ERROR = 2,
    QMP_LINE_GREETING = 3, /**< {"QMP": {...}} */
};

void hil_qmp_init(struct hil_qmp *q, int fd, hil_qmp_event_fn fn, void *ctx)
{
    memset(q, 0, sizeof(*q));
    q->fd = fd;
    q->on_event = fn;
    q->ctx = ctx;
}

void hil_qmp_set_peer(struct hil_qmp *q, pid_t pid)
{
    q->peer = pid > 0 ? pid : 0;
}

void hil_qmp_close(struct hil_qmp *q)
{
    if (q->fd >= 0) {
        close(q->fd);
    }
    q->fd = -1;
    q->len = 0;
}

/* Hand an event object on. */
static void qmp_event(struct hil_qmp *q, json_t *obj, const char *name)
{
    if (q->on_event == NULL) {
        return;
    }
    json_t *data = json_object_get(obj, "data");
    char *text = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
    q->on_event(q->ctx, name, text != NULL ? text : "{}");
    free(text);
}

/* Classify one line (NUL-terminated), passing an event on. */
static enum qmp_line qmp_line(struct hil_qmp *q, const char *line)
{
    json_error_t jerr;
    json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    enum qmp_line kind = QMP_LINE_OTHER;
    if (obj == NULL || !json_is_object(obj)) {
        json_decref(obj);
        return kind;
    }
    const char *ev = json_string_value(json_object_get(obj, "event"));
    json_t *err = json_object_get(obj, "error");
    if (ev != NULL) {
        qmp_event(q, obj, ev);
    } else if (json_object_get(obj, "QMP") != NULL) {
        kind = QMP_LINE_GREETING;
    } else if (json_object_get(obj, "return") != NULL) {
        kind = QMP_LINE_RETURN;
    } else if (err != NULL) {
        const char *cls = json_string_value(json_object_get(err, "class"));
        const char *desc = json_string_value(json_object_get(err, "desc"));
        snprintf(q->error, sizeof(q->error), "%s: %s", cls != NULL ? cls : "?", desc != NULL ? desc : "?");
        kind = QMP_LINE_ERROR;
    }
    json_decref(obj);
    return kind;
}

/* Take every complete line of the buffer; stop after the first reply.
 * @return the reply's kind, or QMP_LINE_OTHER when none was buffered. */
static enum qmp_line qmp_take_lines(struct hil_qmp *q)
{
    char *nl;
    while ((nl = memchr(q->buf, '\n', q->len)) != NULL) {
        size_t ll = (size_t)(nl - q->buf) + 1;
        *nl = '\0';
        enum qmp_line kind = qmp_line(q, q->buf);
        memmove(q->buf, q->buf + ll, q->len - ll);
        q->len -= ll;
        if (kind != QMP_LINE_OTHER) {
            return kind;
        }
    }
    if (q->len == sizeof(q->buf)) {
        q->len = 0; /* a line longer than the buffer: dropped */
    }
    return QMP_LINE_OTHER;
}

/* One non-blocking read into the buffer; *got bytes came.
 * @return 0; FOTA_ECONN; FOTA_EIO. */
static int qmp_read(struct hil_qmp *q, size_t *got)
{
    *got = 0;
    ssize_t n = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, MSG_DONTWAIT);
    if (n == 0) {
        return FOTA_ECONN;
    }
    if (n < 0) {
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : FOTA_EIO;
    }
    q->len += (size_t)n;
    *got = (size_t)n;
    return 0;
}

/* Read until a line of kind @p want (an "error" reply ends the wait too). */
static int qmp_wait(struct hil_qmp *q, enum qmp_line want, int timeout_ms)
{
    struct hil_cpuwait w;
    hil_cpuwait_begin(&w, q->peer, timeout_ms);
    for (;;) {
        enum qmp_line kind = qmp_take_lines(q);
        if (kind == want) {
            return 0;
        }
        if (kind == QMP_LINE_ERROR) {
            return FOTA_EIO;
        }
        int left = hil_cpuwait_left(&w);
        if (left <= 0) {
            return FOTA_ETIMEOUT;
        }
        struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
        int pr = poll(&pfd, 1, left);
        if (pr < 0 && errno != EINTR) {
            return FOTA_EIO;
        }
        size_t got;
        int rc = pr > 0 ? qmp_read(q, &got) : 0;
        if (rc != 0) {
            return rc;
        }
    }
}

static int qmp_send(struct hil_qmp *q, const char *text)
{
    size_t len = strlen(text);
    ssize_t n = send(q->fd, text, len, MSG_NOSIGNAL);
    return n == (ssize_t)len ? 0 : FOTA_EIO;
}

int hil_qmp_handshake(struct hil_qmp *q, int timeout_ms)
{
    int rc = qmp_wait(q, QMP_LINE_GREETING, timeout_ms);
    if (rc == 0) {
        rc = hil_qmp_command(q, "qmp_capabilities", NULL, timeout_ms);
    }
    return rc;
}

int hil_qmp_command(struct hil_qmp *q, const char *name, const char *args_json, int timeout_ms)
{
    json_t *cmd = json_pack("{s:s}", "execute", name);
    if (cmd == NULL) {
        return FOTA_ENOMEM;
    }
    if (args_json != NULL) {
        json_t *args = json_loads(args_json, 0, NULL);
        if (args == NULL || !json_is_object(args)) {
            json_decref(args);
            json_decref(cmd);
            return FOTA_EINVAL;
        }
        json_object_set_new(cmd, "arguments", args);
    }
    char *text = json_dumps(cmd, JSON_COMPACT);
    json_decref(cmd);
    if (text == NULL) {
        return FOTA_ENOMEM;
    }
    size_t tl = strlen(text);
    char line[HIL_QMP_LINE_MAX];
    int rc = tl + 2 <= sizeof(line) ? 0 : FOTA_EINVAL;
    if (rc == 0) {
        memcpy(line, text, tl);
        memcpy(line + tl, "\n", 2);
        rc = qmp_send(q, line);
    }
    free(text);
    return rc != 0 ? rc : qmp_wait(q, QMP_LINE_RETURN, timeout_ms);
}

int hil_qmp_poll_events(struct hil_qmp *q)
{
    if (q->fd < 0) {
        return 0;
    }
    for (;;) {
        size_t got;
        int rc = qmp_read(q, &got);
        if (rc != 0) {
            return rc;
        }
        while (q->len > 0 && memchr(q->buf, '\n', q->len) != NULL) {
            (void)qmp_take_lines(q); /* a stray reply is dropped */
        }
        if (got == 0) {
            return 0;
        }
    }
}
