/**
 * @file board_cli.h
 * @brief `fota-hil doctor` and `fota-hil dump` (harness/cli/doctor.c).
 */
#ifndef HIL_BOARD_CLI_H
#define HIL_BOARD_CLI_H

/**
 * `fota-hil doctor --board RIG.yaml [--bootloader-elf P] [--timeout-ms N]`:
 * check every resource of a rig, one line each (`ok`, `FAIL ...: why`,
 * `skip ...: why`). @return exit status: 0 all ok, 1 something failed,
 * 2 usage or a malformed profile.
 */
int hil_doctor_main(int argc, char **argv);

/**
 * `fota-hil dump --board RIG.yaml OUT.bin`: save the board's whole flash
 * (1 MB, read with the core halted). @return exit status 0, 1, 2 (usage).
 */
int hil_dump_main(int argc, char **argv);

#endif /* HIL_BOARD_CLI_H */
