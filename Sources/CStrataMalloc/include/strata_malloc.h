#ifndef STRATA_MALLOC_H
#define STRATA_MALLOC_H

/// Keeps large allocations (decompressed chunks, decoded columns) in the malloc heap instead of
/// one fresh mmap each: queries reuse the same sizes block after block, and every fresh mapping
/// costs a page fault per 4 KiB. Freed memory above 256 MiB is still returned to the system.
void strata_tune_malloc(void);

/// The agent's settings: one arena, large buffers from mmap, eager trimming (small RSS).
void strata_tune_malloc_small(void);

#endif
