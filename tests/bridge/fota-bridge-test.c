/*
 * The fota-bridge daemon (host/bridge/fota-bridge.c, config.c): --help,
 * config errors as `file:line: what` with exit 2, and one real `--once`
 * run: lighttpd serves the image, the daemon delivers it over TCP to the
 * scripted fake target (tests/host/fake-target.c) listening in the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"
#include "fake-target.h"
#include "fixture.h"

#ifndef FOTA_BRIDGE_PATH
#error "FOTA_BRIDGE_PATH must name the fota-bridge binary (tests/bridge/build.mk)"
#endif

static char g_err[8192];

/* Run fota-bridge with @p argv (NULL-terminated, argv[0] ignored); stderr into g_err. */
static pid_t spawn(char **argv, int *errfd)
{
    int p[2];
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        dup2(open("/dev/null", O_WRONLY), 1);
        close(p[0]);
        argv[0] = FOTA_BRIDGE_PATH;
        execv(FOTA_BRIDGE_PATH, argv);
        _exit(127);
    }
    close(p[1]);
    *errfd = p[0];
    return pid;
}

static int finish(pid_t pid, int errfd)
{
    size_t n = 0;
    ssize_t r;
    int status = 0;

    while (n + 1u < sizeof(g_err) && (r = read(errfd, g_err + n, sizeof(g_err) - 1u - n)) > 0) {
        n += (size_t)r;
    }
    g_err[n] = '\0';
    close(errfd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int run(char **argv)
{
    int fd;
    pid_t pid = spawn(argv, &fd);

    return finish(pid, fd);
}

static void test_fota_bridge_help(void **state)
{
    char *argv[] = { NULL, "--help", NULL };

    (void)state;
    assert_int_equal(run(argv), 0);
}

static void test_fbc_load_yaml_bad_value_names_line(void **state)
{
    char dir[256], path[300];
    char *argv[] = { NULL, "--config", path, NULL };
    FILE *f;

    (void)state;
    srv_tmpdir(dir);
    snprintf(path, sizeof(path), "%s/bridge.yaml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("url: http://127.0.0.1:1/fw.bin\nstate_dir: /tmp/x\n\nchunk: lots\n", f);
    fclose(f);
    assert_int_equal(run(argv), 2);
    assert_non_null(strstr(g_err, "bridge.yaml:4: chunk 'lots' is not a number"));
    f = fopen(path, "w");
    fputs("url: [a, b]\n", f);
    fclose(f);
    assert_int_equal(run(argv), 2);
    assert_non_null(strstr(g_err, "bridge.yaml:1: url: expected a single value"));
    f = fopen(path, "w");
    fputs("url: x\n  bad: : indent\n", f);
    fclose(f);
    assert_int_equal(run(argv), 2);
    assert_non_null(strstr(g_err, "bridge.yaml:2: "));
    srv_rmtree(dir);
}

static void test_fbc_set_unknown_flag(void **state)
{
    char *argv[] = { NULL, "--url", "http://x/", "--colour", "red", NULL };

    (void)state;
    assert_int_equal(run(argv), 2);
    assert_non_null(strstr(g_err, "--colour: unknown key 'colour'"));
}

/* A TCP listener on 127.0.0.1; @return the fd, *port the port. */
static int listen_any(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_fota_bridge_once_delivers_over_tcp(void **state)
{
    static uint8_t img[FX_IMG_LEN];
    struct hil_srv http;
    struct fake_dev *dev = calloc(1, sizeof(*dev));
    struct fake_session sess;
    char url[128], device[64], dir[256];
    char *argv[] = { NULL, "--url", url, "--state_dir", dir, "--device", device, "--once", "1", NULL };
    int lfd, port, cfd, errfd;
    pid_t pid;

    (void)state;
    assert_non_null(dev);
    signal(SIGPIPE, SIG_IGN);
    fake_dev_init(dev);
    fx_image(img, 21, 9);
    srv_http_start(&http);
    srv_publish(&http, "fw.bin", img, sizeof(img));
    srv_tmpdir(dir);
    lfd = listen_any(&port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/fw.bin", http.port);
    snprintf(device, sizeof(device), "tcp:127.0.0.1:%d", port);
    pid = spawn(argv, &errfd);
    cfd = accept(lfd, NULL, NULL); /* the daemon connects once the image is verified */
    assert_true(cfd >= 0);
    assert_int_equal(fake_session_start_fd(&sess, dev, cfd), 0);
    if (finish(pid, errfd) != 0) {
        fail_msg("fota-bridge --once failed: %s", g_err);
    }
    fake_session_join(&sess);
    assert_int_equal(dev->end_status, FOTA_OK);
    assert_memory_equal(dev->flash, img, FX_IMG_LEN);
    close(lfd);
    srv_stop(&http);
    srv_rmtree(dir);
    free(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fota_bridge_help),
        cmocka_unit_test(test_fbc_load_yaml_bad_value_names_line),
        cmocka_unit_test(test_fbc_set_unknown_flag),
        cmocka_unit_test(test_fota_bridge_once_delivers_over_tcp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
