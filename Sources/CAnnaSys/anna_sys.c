#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>
#include "anna_sys.h"

int csys_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int csys_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

/* The child keeps only 0, 1 and 2: a host's descriptors opened without
 * O_CLOEXEC (sockets, pipes) must not leak into plugins, where a held write
 * end would keep the host from ever seeing EOF (EX-SPAWN-2; the reference's
 * subprocesses use close_fds=True). glibc 2.34+. */
int csys_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
