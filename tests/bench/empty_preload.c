/* SPDX-License-Identifier: MIT */
/*
 * empty_preload.c - a preloaded library that does nothing: the floor of
 * what any LD_PRELOAD costs a process on this host (the loader opens,
 * maps and relocates it, runs its constructor, and unmaps it at exit).
 * run.sh's short-process loop measures it beside libwhyslow.so disabled,
 * which can come no lower.
 */
__attribute__((constructor)) static void empty_start(void) {}
