/**
 * @file fake-target.h
 * @brief A scripted fota-hil target for the host tests: speaks fota/proto.h
 * on one end of a socketpair, in a thread, with a slot of fake flash that
 * persists across link sessions (so a second session can resume), and
 * fault injection on chosen frames (NACK, lost request, lost or corrupted
 * response, disconnect). Fault injection lives here, not in the master.
 *
 * Counters are 1-based frame numbers over the device's life; 0 = off.
 */
#ifndef TESTS_HOST_FAKE_TARGET_H
#define TESTS_HOST_FAKE_TARGET_H

#include <pthread.h>
#include <stdint.h>
#include "fota/layout.h"
#include "fota/image.h"

struct fake_dev {
    /* identity, as HELLO reports it */
    uint8_t role;             /**< PROTO_ROLE_*; APP switches to BOOTLOADER on ENTER_UPDATE */
    uint8_t active_slot;
    uint32_t active_version;
    uint8_t target_slot;
    uint16_t max_data;
    uint32_t slot_size;
    /* behaviour */
    int any_slot;             /**< accept an image for either slot (no active slot) */
    int begin_status;         /**< non-zero: answer every BEGIN with it */
    int background;           /**< role APP serves BEGIN/DATA/END itself (the `background` demo variant) */
    uint32_t boot_drop_bytes; /**< after ENTER_UPDATE: ignore this many received bytes (USART not up) */
    /* faults: request/response numbers counted over all sessions */
    uint32_t nack_req;        /**< answer the Nth request with NACK ECRC instead */
    uint32_t lose_req;        /**< ignore the Nth request */
    uint32_t lose_rsp;        /**< process the Nth request, send no response */
    uint32_t corrupt_rsp;     /**< flip a payload bit in the Nth response */
    uint32_t garbage_before_rsp; /**< write junk bytes before the Nth response */
    uint32_t disconnect_at_data; /**< close the link on receiving the Nth DATA (not processed) */
    uint32_t reboot_app_rsp;  /**< lose the Nth response and "reset" into an application (the
                                   bootloader's idle timeout ran out, or it reset into the new image):
                                   role APP, active reboot_slot / reboot_version, BEGIN state lost */
    uint8_t reboot_slot;      /**< with reboot_app_rsp: the slot the application runs from */
    uint32_t reboot_version;  /**< with reboot_app_rsp: its version */
    /* the slot: image bytes (header included), 0xFF = erased */
    uint8_t flash[LAYOUT_SLOT_SIZE];
    /* state */
    uint8_t hdr[IMAGE_HEADER_SIZE];
    uint32_t img_size;        /**< header + payload of the current BEGIN, 0 before */
    uint32_t next;            /**< first byte still missing */
    /* observations */
    uint32_t n_req, n_rsp, n_data, n_hello, n_enter, n_begin, n_fresh, n_end;
    uint32_t n_program;       /**< DATA payloads actually programmed */
    uint32_t n_dup_data;      /**< DATA for offsets already programmed */
    uint32_t n_bad_crc;       /**< request frames with a bad CRC */
    uint32_t last_resume;     /**< resume_offset of the last BEGIN answer */
    int end_status;           /**< status of the last END, -1 before any */
    int session_done;         /**< 1 when the session thread ended */
};

/** Fill @p d with a bootloader in update mode, empty slot B, max_data PROTO_MAX_DATA. */
void fake_dev_init(struct fake_dev *d);

struct fake_session {
    struct fake_dev *dev;
    int fd;                   /**< the target's end */
    pthread_t thread;
};

/**
 * Start a session thread on a fresh socketpair.
 * @return the master's end of the socketpair (the caller wraps it with
 *         fh_link_from_fd), -1 on failure.
 */
int fake_session_start(struct fake_session *s, struct fake_dev *d);

/**
 * Start a session thread on @p fd (a pty master, a socket); the session
 * owns and closes it. It ends at EOF/EIO on @p fd or a disconnect fault.
 * The target writes with write(): ignore SIGPIPE in the test.
 * @return 0, -1 on failure.
 */
int fake_session_start_fd(struct fake_session *s, struct fake_dev *d, int fd);

/** Wait for the session to end (the master closed its end, or a disconnect fault). */
void fake_session_join(struct fake_session *s);

/** Build a plausible app binary of @p len bytes for @p slot (vector table + pattern seeded by @p seed). */
void fake_app_bin(uint8_t *bin, uint32_t len, uint32_t slot, uint32_t seed);

#endif
