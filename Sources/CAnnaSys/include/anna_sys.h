/* GNU/Linux system calls that Swift's Glibc module does not expose
 * (they need _GNU_SOURCE). Used only by AnnaRuntime's Syscalls.swift. */
#ifndef ANNA_SYS_H
#define ANNA_SYS_H
#include <spawn.h>
int csys_pipe_cloexec(int fds[2]);
int csys_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
int csys_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
#endif
