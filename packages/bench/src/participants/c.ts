/**
 * The C reference for the fdatasync loop.
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { startTally } from "../drivers.js"
import { benchDirectory, BLOCK } from "../files.js"
import type { Participant } from "../workloads.js"

const PSYNC_SOURCE = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
  long blocks = atol(argv[2]) / 4096; double seconds = atof(argv[3]);
  char buffer[4096]; memset(buffer, 0xa5, sizeof buffer);
  unsigned state = 11; long ops = 0; double start = now(), end = start + seconds;
  if (fd < 0) return 1;
  while (now() < end) {
    state ^= state << 13; state ^= state >> 17; state ^= state << 5;
    if (pwrite(fd, buffer, sizeof buffer, (off_t)(state % blocks) * 4096) != sizeof buffer) return 2;
    if (fdatasync(fd) != 0) return 3;
    ops++;
  }
  printf("%ld %f\\n", ops, now() - start);
  return 0;
}
`

const psyncBinary = (): string | undefined => {
  const binary = path.join(benchDirectory(), "psync-loop")
  if (fs.existsSync(binary)) return binary
  const source = `${binary}.c`
  fs.writeFileSync(source, PSYNC_SOURCE)
  const built = spawnSync("cc", ["-O2", "-o", binary, source], { encoding: "utf8" })
  return built.status === 0 ? binary : undefined
}

/**
 * @since 0.1.0
 */
export const cPsync: Participant = {
  name: "C pwrite + fdatasync",
  description: "a C loop of pwrite and fdatasync (the reference for the fdsync loop)",
  unavailable: async () => psyncBinary() === undefined ? "no C compiler (cc)" : undefined,
  workloads: {
    "write-fdsync": async (config) => {
      const { finish, tally } = startTally()
      const run = spawnSync(psyncBinary()!, [config.writeFile, String(config.writeSize), String(config.seconds)], {
        encoding: "utf8"
      })
      const [ops, seconds] = run.stdout.trim().split(" ").map(Number)
      finish()
      tally.ops = ops ?? 0
      tally.bytes = tally.ops * BLOCK
      tally.seconds = seconds ?? tally.seconds
      tally.cpu = NaN // the loop runs in a child process: not measured
      return tally
    }
  }
}
