/*
 * real.c - finds the real functions behind the wrappers (see real.h).
 *
 * dlsym(RTLD_NEXT) gives the next definition after this library in the
 * lookup order: libc's.  It is safe to call twice from two threads: both
 * store the same pointers.
 */
#include <dlfcn.h>

#include "internal.h"

/* The linker makes these the bounds of the section every WS_REAL() entry
 * is in. */
extern const struct ws_real __start_ws_real[], __stop_ws_real[];

void ws_resolve(void)
{
    for (const struct ws_real *r = __start_ws_real; r < __stop_ws_real; r++)
        *r->fn = dlsym(RTLD_NEXT, r->name);
}
