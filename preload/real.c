/*
 * real.c - finds the real functions behind the wrappers (see real.h).
 *
 * dlsym(RTLD_NEXT) gives the next definition after this library in the
 * lookup order: libc's.  It is safe to call twice from two threads: both
 * store the same pointers.
 */
#include <dlfcn.h>

#include "internal.h"

#define WS_REAL_DEFINE(name) __typeof__(name) *real_##name;
WS_REAL_LIST(WS_REAL_DEFINE)
#undef WS_REAL_DEFINE

void ws_resolve(void)
{
#define WS_REAL_RESOLVE(name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);
    WS_REAL_LIST(WS_REAL_RESOLVE)
#undef WS_REAL_RESOLVE
}
